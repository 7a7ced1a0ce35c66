"""The collection workflow (AccountCollection) on the agenda engine."""
