"""The desk's JSON HTTP API (FastAPI)."""
