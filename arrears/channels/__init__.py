"""Channel adapters and message rendering."""
