"""The type of every ApplicationError the system raises: callers match the type, never the message.

A refusal (an update's validator said no) is final for that request; a
permanent failure (non-retryable) means retrying the same command cannot
help until someone fixes the record or the code, so the workflow flags the
episode for attention instead of spinning.
"""

# ---- refusals of a request (update validators and handlers) ----
REFUSED = "Refused"  # the request breaks a rule; the message says which
EPISODE_ENDED = "EpisodeEnded"  # the episode is over: nothing more can be applied to it
NOT_FOUND = "NotFound"  # the request names a promise, plan, hold, case... the episode does not have
AMOUNT_PRECISION = "AmountPrecision"  # more decimals than the currency's minor units
REQUEST_ID_REUSED = "RequestIdReused"  # an id already answered, now with other content
BAD_SEGMENT_REQUEST = "BadSegmentRequest"  # a set_risk_segment request that contradicts itself

# ---- refusals that come from the system of record (non-retryable activity errors) ----
HOLD_ID_TAKEN = "HoldIdTaken"  # the hold id is on record for the account from an earlier episode
LEGAL_EVENT_REFUSED = "LegalEventRefused"
REAGE_REFUSED = "ReageRefused"
RECOVERY_REFUSED = "RecoveryRefused"

# ---- permanent failures: the episode needs a person ----
ACCOUNT_NOT_ON_RECORD = "AccountNotOnRecord"  # the starter writes the account before starting; it is missing
EPISODE_NOT_OPENED = "EpisodeNotOpened"
RECORD_MISSING = "RecordMissing"  # a promise, offer, plan or placement the command resolves was never written
RECORD_REJECTED = "RecordRejected"  # the database refused the values (too long, out of range, invalid)
INVALID_COMMAND = "InvalidCommand"  # a command the activity cannot carry out (an unknown action, a key twice)

# Retrying these cannot help: activities raise them non-retryable, and retry policies list them too.
PERMANENT = (
    HOLD_ID_TAKEN,
    LEGAL_EVENT_REFUSED,
    REAGE_REFUSED,
    RECOVERY_REFUSED,
    ACCOUNT_NOT_ON_RECORD,
    EPISODE_NOT_OPENED,
    RECORD_MISSING,
    RECORD_REJECTED,
    INVALID_COMMAND,
)
# A business answer the caller handles (the update fails with it); every other permanent failure
# puts the episode on the attention list and is retried slowly until someone fixes the cause.
ANSWERS = (HOLD_ID_TAKEN, LEGAL_EVENT_REFUSED, REAGE_REFUSED, RECOVERY_REFUSED)
