"""Results of a campaign: consolidation (each object's final score, grade and vetoes), the
consequences across periods and the rectification list that follows every shortfall.

- ``figures``: the latest authoritative stage's figures per object, written in bulk;
- ``consolidation``: stores them once per object, then applies the consequences and lists
  the shortfalls; overturning a veto consolidates again;
- ``consequences``: the rubric's consequence rules across periods, re-rating;
- ``rectification``: the problem list's items from shortfalls and vetoes, and their life
  (measure, evidence, submit, close, return, 回头看).
"""

from .consequences import (
    ConsequenceRules,
    Rule,
    consequence_rules,
    consequences_for,
    record_consequence,
    rerate,
    rerate_rule_text,
    rerate_targets,
)
from .consolidation import (
    consolidate,
    overturn_veto,
)
from .figures import (
    AUTHORITY,
    BATCH,
    PLAIN,
    RESULT_FIELDS,
    Final,
    JsonText,
    Stored,
    insert_rows,
    standing_vetoes,
)
from .rectification import (
    MEASURE_MAX,
    RECTIFICATION_DAYS,
    RESPONSIBLE_MAX,
    add_rectification_evidence,
    close_rectification,
    measure_problem,
    record_follow_up,
    return_rectification,
    store_measures,
    submit_rectification,
    write_measure,
)

__all__ = [
    "AUTHORITY",
    "BATCH",
    "MEASURE_MAX",
    "PLAIN",
    "RECTIFICATION_DAYS",
    "RESPONSIBLE_MAX",
    "RESULT_FIELDS",
    "ConsequenceRules",
    "Final",
    "JsonText",
    "Rule",
    "Stored",
    "add_rectification_evidence",
    "close_rectification",
    "consequence_rules",
    "consequences_for",
    "consolidate",
    "insert_rows",
    "measure_problem",
    "overturn_veto",
    "record_consequence",
    "record_follow_up",
    "rerate",
    "rerate_rule_text",
    "rerate_targets",
    "return_rectification",
    "standing_vetoes",
    "store_measures",
    "submit_rectification",
    "write_measure",
]
