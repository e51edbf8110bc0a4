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
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem, TppoError
from ._cohorts import cohort_table

__all__ = ["PanelBuild", "cohort_table", "build_panel", "group_trends"]


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
    roster : pandas.DataFrame
        Program villages (``village_code``, ``launch_date``, optional ``precision``, ``village``).
    outcomes : pandas.DataFrame
        Either record-level rows (one per person-event, with ``village_code`` and ``date_column``) or, when
        ``count_column`` is given, village x month counts (``village_code``, ``month``, ``count_column``).
    start : str or date-like
        First month of the panel (inclusive).
    end : str or date-like
        Last month of the panel (inclusive).
    villages : pandas.DataFrame, optional
        The geography (default :func:`tppo_analysis.load_villages`); columns village_code, district_code,
        regency_code, province_code. Pass a subset (e.g. some regencies) to build a smaller panel.
    outcome : str
        Name of the outcome column in the panel.
    date_column : str
        The event date column of record-level ``outcomes``.
    count_column : str, optional
        The count column of village x month ``outcomes``.
    baseline_months : int, optional
        Months at the start of the panel averaged into ``baseline_sending`` (None: no covariate). Those months stay
        in the panel; choose a window before the first launch.
    source : str
        Name of the outcomes file, used in error messages.

    Returns
    -------
    PanelBuild
        The panel and what was excluded on the way.
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
    """Return the dated roster villages whose code is not in the chosen geography (e.g. outside the selected regencies).

    Parameters
    ----------
    roster : pandas.DataFrame
        Program villages with ``village_code``.
    geo : pandas.DataFrame
        The chosen geography.

    Returns
    -------
    list of str
        The village codes.
    """
    coh, _ = cohort_table(roster)
    return sorted(set(coh["village_code"]) - set(geo["village_code"]))


