"""Operators' daily files in: reading, validating, importing, sample portfolios."""
