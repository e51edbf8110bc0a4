"""Turn the public record into consistent interval observations, with an audit of every input figure.

The record is messy in three ways: officials revise figures (several *vintages* of the same window), they report
"1 January to date" snapshots that nest inside each other and around monthly figures, and outlets conflict. The
interval models need, per (series, measure), observations whose windows do not overlap (an overlap would count the
same people twice). :func:`reconcile` applies these stated rules, in this order, within each (series, measure):

1. **Undefined windows are set aside.** A figure whose source states no start ("to date") has no window.
2. **Vintage rule.** Figures for exactly the same window are one quantity: keep the latest published
   (``vintage="latest"``, default) or the earliest (``"earliest"``); the others are set aside as superseded (or as
   duplicates when equal). A partial publication date (``2024-12`` or ``2024``) counts as its first day; a blank
   one as the window's end; remaining ties go to the later figure ID (the later compiled).
3. **Disjoint intervals.** Windows are then taken from the shortest to the longest. A window that overlaps no kept
   window is kept. A window that contains kept windows and overlaps no other:
   * if the part it does not share with them is empty, it is a check: equal totals -> set aside as *implied by*
     its components; unequal -> set aside as a *conflict*;
   * if that part is one contiguous interval and the difference is >= 0, an observation is *derived* for it
     (value = the figure minus its components; ``figure_ids`` names all of them);
   * if that part is not contiguous (a short window strictly inside a long one), the long window's total is kept
     and the nested windows are set aside (``nested inside``), so no total is lost;
   * a negative difference is a conflict: set aside;
   * a derived remainder whose daily rate is more than ``max_rate_ratio`` (default 10) times, or less than
     1/``max_rate_ratio`` of, the daily rate of its components is implausible (typically two vintages or two
     definitions mixed): the long window is set aside. The check needs components covering at least 28 days and
     a positive rate; shorter or zero components are too noisy to judge by.
   A window that partly overlaps a kept window is a conflict: set aside (``conflicts="set_aside"``, default), or —
   for robustness checks — kept in place of the windows it overlaps (``conflicts="prefer_longer"``).

Before these rules, figures named in the committed override table ``data/reference/reconciliation_overrides.csv``
are set aside with the table's reason: a short, reviewable list of judgments the mechanical rules cannot make (two
internally consistent releases that contradict each other). Pass ``overrides=False`` to ignore it.

The audit has exactly one row per input figure: status ``kept``, ``derived`` or ``set_aside`` with the reason and
the observation it went into, so its counts add up to the input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from ..errors import TppoError
from .reconciled import Reconciliation, describe_change

__all__ = ["reconcile", "Reconciliation", "describe_change", "OBS_COLUMNS", "AUDIT_COLUMNS"]

OBS_COLUMNS = (
    "series",
    "measure",
    "period_start",
    "period_end",
    "value",
    "figure_ids",
    "n_figures",
    "rule",
    "obs_id",
)
AUDIT_COLUMNS = ("figure_id", "series", "measure", "status", "reason", "obs_id")

Vintage = Literal["latest", "earliest"]
Conflicts = Literal["set_aside", "prefer_longer"]


@dataclass
class _Obs:
    start: pd.Timestamp
    end: pd.Timestamp
    value: int
    figure_ids: list[str]
    rule: str
    owner: str  # the figure whose status this observation determines
    components: list[_Obs] = field(default_factory=list)

    @property
    def days(self) -> int:
        return int((self.end - self.start).days) + 1


def _day(ts: pd.Timestamp) -> pd.Timedelta:
    return pd.Timedelta(days=1)


def reconcile(
    figures: pd.DataFrame,
    *,
    vintage: Vintage = "latest",
    conflicts: Conflicts = "set_aside",
    measures: list[str] | None = None,
    max_rate_ratio: float = 10.0,
    overrides: pd.DataFrame | bool = True,
) -> Reconciliation:
    """Consistent, non-overlapping interval observations per (series, measure), and the audit.

    Parameters
    ----------
    figures : pandas.DataFrame
        The frame returned by :func:`tppo_analysis.load_public_record`.
    vintage : {"latest", "earliest"}
        Which of several figures for the same window to keep: ``"latest"`` published (default) or ``"earliest"``.
    conflicts : {"set_aside", "prefer_longer"}
        ``"set_aside"`` (default) sets aside a window that partly overlaps a kept one; ``"prefer_longer"`` keeps
        the longer window and sets aside what it overlaps (a robustness alternative, not the default reading).
    overrides : bool or pandas.DataFrame
        ``True`` (default): apply ``data/reference/reconciliation_overrides.csv``; ``False``: none; or a frame with
        columns ``figure_id``, ``action`` (``set_aside``) and ``reason``. With ``conflicts="prefer_longer"`` and
        ``overrides=False`` every figure the default reading sets aside for a conflict gets a chance: the
        "with set-aside figures" robustness variant.
    max_rate_ratio : float
        Plausibility bound for derived remainders (see rule 3); ``float("inf")`` disables it.
    measures : list of str, optional
        Restrict to these measures (default: all). Figures of other measures still get an audit row
        (``set_aside``, "measure not requested").

    Returns
    -------
    Reconciliation
        ``observations``: columns ``series``, ``measure``, ``period_start``, ``period_end`` (inclusive dates),
        ``value`` (persons or the measure's unit over the window), ``figure_ids`` (";"-joined), ``n_figures``,
        ``rule`` (``reported`` or ``derived: A minus B;C``), ``obs_id``, sorted by series, measure, period_start;
        ``audit``: one row per input figure, ``figure_id``, ``series``, ``measure``, ``status``
        (kept / derived / set_aside), ``reason``, ``obs_id`` (empty when set aside); with ``coverage()``,
        ``set_aside()``, ``summary()`` and ``plot_windows()``. It unpacks as before: ``obs, audit = reconcile(...)``.
    """
    if vintage not in ("latest", "earliest"):
        raise TppoError(f"vintage must be 'latest' or 'earliest', not {vintage!r}")
    if conflicts not in ("set_aside", "prefer_longer"):
        raise TppoError(f"conflicts must be 'set_aside' or 'prefer_longer', not {conflicts!r}")
    required = {"figure_id", "measure", "series", "value", "period_start", "period_end", "start_stated", "published"}
    missing = required - set(figures.columns)
    if missing:
        raise TppoError(f"reconcile needs the frame from load_public_record(); missing columns: {sorted(missing)}")
    if figures["figure_id"].duplicated().any():
        dups = figures.loc[figures["figure_id"].duplicated(), "figure_id"].tolist()
        raise TppoError(f"reconcile: duplicated figure IDs {dups[:5]}")

    status: dict[str, tuple[str, str]] = {}
    table = _load_overrides(overrides)
    overridden = figures["figure_id"].isin(table["figure_id"])
    for fid, reason in zip(table["figure_id"], table["reason"], strict=True):
        if fid in set(figures["figure_id"]):
            status[fid] = ("set_aside", f"override: {reason}")
    obs_rows: list[dict] = []
    for (series, measure), group in figures[~overridden].groupby(["series", "measure"], sort=True, dropna=False):
        if measures is not None and measure not in measures:
            for fid in group["figure_id"]:
                status[fid] = ("set_aside", "measure not requested")
            continue
        kept = _reconcile_group(group, vintage, conflicts, status, max_rate_ratio)
        for ob in sorted(kept, key=lambda o: (o.start, o.end)):
            obs_rows.append(
                {
                    "series": series,
                    "measure": measure,
                    "period_start": ob.start,
                    "period_end": ob.end,
                    "value": int(ob.value),
                    "figure_ids": ";".join(ob.figure_ids),
                    "n_figures": len(ob.figure_ids),
                    "rule": ob.rule,
                    "_owner": ob.owner,
                }
            )

    obs = pd.DataFrame(obs_rows, columns=[*OBS_COLUMNS[:-1], "_owner"])
    obs = obs.sort_values(["series", "measure", "period_start"], kind="stable").reset_index(drop=True)
    obs["obs_id"] = [f"OBS-{i + 1:04d}" for i in range(len(obs))]
    owner_obs = dict(zip(obs["_owner"], obs["obs_id"], strict=True))
    component_obs: dict[str, str] = {}
    for row in obs.itertuples():
        for fid in row.figure_ids.split(";"):
            component_obs.setdefault(fid, row.obs_id)
    obs = obs.drop(columns="_owner")
    obs["value"] = obs["value"].astype("int64")
    obs["n_figures"] = obs["n_figures"].astype("int64")

    audit_rows = []
    for row in figures.itertuples():
        st, reason = status.get(row.figure_id, ("set_aside", "not reached (internal)"))
        obs_id = owner_obs.get(row.figure_id, component_obs.get(row.figure_id, "")) if st != "set_aside" else ""
        audit_rows.append((row.figure_id, row.series, row.measure, st, reason, obs_id))
    audit = pd.DataFrame(audit_rows, columns=list(AUDIT_COLUMNS))
    assert len(audit) == len(figures)
    options: dict[str, object] = {"vintage": vintage, "conflicts": conflicts, "max_rate_ratio": max_rate_ratio}
    if measures is not None:
        options["measures"] = list(measures)
    if not isinstance(overrides, bool):
        options["overrides"] = f"{len(overrides)} rows given"
    elif not overrides:
        options["overrides"] = False
    return Reconciliation(obs, audit, figures, options)


def _load_overrides(overrides: pd.DataFrame | bool) -> pd.DataFrame:
    empty = pd.DataFrame({"figure_id": [], "action": [], "reason": []})
    if overrides is False:
        return empty
    if overrides is True:
        from .. import paths

        path = paths.repo_root() / "data" / "reference" / "reconciliation_overrides.csv"
        if not path.exists():
            return empty
        overrides = pd.read_csv(path, dtype=str, keep_default_na=False)
    bad = set(overrides["action"]) - {"set_aside"}
    if bad:
        raise TppoError(f"reconciliation overrides: unknown action(s) {sorted(bad)}; only 'set_aside' is allowed")
    return overrides


def _pub_key(row, vintage: Vintage) -> tuple:
    pub = row.published if pd.notna(row.published) else row.period_end
    order = int(row.figure_id.split("-")[1])
    return (pub, order)


def _reconcile_group(
    group: pd.DataFrame,
    vintage: Vintage,
    conflicts: Conflicts,
    status: dict[str, tuple[str, str]],
    max_rate_ratio: float,
) -> list[_Obs]:
    # 1. undefined windows
    defined = []
    for row in group.itertuples():
        if not row.start_stated or pd.isna(row.period_start):
            status[row.figure_id] = ("set_aside", "window undefined: the source states no start date")
        else:
            defined.append(row)

    # 2. vintage rule within identical windows
    by_window: dict[tuple, list] = {}
    for row in defined:
        by_window.setdefault((row.period_start, row.period_end), []).append(row)
    candidates: list[_Obs] = []
    for (start, end), rows in by_window.items():
        rows = sorted(rows, key=lambda r: _pub_key(r, vintage))
        chosen = rows[-1] if vintage == "latest" else rows[0]
        for r in rows:
            if r is chosen:
                continue
            if r.value == chosen.value:
                status[r.figure_id] = ("set_aside", f"duplicate of {chosen.figure_id} (same window and value)")
            else:
                status[r.figure_id] = (
                    "set_aside",
                    f"superseded by {chosen.figure_id} ({vintage} vintage rule: {r.value} -> {chosen.value})",
                )
        candidates.append(_Obs(start, end, int(chosen.value), [chosen.figure_id], "reported", chosen.figure_id))
        status[chosen.figure_id] = ("kept", "reported window")

    # 3. disjoint intervals, shortest windows first
    kept: list[_Obs] = []
    for cand in sorted(candidates, key=lambda o: (o.days, o.start, o.owner)):
        inside = [k for k in kept if k.start >= cand.start and k.end <= cand.end]
        partial = [k for k in kept if k not in inside and k.start <= cand.end and k.end >= cand.start]
        if partial:
            if conflicts == "prefer_longer" and all(k.days <= cand.days for k in partial):
                for k in partial + inside:
                    _drop(k, kept, status, f"overlapped by the longer window {cand.owner} (conflicts='prefer_longer')")
                kept.append(cand)
                continue
            partial_ids = ", ".join(k.owner for k in partial)
            status[cand.owner] = ("set_aside", f"conflict: window partly overlaps {partial_ids}")
            continue
        if not inside:
            kept.append(cand)
            continue
        covered = sum(k.value for k in inside)
        gaps = _uncovered(cand, inside)
        comp_ids = ";".join(k.owner for k in sorted(inside, key=lambda o: o.start))
        residual = cand.value - covered
        if not gaps and residual == 0:
            status[cand.owner] = ("set_aside", f"implied by {comp_ids} (totals agree: {covered})")
            continue
        if not gaps or residual < 0:  # the nested figures contradict the long window's total
            relation = "not" if not gaps else "more than"
            if conflicts == "prefer_longer":
                for k in inside:
                    _drop(
                        k,
                        kept,
                        status,
                        f"nested inside {cand.owner}, whose total disagrees (conflicts='prefer_longer')",
                    )
                kept.append(cand)
            else:
                status[cand.owner] = (
                    "set_aside",
                    f"conflict: nested figures {comp_ids} sum to {covered}, {relation} {cand.value}",
                )
            continue
        if len(gaps) == 1:
            g_start, g_end = gaps[0]
            comp_rate = covered / sum(k.days for k in inside)
            gap_rate = residual / ((g_end - g_start).days + 1)
            comp_days = sum(k.days for k in inside)
            if (
                comp_days >= 28
                and comp_rate > 0
                and not (comp_rate / max_rate_ratio <= gap_rate <= comp_rate * max_rate_ratio)
            ):
                status[cand.owner] = (
                    "set_aside",
                    f"implausible remainder: {residual} over {g_start:%Y-%m-%d}..{g_end:%Y-%m-%d} is "
                    f"{gap_rate:.1f}/day against {comp_rate:.1f}/day in {comp_ids} (limit x{max_rate_ratio:g})",
                )
                continue
            ids = [cand.owner] + [k.owner for k in sorted(inside, key=lambda o: o.start)]
            derived = _Obs(
                g_start, g_end, residual, ids, f"derived: {cand.owner} minus {comp_ids}", cand.owner, components=inside
            )
            kept.append(derived)
            status[cand.owner] = (
                "derived",
                f"remainder {g_start:%Y-%m-%d}..{g_end:%Y-%m-%d} = {cand.value} minus {comp_ids}",
            )
            continue
        # non-contiguous remainder: keep the long window's total, set the nested ones aside
        for k in inside:
            _drop(
                k,
                kept,
                status,
                f"nested inside {cand.owner}, whose remainder is not one interval; the longer total is kept",
            )
        kept.append(cand)
    return kept


def _drop(ob: _Obs, kept: list[_Obs], status: dict[str, tuple[str, str]], reason: str) -> None:
    kept.remove(ob)
    status[ob.owner] = ("set_aside", reason)


def _uncovered(cand: _Obs, inside: list[_Obs]) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Maximal sub-intervals of ``cand`` covered by none of ``inside`` (which are disjoint)."""
    gaps = []
    cursor = cand.start
    one = pd.Timedelta(days=1)
    for k in sorted(inside, key=lambda o: o.start):
        if k.start > cursor:
            gaps.append((cursor, k.start - one))
        cursor = max(cursor, k.end + one)
    if cursor <= cand.end:
        gaps.append((cursor, cand.end))
    return gaps
