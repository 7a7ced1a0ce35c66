"""The system of record: SQLAlchemy models, engine and small query functions."""
