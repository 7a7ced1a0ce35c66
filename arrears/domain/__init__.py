"""Pure, typed collections domain: no I/O, no clocks, no Temporal.

Everything here is safe to import inside the workflow sandbox and is tested
directly by tests/unit.
"""
