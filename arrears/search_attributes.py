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

# Champion/challenger: "<experiment>:<arm>" of an episode started in an experiment (set at start only).
EXPERIMENT_ARM = SearchAttributeKey.for_keyword("ExperimentArm")

ALL = (COLLECTION_STAGE, DELINQUENCY_BUCKET, RISK_SEGMENT, OVERDUE_AMOUNT, HOLD_TYPE, EXPERIMENT_ARM)


def dev_server_flags() -> list[str]:
    """`temporal server start-dev` flags that register our attributes."""
    kinds = {COLLECTION_STAGE: "Keyword", DELINQUENCY_BUCKET: "Keyword", RISK_SEGMENT: "Keyword", OVERDUE_AMOUNT: "Double",
             HOLD_TYPE: "KeywordList", EXPERIMENT_ARM: "Keyword"}
    flags: list[str] = []
    for key, kind in kinds.items():
        flags += ["--search-attribute", f"{key.name}={kind}"]
    return flags
