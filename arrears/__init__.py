"""Arrears: durable collection lifecycles for overdue credit-card accounts."""

from pathlib import Path

# The repository root: strategies/ and templates/ live beside the packages.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
