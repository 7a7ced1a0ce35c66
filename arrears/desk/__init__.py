"""The collector desk in the system of record: roster, assignment, SLA sweep, worklists, tokens."""
