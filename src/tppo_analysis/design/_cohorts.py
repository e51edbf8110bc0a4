"""Cohorts (launch months) from a roster: the one rule shared by the panel builder and the SYNTHETIC generators."""

from __future__ import annotations

import pandas as pd

from ..errors import TppoError

__all__ = ["cohort_table"]

_UNDATED = {"unknown": "no known launch date", "year": "launch month unknown (only the year is reported)"}


def cohort_table(roster: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cohorts from a roster with ``village_code``, ``launch_date`` and (optionally) ``precision``.

    Returns ``(cohorts, excluded)``: cohorts has village_code, first_treated (Period[M]), launch_precision; excluded
    has village_code, village (name if given), reason. A village listed twice keeps its earliest dated launch.
    """
    for c in ("village_code", "launch_date"):
        if c not in roster.columns:
            raise TppoError(f"roster has no column {c!r}; it has {list(roster.columns)}")
    r = roster.copy()
    prec = r["precision"].astype(str) if "precision" in r.columns else pd.Series("day", index=r.index)
    name = r["village"].astype(str) if "village" in r.columns else pd.Series("", index=r.index)
    launch = pd.to_datetime(r["launch_date"], errors="coerce")
    reason = pd.Series(pd.NA, index=r.index, dtype="object")
    no_code = r["village_code"].isna()
    why_unmatched = r["unmatched_reason"].astype(str) if "unmatched_reason" in r.columns else "no match"
    reason[no_code] = "no Kemendagri village code (" + pd.Series(why_unmatched, index=r.index)[no_code] + ")"
    for p, text in _UNDATED.items():
        reason[reason.isna() & (prec == p)] = text
    reason[reason.isna() & launch.isna()] = "no known launch date"
    ex = pd.DataFrame({"village_code": r["village_code"], "village": name, "reason": reason})[reason.notna()]
    ok = reason.isna()
    coh = pd.DataFrame(
        {
            "village_code": r.loc[ok, "village_code"].astype(str),
            "first_treated": launch[ok].dt.to_period("M"),
            "launch_precision": prec[ok],
        }
    ).sort_values(["village_code", "first_treated"])
    coh = coh.drop_duplicates("village_code", keep="first").reset_index(drop=True)
    # a village with an undated entry but also a dated one is treated (dated) — remove it from the exclusions
    ex = ex[~ex["village_code"].isin(coh["village_code"])].reset_index(drop=True)
    return coh, ex
