"""Activities: the only code that touches the database and the channels."""
