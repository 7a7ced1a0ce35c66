"""Consent records: opt-outs, opt-ins, invalid addresses and consent to calls, as the gate reads them.

What the cardholder said about being contacted, with when and from where, checked before it is
written to ``consents`` (arrears.compliance.gate_record reads them back as preferences).
"""

from datetime import datetime

from sqlalchemy.orm import Session

from arrears.compliance.gate_record import address_for
from arrears.db.models import Account, Consent

# A consent record about a whole medium carries this address.
MEDIUM = "*"
CONSENT_STATUSES = ("opted_in", "opted_out", "invalid", "consented")


class ConsentError(ValueError):
    """A consent record that cannot be taken; the message says why."""


def record_consent(
    session: Session,
    account_id: str,
    channel: str,
    status: str,
    source: str,
    now: datetime,
    address: str | None = None,
    note: str = "",
    *,
    medium: bool = False,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
) -> Consent:
    """An opt-out, opt-in, invalid address or consent to calls, with when and from where.

    Without an address the account's current one for the channel is meant; ``medium`` means every
    address of the channel, present and future ("stop calling me", comment 14(h)(1)-3.i). An email
    marked invalid (a bounce) also sets ``email_invalid`` so nothing more is sent there until a
    different address is imported. ``consented`` is prior consent to calls, given directly
    (1006.14(b)(3)(i)): from ``valid_from`` (default now) to ``valid_until`` (default: the seven-day limit).
    ``now`` is the account's collection time (arrears.client.clock).
    """
    if channel not in ("sms", "email", "im", "call", "letter", "visit"):
        raise ConsentError(f"unknown channel {channel!r}")
    if status not in CONSENT_STATUSES:
        raise ConsentError(f"status must be one of {', '.join(CONSENT_STATUSES)}, got {status!r}")
    if not source.strip():
        raise ConsentError("say where it came from (source), e.g. 'sms reply STOP' or 'bounce'")
    if status == "consented" and channel != "call":
        raise ConsentError("consent to be contacted is recorded for calls (12 CFR 1006.14(b)(3)(i))")
    if status != "consented" and (valid_from or valid_until):
        raise ConsentError("valid_from and valid_until go with a consent to calls (status consented)")
    if medium and status == "invalid":
        raise ConsentError("invalid marks one address, not a whole medium")
    for name, moment in (("valid_from", valid_from), ("valid_until", valid_until)):
        if moment is not None and moment.tzinfo is None:
            raise ConsentError(f"{name}: give the time with its UTC offset")
    if valid_from and valid_until and valid_until <= valid_from:
        raise ConsentError("valid_until must be after valid_from")
    account = session.get(Account, account_id)
    if account is None:
        raise ConsentError(f"no account {account_id}")
    if medium or status == "consented":
        address = MEDIUM
    else:
        address = address or address_for(account, channel)
    if not address:
        raise ConsentError(f"account {account_id} has no {channel} address")
    row = Consent(
        account_id=account_id,
        channel=channel,
        address=address,
        status=status,
        source=source.strip(),
        note=note,
        recorded_at=now,
        scope="medium" if address == MEDIUM else "address",
        valid_from=valid_from,
        valid_until=valid_until,
    )
    session.add(row)
    if status == "invalid" and channel == "email" and address == account.email:
        account.email_invalid = True
    session.flush()
    return row
