"""Auditors' tools: replay, timeline, evidence, bundles, archive, record check."""
