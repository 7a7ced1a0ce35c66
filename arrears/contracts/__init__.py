"""What crosses the wire: names, keys, errors and each workflow's types."""
