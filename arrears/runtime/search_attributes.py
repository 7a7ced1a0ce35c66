"""The custom search attributes the workflow keeps current.

They are not encrypted by a payload codec, so they hold no personal data:
stage, bucket, segment, the overdue amount, the types of active holds and an
experiment's arm only.
"""

from temporalio.common import SearchAttributeKey

COLLECTION_STAGE = SearchAttributeKey.for_keyword("CollectionStage")
DELINQUENCY_BUCKET = SearchAttributeKey.for_keyword("DelinquencyBucket")
RISK_SEGMENT = SearchAttributeKey.for_keyword("RiskSegment")
# A Double for filtering (OverdueAmount > 5000); the exact Decimal lives in
# the system of record and the status query.
OVERDUE_AMOUNT = SearchAttributeKey.for_float("OverdueAmount")

# The types of the account's active holds (HoldType="bankruptcy" finds them all); an
# empty list once the last one ends. Set only by episodes that had a hold.
HOLD_TYPE = SearchAttributeKey.for_keyword_list("HoldType")

# Why the episode needs an operator, as a short code (`activity_failing:record_payment`,
# `charge_off_blocked:fraud_claim`); absent while all is well. `arrears doctor` lists them.
ATTENTION = SearchAttributeKey.for_keyword("Attention")
# Champion/challenger: "<experiment>:<arm>" of an episode started in an experiment (set at start only).
EXPERIMENT_ARM = SearchAttributeKey.for_keyword("ExperimentArm")

ALL = (COLLECTION_STAGE, DELINQUENCY_BUCKET, RISK_SEGMENT, OVERDUE_AMOUNT, HOLD_TYPE, ATTENTION, EXPERIMENT_ARM)

# How each attribute is indexed (the dev server's flags and the test servers' registration).
KINDS: dict[SearchAttributeKey, str] = {
    COLLECTION_STAGE: "Keyword",
    DELINQUENCY_BUCKET: "Keyword",
    RISK_SEGMENT: "Keyword",
    OVERDUE_AMOUNT: "Double",
    HOLD_TYPE: "KeywordList",
    ATTENTION: "Keyword",
    EXPERIMENT_ARM: "Keyword",
}


def dev_server_flags() -> list[str]:
    """`temporal server start-dev` flags that register our attributes."""
    flags: list[str] = []
    for key, kind in KINDS.items():
        flags += ["--search-attribute", f"{key.name}={kind}"]
    return flags
