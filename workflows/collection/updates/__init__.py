"""The desk's and the operators' updates of the agenda engine, one class per kind of request.

base.py says how every handler runs (under the episode's lock, repeat first,
re-check, transition, record); agreements.py, desk.py and account.py hold the
handlers and validators; ``Updates`` puts them together for the engine.
"""

from workflows.collection.updates.account import AccountUpdates
from workflows.collection.updates.agreements import AgreementUpdates
from workflows.collection.updates.desk import DeskUpdates


class Updates(AgreementUpdates, DeskUpdates, AccountUpdates):
    """Every update of the episode; each group in a class of its own (one place per kind of request)."""
