"""The pre-analysis plan carries its date and a hash of its text, and so does each amendment (issue 14).

Version 1.0 is the text above ``<!-- registration record``; its hash is stated in the registration record and
restated in amendment 1, and must still match (the registered text is never edited). Each amendment N is followed by
``<!-- amendment N record``, whose hash covers the whole file above that marker.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

PLAN = Path(__file__).resolve().parents[1] / "docs" / "pre_analysis_plan.md"
MARKER = "<!-- registration record"
V10_SHA256 = "0c16a7a7a1a36342bc3e05f606675af807626a856628ff4dd9095dd9f606c910"  # as registered on 2026-12-01


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_registered_text_is_unchanged_and_its_hash_matches():
    text = PLAN.read_text(encoding="utf-8")
    body, record = text.split(MARKER, 1)
    stated = re.search(r"SHA-256 of the text above the marker line[^`]*`([0-9a-f]{64})`", record)
    assert stated, "the registration record states no SHA-256"
    assert stated.group(1) == V10_SHA256, "the registration record of version 1.0 was edited"
    assert _sha(body) == V10_SHA256, "the registered text of version 1.0 was edited"
    assert re.search(r"Version 1\.0, dated \d{4}-\d{2}-\d{2}", record)


def test_every_amendment_is_dated_and_its_hash_matches_the_text_above_it():
    text = PLAN.read_text(encoding="utf-8")
    found = list(re.finditer(r"^<!-- amendment (\d+) record", text, flags=re.M))  # marker lines only
    markers, numbers = [m.start() for m in found], [int(m.group(1)) for m in found]
    assert numbers == list(range(1, len(numbers) + 1)) and numbers, "amendments are numbered 1, 2, ..."
    for n, start in zip(numbers, markers, strict=True):
        record = text[start:].split("\n\n", 1)[0]
        stated = re.search(r"SHA-256 of the text above this amendment's marker line[^`]*`([0-9a-f]{64})`", record)
        assert stated, f"amendment {n} states no SHA-256"
        assert _sha(text[:start]) == stated.group(1), f"amendment {n}: the hash does not match the text above it"
        assert re.search(rf"Version 1\.{n}, dated \d{{4}}-\d{{2}}-\d{{2}}", record)
        heading = re.findall(rf"### Amendment {n} \(version 1\.{n}, (\d{{4}}-\d{{2}}-\d{{2}})\)", text[:start])
        assert len(heading) == 1, f"amendment {n} has no dated heading"


def test_amendment_1_restates_the_original_hash_and_says_why_on_synthetic_draws_only():
    text = PLAN.read_text(encoding="utf-8")
    amendment = text.split("### Amendment 1 ", 1)[1].split("<!-- amendment 1 record", 1)[0]
    assert V10_SHA256 in amendment  # a reader can verify the original against the registry
    assert "SYNTHETIC" in amendment and "No restricted extract has been received" in amendment
    for phrase in ('bin_width=3, method="relative_magnitude"', "effects.breakdown_table", "not identified", "0-6"):
        assert phrase in amendment, phrase
    assert "decision rule 3" in amendment and "Section 6" in amendment


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
