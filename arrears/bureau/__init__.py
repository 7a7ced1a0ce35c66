"""The monthly credit-bureau cycle (rules in arrears.domain.bureau)."""
