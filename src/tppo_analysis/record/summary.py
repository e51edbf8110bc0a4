"""Summaries and figures of the public record itself: what was reported, by whom, for which windows.

These describe the *record* (already-public figures, exempt from small-cell suppression), not the phenomenon:
a gap in the record is a gap in what officials said publicly, not a month without deferrals.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..sources.labels import (
    MEASURE_LABEL_FILE,
    measure_label,
    measure_labels,
    plain_label,
    series_label,
    series_labels,
)
from ..sources.public_record import record_files
from ._figure_style import STATUS_COLOURS, apply_style, time_axis

__all__ = [
    "KEY_SERIES",
    "MEASURE_LABEL_FILE",
    "series_label",
    "measure_label",
    "plain_label",
    "series_labels",
    "measure_labels",
    "figures_by_year",
    "sources_by_measure_group",
    "program_counts",
    "record_files",
    "coverage_table",
    "audit_summary",
    "set_aside_table",
    "plot_reported_windows",
]

#: The series × measure pairs the trend questions rest on.
KEY_SERIES: tuple[tuple[str, str], ...] = (
    ("national", "dep_deferral_wni_pmi_suspected"),
    ("national", "passport_deferral_pmi_suspected"),
    ("tpi:soekarno-hatta", "dep_deferral_wni_pmi_suspected"),
    ("tpi:batam-seaports", "dep_deferral_wni_pmi_suspected"),
    ("tpi:juanda", "dep_deferral_wni_pmi_suspected"),
    ("tpi:tanjungbalai-karimun", "dep_deferral_wni_pmi_suspected"),
    ("tpi:tunon-taka", "dep_deferral_wni_pmi_suspected"),
)

_STATUS_COLOURS = STATUS_COLOURS


def figures_by_year(figures: pd.DataFrame) -> pd.DataFrame:
    """Count the reported figures per measure group (rows) and year of ``period_end`` (columns).

    Parameters
    ----------
    figures : pandas.DataFrame
        The public record (:func:`~tppo_analysis.load_public_record`).

    Returns
    -------
    pandas.DataFrame
        Counts by measure group and year, with a ``total`` column.
    """
    table = pd.crosstab(figures["measure_group"], figures["period_end"].dt.year)
    table.columns = [str(c) for c in table.columns]
    table.columns.name = "year of period_end"
    table["total"] = table.sum(axis=1)
    return table


def sources_by_measure_group(figures: pd.DataFrame) -> pd.DataFrame:
    """Count figures and outlets per measure group, and the share of figures that cite a URL.

    Parameters
    ----------
    figures : pandas.DataFrame
        The public record (:func:`~tppo_analysis.load_public_record`).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``measure_group``: ``figures``, ``outlets``, ``share_with_url``.
    """
    grouped = figures.groupby("measure_group")
    table = grouped["source_outlet"].agg(figures="size", outlets="nunique")
    table["share_with_url"] = grouped["source_url"].apply(lambda s: round(float((s != "").mean()), 3))
    return table


def program_counts(figures: pd.DataFrame, series: str = "national") -> pd.DataFrame:
    """List the counts of Desa Binaan villages stated in public for one series, in date order.

    Parameters
    ----------
    figures : pandas.DataFrame
        The public record.
    series : str
        The series key (``national`` by default).

    Returns
    -------
    pandas.DataFrame
        ``figure_id``, ``period_end``, ``value``, ``source_outlet``, ``source_url``.
    """
    rows = figures[(figures["measure"] == "desa_binaan_count_cumulative") & (figures["series"] == series)]
    cols = ["figure_id", "period_end", "value", "source_outlet", "source_url"]
    return rows.sort_values("period_end")[cols].reset_index(drop=True)


def coverage_table(obs: pd.DataFrame, pairs=KEY_SERIES) -> pd.DataFrame:
    """Tabulate, for each key (series, measure), the reconciled observations, days covered, first and last day, complete months.

    ``share_of_span_covered`` is the share of days between the first and last observed day that lie inside some
    reconciled window — the rest is what the record is silent about.

    Parameters
    ----------
    obs : pandas.DataFrame
        Reconciled observations.
    pairs : sequence of tuple of str
        The (series, measure) pairs shown (default :data:`KEY_SERIES`).

    Returns
    -------
    pandas.DataFrame
        One row per pair.
    """
    rows = []
    for series, measure in pairs:
        g = obs[(obs["series"] == series) & (obs["measure"] == measure)]
        if g.empty:
            rows.append((series, measure, 0, 0, pd.NaT, pd.NaT, 0, np.nan))
            continue
        days = int(((g["period_end"] - g["period_start"]).dt.days + 1).sum())
        span = int((g["period_end"].max() - g["period_start"].min()).days) + 1
        whole_month = (g["period_start"].dt.day == 1) & (g["period_end"] == g["period_start"] + pd.offsets.MonthEnd(0))
        rows.append(
            (
                series,
                measure,
                len(g),
                days,
                g["period_start"].min(),
                g["period_end"].max(),
                int(whole_month.sum()),
                round(days / span, 3),
            )
        )
    return pd.DataFrame(
        rows,
        columns=[
            "series",
            "measure",
            "observations",
            "days_covered",
            "first_day",
            "last_day",
            "complete_months",
            "share_of_span_covered",
        ],
    )


def audit_summary(audit: pd.DataFrame) -> pd.DataFrame:
    """Count the audit rows by status and the reason's kind (its first words); the total equals the input figures.

    Parameters
    ----------
    audit : pandas.DataFrame
        The reconciliation audit (one row per figure).

    Returns
    -------
    pandas.DataFrame
        ``status``, ``reason_kind``, ``figures``.
    """
    kind = audit["reason"].str.extract(r"^([a-z ]+?)(?::| by| of| inside| \(|$)", expand=False).fillna("other")
    table = (
        audit.assign(reason_kind=kind.str.strip())
        .groupby(["status", "reason_kind"])
        .size()
        .rename("figures")
        .reset_index()
    )
    return table.sort_values(["status", "figures"], ascending=[True, False]).reset_index(drop=True)


def set_aside_table(
    audit: pd.DataFrame, figures: pd.DataFrame, measure_groups=("departure", "passport")
) -> pd.DataFrame:
    """List the set-aside deferral figures with their window, value, outlet and reason (for the reader to judge).

    Parameters
    ----------
    audit : pandas.DataFrame
        The reconciliation audit (one row per figure).
    figures : pandas.DataFrame
        The public record (:func:`~tppo_analysis.load_public_record`).
    measure_groups : tuple of str
        The measure groups listed.

    Returns
    -------
    pandas.DataFrame
        One row per set-aside figure.
    """
    merged = audit.merge(
        figures[["figure_id", "measure_group", "period_start", "period_end", "value", "source_outlet"]], on="figure_id"
    )
    out = merged[(merged["status"] == "set_aside") & merged["measure_group"].isin(measure_groups)]
    cols = ["figure_id", "series", "measure", "period_start", "period_end", "value", "source_outlet", "reason"]
    return out[cols].sort_values(["series", "measure", "period_end", "figure_id"]).reset_index(drop=True)


def plot_reported_windows(
    figures: pd.DataFrame,
    audit: pd.DataFrame,
    pairs=KEY_SERIES,
    start: str = "2017-01-01",
    end: str = "2025-12-31",
    ax=None,
):
    """Draw the timeline: one horizontal bar per reported window, one band per key series, coloured by audit status.

    Figures without a stated start are drawn as a dot at their end date. Bands are labelled with the plain series
    label (:func:`series_label`); the time axis shows the border closures and key events
    (:func:`tppo_analysis.record._figure_style.time_axis`).

    Parameters
    ----------
    figures : pandas.DataFrame
        The public record (:func:`~tppo_analysis.load_public_record`).
    audit : pandas.DataFrame
        The reconciliation audit (one row per figure).
    pairs : sequence of tuple of str
        The (series, measure) pairs shown (default :data:`KEY_SERIES`).
    start : str
        First day of the time axis.
    end : str
        Last day of the time axis.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: a new figure).

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.
    """
    apply_style()
    status = audit.set_index("figure_id")["status"]
    if ax is None:
        fig, ax = plt.subplots(figsize=(10, 0.55 * len(pairs) + 1.8))
    else:
        fig = ax.figure
    labels = []
    for band, (series, measure) in enumerate(pairs):
        g = figures[(figures["series"] == series) & (figures["measure"] == measure)].sort_values(
            ["period_start", "period_end"]
        )
        n = max(len(g), 1)
        for j, row in enumerate(g.itertuples()):
            y = band + 0.8 * (j / n) - 0.4
            colour = _STATUS_COLOURS[status.get(row.figure_id, "set_aside")]
            if pd.isna(row.period_start):
                ax.plot(row.period_end, y, "o", ms=3, color=colour)
            else:
                width = (row.period_end - row.period_start).days + 1
                ax.barh(y, width, left=row.period_start, height=0.8 / n, color=colour, edgecolor="none")
        labels.append(f"{series_label(series)}\n({measure_label(measure, short=True)}, {len(g)} figures)")
    ax.set_yticks(range(len(pairs)), labels, fontsize=8)
    ax.invert_yaxis()
    context = time_axis(ax, pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1))
    ax.set_xlabel("reference period of each reported figure (calendar date)")
    ax.set_title("What was reported, for which windows: deferrals of suspected non-procedural migrant workers")
    ax.legend(
        handles=[Patch(color=c, label=s.replace("_", " ")) for s, c in _STATUS_COLOURS.items()]
        + [Line2D([], [], marker="o", ls="none", ms=3, color="#000000", label="no stated start (dot at end date)")]
        + context,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12),
        ncol=3,
        fontsize=8,
        title="reconciliation and context",
        title_fontsize=8,
    )
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    n_figures = int(sum(((figures["series"] == s) & (figures["measure"] == m)).sum() for s, m in pairs))
    fig.tppo_fields = {  # type: ignore[attr-defined]  # the structured caption fields, read by save_figure
        "series": [plain_label(s, m, short=True) for s, m in pairs],
        "period": f"{pd.Timestamp(start):%b %Y} – {pd.Timestamp(end):%b %Y}",
        "n": f"{n_figures} reported figures",
        "interval": "none (reported windows as published)",
        "caveat": "a gap is a gap in what officials said in public, not a period without deferrals",
    }
    return fig
