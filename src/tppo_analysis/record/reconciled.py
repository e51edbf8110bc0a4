"""What :func:`~tppo_analysis.record.reconciliation.reconcile` returns: observations, audit and the views on them.

:class:`Reconciliation` holds the reconciled observations and the audit (one row per input figure) with the input
frame, and answers the questions a reader asks of them: how much of each series the windows cover
(:meth:`~Reconciliation.coverage`), which figures were set aside and why (:meth:`~Reconciliation.set_aside`), a
small deterministic :meth:`~Reconciliation.summary` and a timeline of the reported windows
(:meth:`~Reconciliation.plot_windows`). It still unpacks as the old pair, ``obs, audit = tppo.reconcile(figures)``,
and ``result[0]`` is the observations, so existing callers keep working.

:func:`describe_change` says in words what adding one figure did to the reconciliation (``tppo add-figure`` prints
it): a new window, a new vintage superseding an older one, a derived remainder, or a conflict set aside.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from ..errors import TppoError
from ..protocol import Summary

__all__ = ["Reconciliation", "describe_change", "COVERAGE_COLUMNS"]

#: Columns of :meth:`Reconciliation.coverage`.
COVERAGE_COLUMNS = (
    "series",
    "series_label",
    "measure",
    "observations",
    "days_covered",
    "first_day",
    "last_day",
    "complete_months",
    "share_of_span_covered",
)


def _label(key: str) -> str:
    from ..sources.labels import series_label

    try:
        return series_label(key)
    except TppoError:
        return key


class Reconciliation:
    """Reconciled interval observations of the public record, with the audit of every input figure.

    Parameters
    ----------
    observations : pandas.DataFrame
        Non-overlapping windows per (series, measure); columns of
        :data:`~tppo_analysis.record.reconciliation.OBS_COLUMNS`.
    audit : pandas.DataFrame
        One row per input figure; columns of :data:`~tppo_analysis.record.reconciliation.AUDIT_COLUMNS`.
    figures : pandas.DataFrame
        The input frame (from :func:`~tppo_analysis.load_public_record`).
    options : dict
        The options :func:`~tppo_analysis.record.reconciliation.reconcile` was called with (shown in the summary).
    """

    def __init__(self, observations: pd.DataFrame, audit: pd.DataFrame, figures: pd.DataFrame, options: dict):
        self.observations = observations
        self.audit = audit
        self.figures = figures
        self.options = dict(options)

    def _label(self, key: str) -> str:
        """Return the series label the loaded record carries for ``key`` (else the committed alias table's)."""
        if "series_label" in self.figures.columns:
            hit = self.figures.loc[self.figures["series"] == key, "series_label"]
            if len(hit) and isinstance(hit.iloc[0], str):
                return hit.iloc[0]
        return _label(key)

    def __len__(self) -> int:
        """Return 2: the result unpacks as ``(observations, audit)``."""
        return 2

    def __getitem__(self, i: int) -> pd.DataFrame:
        """Return the observations (``0``) or the audit (``1``)."""
        return (self.observations, self.audit)[i]

    def __iter__(self) -> Iterator[pd.DataFrame]:
        """Yield the observations, then the audit."""
        yield self.observations
        yield self.audit

    def __repr__(self) -> str:
        """Return the summary text."""
        return self.summary().text

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    def coverage(self, pairs: Iterable[tuple[str, str]] | None = None) -> pd.DataFrame:
        """Return how much of each series the reconciled windows cover.

        Parameters
        ----------
        pairs : iterable of (str, str), optional
            The (series, measure) pairs to describe (default: every pair with an observation).

        Returns
        -------
        pandas.DataFrame
            Columns :data:`COVERAGE_COLUMNS`: observations, days covered, first and last day, complete calendar
            months, and ``share_of_span_covered``, the share of days between the first and last observed day that
            some window covers (the rest is silence in the record).
        """
        obs = self.observations
        if pairs is None:
            pairs = obs[["series", "measure"]].drop_duplicates().itertuples(index=False, name=None)
        rows = []
        for series, measure in pairs:
            g = obs[(obs["series"] == series) & (obs["measure"] == measure)]
            if g.empty:
                rows.append((series, self._label(series), measure, 0, 0, pd.NaT, pd.NaT, 0, float("nan")))
                continue
            days = int(((g["period_end"] - g["period_start"]).dt.days + 1).sum())
            span = int((g["period_end"].max() - g["period_start"].min()).days) + 1
            whole = (g["period_start"].dt.day == 1) & (g["period_end"] == g["period_start"] + pd.offsets.MonthEnd(0))
            rows.append(
                (series, self._label(series), measure, len(g), days, g["period_start"].min(), g["period_end"].max(),
                 int(whole.sum()), round(days / span, 3))
            )  # fmt: skip
        return pd.DataFrame(rows, columns=list(COVERAGE_COLUMNS))

    def result_tables(self, pairs: Iterable[tuple[str, str]] | None = None) -> dict[str, pd.DataFrame]:
        """Return notebook 00's three published tables, each with ``reliability`` and ``note`` columns.

        ``00_reconciled_observations`` (each window: one reported figure, or a remainder of nested cumulative
        figures), ``00_reconciliation_audit`` (each figure: kept or set aside, and why) and
        ``00_coverage_key_series`` (:meth:`coverage` of ``pairs``). The reconciliation's own frames are not changed.

        Parameters
        ----------
        pairs : iterable of (str, str), optional
            The (series, measure) pairs of the coverage table (default: every pair with an observation).
        """
        obs = self.observations.copy()
        derived = obs["rule"].astype(str).str.startswith("derived")
        obs["reliability"] = np.where(
            derived,
            "remainder: a published cumulative figure minus the published figures nested in it (rounding in "
            "either carries over)",
            "one published figure, as reported",
        )
        obs["note"] = ""
        audit = self.audit.copy()
        audit["reliability"] = np.where(
            audit["status"] == "kept",
            "used in a reconciled window",
            "not used in any reconciled window (reason given)",
        )
        audit["note"] = ""
        cov = self.coverage(pairs)
        cov["reliability"] = [f"{n} reconciled windows" if n else "no usable window" for n in cov["observations"]]
        cov["note"] = np.where(cov["observations"] == 0, "no figure of this series is usable (set aside or absent)", "")
        return {
            "00_reconciled_observations": obs,
            "00_reconciliation_audit": audit,
            "00_coverage_key_series": cov,
        }

    def set_aside(self, measure_groups: Iterable[str] | None = None) -> pd.DataFrame:
        """Return the figures set aside, with their window, value, outlet and the reason.

        Parameters
        ----------
        measure_groups : iterable of str, optional
            Keep only these measure groups, e.g. ``("departure", "passport")`` (default: every group).

        Returns
        -------
        pandas.DataFrame
            ``figure_id``, ``series``, ``series_label``, ``measure``, ``period_start``, ``period_end``, ``value``,
            ``source_outlet``, ``reason``; nothing set aside is deleted from the record.
        """
        cols = ["figure_id", "measure_group", "period_start", "period_end", "value", "source_outlet"]
        merged = self.audit.merge(self.figures[cols], on="figure_id", how="left")
        out = merged[merged["status"] == "set_aside"]
        if measure_groups is not None:
            out = out[out["measure_group"].isin(list(measure_groups))]
        out = out.assign(series_label=out["series"].map(self._label))
        keep = ["figure_id", "series", "series_label", "measure", "period_start", "period_end", "value"]
        keep += ["source_outlet", "reason"]
        return out[keep].sort_values(["series", "measure", "period_end", "figure_id"]).reset_index(drop=True)

    def summary(self) -> Summary:
        """Return figures by audit status and the number of observations: small and deterministic.

        Returns
        -------
        Summary
            Counts of kept, derived and set-aside figures (they add up to the input) and of observations; the
            options in the notes.
        """
        counts = self.audit["status"].value_counts()
        table = pd.DataFrame(
            {
                "status": ["kept", "derived", "set aside", "figures", "observations"],
                "count": [
                    int(counts.get("kept", 0)),
                    int(counts.get("derived", 0)),
                    int(counts.get("set_aside", 0)),
                    len(self.audit),
                    len(self.observations),
                ],
            }
        )
        notes = tuple(f"{k} = {v!r}" for k, v in sorted(self.options.items()))
        return Summary("Reconciliation of the public record", table, notes)

    def plot_windows(self, ax: Any = None, pairs: Iterable[tuple[str, str]] | None = None) -> tuple[Any, Any]:
        """Draw the reported windows of the key series, coloured by how the reconciliation used each figure.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Draw here (default: a new figure).
        pairs : iterable of (str, str), optional
            The (series, measure) bands (default: :data:`~tppo_analysis.record.summary.KEY_SERIES`).

        Returns
        -------
        tuple
            ``(fig, ax)``.
        """
        from .summary import KEY_SERIES, plot_reported_windows

        fig = plot_reported_windows(self.figures, self.audit, pairs=tuple(pairs or KEY_SERIES), ax=ax)
        return fig, (fig.axes[0] if ax is None else ax)

    def plot(self, ax: Any = None) -> tuple[Any, Any]:
        """Draw the reported windows (same as :meth:`plot_windows`).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Draw here (default: a new figure).

        Returns
        -------
        tuple
            ``(fig, ax)``.
        """
        return self.plot_windows(ax=ax)


def describe_change(before: Reconciliation, after: Reconciliation, figure_id: str) -> str:
    """Say in words what adding one figure did to the reconciliation.

    Parameters
    ----------
    before, after : Reconciliation
        The reconciliation without and with the figure.
    figure_id : str
        The added figure.

    Returns
    -------
    str
        Its status and reason, the windows of its (series, measure) that appeared or disappeared, and the other
        figures whose status changed (e.g. a vintage it supersedes).

    Raises
    ------
    TppoError
        When ``figure_id`` is not in ``after``.
    """
    hit = after.audit.loc[after.audit["figure_id"] == figure_id]
    if hit.empty:
        raise TppoError(f"{figure_id} is not in the reconciled record")
    row = hit.iloc[0]
    series, measure = row["series"], row["measure"]
    lines = [
        f"{figure_id} in {after._label(series)} ({series}), {measure}: {row['status'].replace('_', ' ')} — {row['reason']}"
    ]

    def windows(rec: Reconciliation) -> set[tuple]:
        o = rec.observations
        o = o[(o["series"] == series) & (o["measure"] == measure)]
        return set(zip(o["period_start"].dt.date, o["period_end"].dt.date, o["value"], o["figure_ids"], strict=True))

    old, new = windows(before), windows(after)
    for start, end, value, ids in sorted(new - old):
        lines.append(f"  + window {start} .. {end}: {value} (from {ids})")
    for start, end, value, ids in sorted(old - new):
        lines.append(f"  - window {start} .. {end}: {value} (from {ids}) no longer used")
    was = before.audit.set_index("figure_id")["status"]
    now = after.audit.set_index("figure_id")
    for fid in sorted(set(was.index) & set(now.index)):
        if was[fid] != now.at[fid, "status"]:
            lines.append(
                f"  {fid}: {was[fid].replace('_', ' ')} -> {now.at[fid, 'status'].replace('_', ' ')} "
                f"({now.at[fid, 'reason']})"
            )
    if old == new:
        lines.append("  the reconciled windows of this series are unchanged")
    return "\n".join(lines)
