"""Frozen engines kept for episodes started before a cut-over (see each module's docstring)."""
