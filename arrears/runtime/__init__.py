"""Reaching and running Temporal: connection, codec, dev server, worker assembly, metrics."""
