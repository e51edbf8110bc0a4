"""Village x month panels for the Desa Binaan program-effect analysis, on the Kemendagri village geography.

Rules (stated, never silent):

* cohort (``first_treated``) = the calendar month of the village's launch (designation) date; never-treated
  villages have a missing cohort (NaT), which :func:`tppo_analysis.effects.fit` reads as "never treated";
* a roster village without a Kemendagri code, or whose launch month is not known (precision ``unknown`` or only the
  ``year``), is **excluded from the panel altogether** (it is neither a clean control nor a dated treated village)
  and listed in ``excluded`` with the reason; ``approximate`` dates are kept (flagged in ``launch_precision``);
* every village of the geography appears in every month; months without records are zeros;
* the optional covariate ``baseline_sending`` is the village's mean monthly outcome over a baseline window
  (default: the first 12 months of the panel), to be used as a time-invariant covariate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem, TppoError

__all__ = ["PanelBuild", "cohort_table", "build_panel", "group_trends"]

_UNDATED = {"unknown": "no known launch date", "year": "launch month unknown (only the year is reported)"}


@dataclass
class PanelBuild:
    """A built panel and what was left out.

    panel : village_code, district_code, regency_code, province_code, month (Period[M]), first_treated (Period[M]
        or NaT), launch_precision, <outcome>, and baseline_sending when requested.
    excluded : villages left out of the panel (village_code or name, reason).
    records_outside : records (or counts) outside the panel's months or villages, counted by reason.
    """

    panel: pd.DataFrame
    excluded: pd.DataFrame
    records_outside: pd.DataFrame


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


def _month_range(start, end) -> pd.PeriodIndex:
    s, e = pd.Period(start, freq="M"), pd.Period(end, freq="M")
    if e < s:
        raise TppoError(f"panel end {e} is before its start {s}")
    return pd.period_range(s, e, freq="M")


def build_panel(
    roster: pd.DataFrame,
    outcomes: pd.DataFrame,
    *,
    start,
    end,
    villages: pd.DataFrame | None = None,
    outcome: str = "deferrals",
    date_column: str = "date",
    count_column: str | None = None,
    baseline_months: int | None = 12,
    source: str = "outcomes",
) -> PanelBuild:
    """Build the balanced village x month panel.

    Parameters
    ----------
    roster : program villages (``village_code``, ``launch_date``, optional ``precision``, ``village``).
    outcomes : either record-level rows (one per person-event, with ``village_code`` and ``date_column``) or, when
        ``count_column`` is given, village x month counts (``village_code``, ``month``, ``count_column``).
    start, end : first and last month of the panel (inclusive).
    villages : the geography (default :func:`tppo_analysis.load_villages`); columns village_code, district_code,
        regency_code, province_code. Pass a subset (e.g. some regencies) to build a smaller panel.
    outcome : name of the outcome column in the panel.
    baseline_months : months at the start of the panel averaged into ``baseline_sending`` (None: no covariate).
        Those months stay in the panel; choose a window before the first launch.
    source : name of the outcomes file, used in error messages.
    """
    if villages is None:
        from ..sources.geography import load_villages

        villages = load_villages()
    months = _month_range(start, end)
    geo = villages[["village_code", "district_code", "regency_code", "province_code"]].drop_duplicates("village_code")
    cohorts, excluded = cohort_table(roster)
    outside_geo = ~cohorts["village_code"].isin(geo["village_code"])
    cohorts = cohorts[~outside_geo]
    excluded_codes = set(excluded["village_code"].dropna())
    geo = geo[~geo["village_code"].isin(excluded_codes)].reset_index(drop=True)

    # outcome counts per village and month
    if count_column is not None:
        need = ["village_code", "month", count_column]
        miss = [c for c in need if c not in outcomes.columns]
        if miss:
            raise TppoError(f"{source}: no column(s) {miss}")
        month = pd.PeriodIndex(pd.to_datetime(outcomes["month"].astype(str), errors="coerce"), freq="M")
        vals = pd.to_numeric(outcomes[count_column], errors="coerce")
        problems = [
            Problem(source, int(i) + 2, count_column, str(outcomes[count_column].iloc[i]), "count is not a number >= 0")
            for i in np.flatnonzero((vals.isna() | (vals < 0)).to_numpy())[:50]
        ] + [
            Problem(source, int(i) + 2, "month", str(outcomes["month"].iloc[i]), "not a month")
            for i in np.flatnonzero(month.isna())[:50]
        ]
        if problems:
            raise DataValidationError(problems, file=source)
        counts = pd.DataFrame({"village_code": outcomes["village_code"].astype(str), "month": month, "n": vals})
    else:
        miss = [c for c in ("village_code", date_column) if c not in outcomes.columns]
        if miss:
            raise TppoError(f"{source}: no column(s) {miss}")
        when = pd.to_datetime(outcomes[date_column], errors="coerce")
        bad = np.flatnonzero(when.isna().to_numpy())
        if len(bad):
            raise DataValidationError(
                [
                    Problem(source, int(i) + 2, date_column, str(outcomes[date_column].iloc[i]), "not a date")
                    for i in bad[:50]
                ],
                file=source,
            )
        counts = pd.DataFrame(
            {"village_code": outcomes["village_code"].astype(str), "month": when.dt.to_period("M"), "n": 1.0}
        )
    unknown = ~counts["village_code"].isin(villages["village_code"])
    if unknown.any():
        idx = np.flatnonzero(unknown.to_numpy())
        raise DataValidationError(
            [
                Problem(
                    source, int(i) + 2, "village_code", counts["village_code"].iloc[i], "not a Kemendagri village code"
                )
                for i in idx[:50]
            ],
            file=source,
        )
    in_months = counts["month"].isin(months)
    in_panel = counts["village_code"].isin(geo["village_code"])
    outside = pd.DataFrame(
        {
            "reason": ["month outside the panel", "village excluded (undated program village)"],
            "n": [float(counts.loc[~in_months, "n"].sum()), float(counts.loc[in_months & ~in_panel, "n"].sum())],
        }
    )
    counts = counts[in_months & in_panel].groupby(["village_code", "month"], as_index=False)["n"].sum()

    n_v, n_t = len(geo), len(months)
    vidx = pd.Index(geo["village_code"])
    y = np.zeros((n_v, n_t))
    rows = vidx.get_indexer(counts["village_code"])
    cols = (counts["month"].array.asi8 - months[0].ordinal).astype(int)
    np.add.at(y, (rows, cols), counts["n"].to_numpy())
    panel = pd.DataFrame(
        {
            "village_code": np.repeat(geo["village_code"].to_numpy(), n_t),
            "district_code": np.repeat(geo["district_code"].to_numpy(), n_t),
            "regency_code": np.repeat(geo["regency_code"].to_numpy(), n_t),
            "province_code": np.repeat(geo["province_code"].to_numpy(), n_t),
            "month": pd.PeriodIndex.from_ordinals(np.tile(months.asi8, n_v), freq="M"),
        }
    )
    ft = geo["village_code"].map(cohorts.set_index("village_code")["first_treated"])
    pr = geo["village_code"].map(cohorts.set_index("village_code")["launch_precision"])
    panel["first_treated"] = pd.PeriodIndex(np.repeat(ft.to_numpy(), n_t), freq="M")
    panel["launch_precision"] = np.repeat(pr.fillna("").to_numpy(), n_t)
    panel[outcome] = y.reshape(-1)
    if baseline_months:
        b = min(baseline_months, n_t)
        panel["baseline_sending"] = np.repeat(y[:, :b].mean(axis=1), n_t)
    ex_geo = cohorts.iloc[0:0]
    if outside_geo.any():
        ex_geo = pd.DataFrame(
            {
                "village_code": cohorts_all_outside(roster, geo),
                "village": "",
                "reason": "village not in the panel's geography (subset)",
            }
        )
    excluded = pd.concat([excluded, ex_geo], ignore_index=True) if len(ex_geo) else excluded
    return PanelBuild(panel, excluded.reset_index(drop=True), outside)


def cohorts_all_outside(roster: pd.DataFrame, geo: pd.DataFrame) -> list[str]:
    """Dated roster villages whose code is not in the chosen geography (e.g. outside the selected regencies)."""
    coh, _ = cohort_table(roster)
    return sorted(set(coh["village_code"]) - set(geo["village_code"]))


def group_trends(panel: pd.DataFrame, *, outcome: str, time: str, cohort: str, base_end=None) -> pd.DataFrame:
    """Mean outcome per unit and period for ever-enrolled vs never-enrolled units, in levels and as an index.

    Returns time, group ("program villages" / "never enrolled"), mean (outcome per unit-period), index (mean divided
    by the group's own mean over the periods up to ``base_end``; default: before the first launch). Parallel
    trends in levels means the ``mean`` lines move by the same amounts; on the ratio scale, the ``index`` lines move
    by the same factors. Aggregates over groups only (no village-level values).
    """
    g = panel[cohort]
    ever = g.notna() & (g.astype(str) != "0")
    out = (
        panel.assign(group=np.where(ever, "program villages", "never enrolled"))
        .groupby([time, "group"], observed=True)[outcome]
        .mean()
        .rename("mean")
        .reset_index()
    )
    if base_end is None:
        base_end = panel.loc[ever, cohort].min()
    base = out[out[time] < base_end].groupby("group")["mean"].mean()
    out["index"] = out["mean"] / out["group"].map(base)
    return out
