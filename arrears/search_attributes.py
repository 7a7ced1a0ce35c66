"""The custom search attributes the workflow keeps current.

They are not encrypted by a payload codec, so they hold no personal data:
stage, bucket, segment and the overdue amount only.
"""

from temporalio.common import SearchAttributeKey

COLLECTION_STAGE = SearchAttributeKey.for_keyword("CollectionStage")
DELINQUENCY_BUCKET = SearchAttributeKey.for_keyword("DelinquencyBucket")
RISK_SEGMENT = SearchAttributeKey.for_keyword("RiskSegment")
# A Double for filtering (OverdueAmount > 5000); the exact Decimal lives in
# the system of record and the status query.
OVERDUE_AMOUNT = SearchAttributeKey.for_float("OverdueAmount")

ALL = (COLLECTION_STAGE, DELINQUENCY_BUCKET, RISK_SEGMENT, OVERDUE_AMOUNT)


def dev_server_flags() -> list[str]:
    """`temporal server start-dev` flags that register our attributes."""
    kinds = {COLLECTION_STAGE: "Keyword", DELINQUENCY_BUCKET: "Keyword", RISK_SEGMENT: "Keyword", OVERDUE_AMOUNT: "Double"}
    flags: list[str] = []
    for key, kind in kinds.items():
        flags += ["--search-attribute", f"{key.name}={kind}"]
    return flags
