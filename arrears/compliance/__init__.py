"""The contact policy gate's record, and the notices the law requires."""
