"""`make demo`: a sample portfolio through its whole lifecycle."""
