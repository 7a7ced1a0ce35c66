"""AccountRecovery (workflow type `AccountRecovery`): what continues after a charge-off."""

from workflows.recovery.workflow import AccountRecovery

__all__ = ["AccountRecovery"]
