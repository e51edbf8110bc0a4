"""The pre-analysis plan carries its date and a hash of its text; the hash must match (issue 14)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

PLAN = Path(__file__).resolve().parents[1] / "docs" / "pre_analysis_plan.md"
MARKER = "<!-- registration record"


def test_plan_hash_matches_its_text():
    text = PLAN.read_text(encoding="utf-8")
    body, record = text.split(MARKER, 1)
    stated = re.search(r"SHA-256 of the text above the marker line[^`]*`([0-9a-f]{64})`", record)
    assert stated, "the registration record states no SHA-256"
    assert hashlib.sha256(body.encode("utf-8")).hexdigest() == stated.group(1)
    assert re.search(r"dated \d{4}-\d{2}-\d{2}", record)


def test_plan_names_outcome_estimand_offset_inference_and_decision_rule():
    text = PLAN.read_text(encoding="utf-8").split(MARKER, 1)[0]
    for phrase in (
        "Primary outcome",
        "Primary estimand",
        "Exposure offset",
        "## 5. Inference",
        "## 8. Decision rule",
        "conditional_score",
        "stepped-wedge",
    ):
        assert phrase in text, phrase
    assert "0.952" not in text  # the easy study is no longer cited