def group_trends(panel: pd.DataFrame, *, outcome: str, time: str, cohort: str, base_end=None) -> pd.DataFrame:
    """Return the mean outcome per unit and period for ever-enrolled vs never-enrolled units, in levels and as an index.

    Parallel trends in levels means the ``mean`` lines move by the same amounts; on the ratio scale, the ``index``
    lines move by the same factors. Aggregates over groups only (no village-level values).

    Parameters
    ----------
    panel : pandas.DataFrame
        One row per unit and period.
    outcome : str
        The outcome column.
    time : str
        The period column.
    cohort : str
        First treated period of the unit; missing = never enrolled.
    base_end : optional
        Last period of the index base (default: before the first launch).

    Returns
    -------
    pandas.DataFrame
        time, group ("program villages" / "never enrolled"), mean (outcome per unit-period), index (mean divided by
        the group's own mean up to ``base_end``).
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


@dataclass
class ProgramPanel:
    """The analysis panel the effect notebooks use, and where it came from.

    panel : village x month panel (village_code, district_code, regency_code, province_code, month, first_treated,
        deferrals, population when known), ring-1 villages left out, months from ``start``.
    label : "SYNTHETIC" or "RESTRICTED": used in titles and in result file names (``_synthetic`` / ``_restricted``).
    truth : the planted rate ratio on this panel (SYNTHETIC only; None for restricted data).
    sim : the :class:`~tppo_analysis.design.synthetic.SyntheticPanel` (SYNTHETIC only).
    full : the panel before the window and ring-1 restrictions (for the placebo and the 2020-22 sensitivity).
    """

    panel: pd.DataFrame
    label: str
    truth: float | None
    sim: Any  # SyntheticPanel, or None for restricted data
    full: pd.DataFrame
    start: str | None = "2022-07"

    def window_panel(self) -> pd.DataFrame:
        """Return the full panel in the analysis window, ring-1 villages included (for the ring design)."""
        return _analysis_window(self.full, self.start)

    def truths(self) -> dict:
        """Planted values per estimator (SYNTHETIC; empty for restricted data).

        The rate ratio for the Poisson ETWFE, the effect in deferrals per treated village-month for the levels
        estimators.
        """
        if self.sim is None:
            return {}
        d = self.panel
        on = (d["first_treated"].notna() & (d["month"] >= d["first_treated"])).to_numpy()
        e = np.where(on, d["month"].array.asi8 - np.where(on, d["first_treated"].array.asi8, 0), 0)
        rr = self.sim.params["effect_rr"] ** np.minimum(1.0, (e + 1) / self.sim.params["ramp"])
        count = float((d["expected"].to_numpy() * (rr - 1))[on].mean())
        return {"Poisson ETWFE": self.truth, "Callaway-Sant'Anna": count, "naive TWFE": count}

    @property
    def flags(self) -> dict:
        """Keyword arguments of ``save_table`` for this panel: ``synthetic=`` and ``restricted=``."""
        return {"synthetic": self.label == "SYNTHETIC", "restricted": self.label == "RESTRICTED"}

    @property
    def suffix(self) -> str:
        """Result-file suffix: ``_synthetic`` or ``_restricted``."""
        return "_" + self.label.lower()


def program_panel(data_dir=None, *, start: str | None = "2022-07", **synthetic_options) -> ProgramPanel:
    """Return the program-effect analysis panel: the restricted extract when ``data_dir`` holds one, else SYNTHETIC.

    With ``data_dir`` the restricted loader (``tppo_analysis.sources.extracts.load_restricted_panel``, reading
    ``DIR/restricted/`` and the ministry's ``desa_binaan.csv``) supplies the village x month panel; when it returns
    None (no extract there), the SYNTHETIC panel is used and its ``label`` says so. Without ``data_dir`` the SYNTHETIC
    panel of notebook 03 is drawn (:func:`tppo_analysis.design.coverage.design_panel`, 19 program villages of 5
    regencies at the calibrated density; ``synthetic_options`` override its parameters, e.g. ``seed``). Either way
    ring-1 villages (same kecamatan as a program village) are left out and the window starts at ``start`` (the plan's
    post-reopening main window; None keeps 2020-22, the sensitivity).

    Parameters
    ----------
    data_dir : str or Path, optional
        A ``--data-dir`` folder that may hold a restricted extract.
    start : str, optional
        First month of the analysis window (None: the whole panel).
    **synthetic_options
        Override the SYNTHETIC design's parameters (e.g. ``seed``).

    Returns
    -------
    ProgramPanel
        The analysis panel and where it came from.
    """
    if data_dir is not None:
        from ..sources.extracts import load_restricted_panel

        loaded = load_restricted_panel(data_dir)
        if loaded is not None:
            full = loaded.panel
            return ProgramPanel(_analysis_window(_drop_ring1(full), start), "RESTRICTED", None, None, full, start)
    from .coverage import design_panel
    from .synthetic import truth_on

    opts = dict(synthetic_options)
    seed = int(opts.pop("seed", 20260415))
    design = str(opts.pop("design", "19"))
    sp = design_panel(design, seed, **opts)
    panel = _analysis_window(_drop_ring1(sp.panel, sp.villages), start)
    return ProgramPanel(panel, "SYNTHETIC", truth_on(sp, panel), sp, sp.panel, start)


def _drop_ring1(panel: pd.DataFrame, villages: pd.DataFrame | None = None) -> pd.DataFrame:
    """Leave out never-treated villages of a kecamatan (district) with a program village."""
    g = panel["first_treated"]
    ever = g.notna()
    prog_districts = set(panel.loc[ever, "district_code"].astype(str))
    ring1 = (~ever) & panel["district_code"].astype(str).isin(prog_districts)
    return panel[~ring1].reset_index(drop=True)


def _analysis_window(panel: pd.DataFrame, start: str | None) -> pd.DataFrame:
    if start is None:
        return panel
    return panel[panel["month"] >= pd.Period(start, "M")].reset_index(drop=True)


def panel_summary(pp: ProgramPanel) -> pd.DataFrame:
    """Summarise what the analysis panel holds (one column).

    Villages, program villages, months, deferrals, zero share, program villages' mean deferrals per village-month before
    launch.

    Parameters
    ----------
    pp : ProgramPanel
        The analysis panel (:func:`tppo_analysis.design.panel.program_panel`).

    Returns
    -------
    pandas.DataFrame
        One column of counts and rates.
    """
    d = pp.panel
    ever = d["first_treated"].notna()
    pre = ever & (d["month"] < d["first_treated"])
    rows = {
        "villages": d["village_code"].nunique(),
        "program villages": d.loc[ever, "village_code"].nunique(),
        "months": d["month"].nunique(),
        "first month": str(d["month"].min()),
        "deferrals": int(d["deferrals"].sum()),
        "share of program village-months with no deferral": round(float((d.loc[ever, "deferrals"] == 0).mean()), 3),
        "program villages: deferrals per village-month before launch": round(float(d.loc[pre, "deferrals"].mean()), 3),
    }
    return pd.DataFrame({pp.label: pd.Series(rows, dtype=object)})


def mark_eligible(pp: ProgramPanel, share: float = 0.1) -> pd.DataFrame:
    """Return the analysis panel with ``eligible``.

    Program villages and the never-designated villages in the top ``share`` of sending before the window (the pool among
    which designations are permuted).

    Parameters
    ----------
    pp : ProgramPanel
        The analysis panel (:func:`tppo_analysis.design.panel.program_panel`).
    share : float
        Share of never-designated villages (top senders before the window) in the permutation pool.

    Returns
    -------
    pandas.DataFrame
        The analysis panel with a boolean ``eligible`` column.
    """
    full, d = pp.full, pp.panel
    before = full[full["month"] < d["month"].min()]
    src = before if len(before) else d
    per = src.groupby("village_code", observed=True)["deferrals"].mean()
    cut = per.quantile(1 - share)
    ever = set(d.loc[d["first_treated"].notna(), "village_code"])
    top = set(per[per >= cut].index) | ever
    return d.assign(eligible=d["village_code"].isin(top))
