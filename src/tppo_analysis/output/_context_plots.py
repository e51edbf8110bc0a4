"""Figures of notebook 05: the event timeline, the scam-recruitment wave in the record's own figures, and rates.

Each function takes the tables the notebook shows (so the figure draws exactly what the reader saw) and returns
``(fig, ax)``; saving, with the structured caption fields, is the notebook's call to
:func:`tppo_analysis.output.plotting.save_figure`.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..record._figure_style import PALETTE, apply_style
from ._axes import FIGURE_EVENTS, coverage_gaps, plain_log_axis, time_axis

__all__ = ["plot_event_timeline", "plot_scam_wave", "plot_rates"]

_KIND_ORDER = ("closure", "reopening", "moratorium", "policy", "institution", "enforcement", "repatriation")


def plot_event_timeline(events: pd.DataFrame, *, start="2015-01-01", end="2026-01-01",
                        labels: Mapping[str, str] | None = None):  # fmt: skip
    """Draw the event timeline: a row per kind, spans as bars, dated events as diamonds, key events labelled.

    Filled marks concern all of Indonesia, open marks one destination (the ``scope`` column).
    """
    apply_style()
    labels = dict(FIGURE_EVENTS if labels is None else labels)
    fig, ax = plt.subplots(figsize=(10, 4.8))
    kinds = [k for k in _KIND_ORDER if k in set(events["kind"])]
    y_of = {k: i for i, k in enumerate(kinds)}
    for r in events.itertuples():
        y, national = y_of[r.kind], r.scope == "national"
        if pd.notna(r.end):
            ax.barh(y, (r.end - r.start).days + 1, left=r.start, height=0.5, lw=1.0, zorder=2,
                    color=PALETTE[0] if national else "white", edgecolor=PALETTE[0])  # fmt: skip
        else:
            ax.plot(r.start, y, marker="D", ms=6, ls="none", color=PALETTE[1], mew=1.2, zorder=3,
                    mfc=PALETTE[1] if national else "white")  # fmt: skip
        if r.event_id in labels:
            ax.annotate(labels[r.event_id], (r.start, y), xytext=(0, 9), textcoords="offset points", fontsize=7,
                        ha="center", va="bottom", color="#222222", zorder=4)  # fmt: skip
    ax.set_yticks(range(len(kinds)), kinds)
    ax.set_ylim(len(kinds) - 0.4, -0.8)
    context = time_axis(ax, start, end, events=False, event_frame=events)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("date (start of each event; spans to their end)")
    ax.set_title("Events around the deferral series: closures, reopenings, institutions, enforcement, returns",
                 loc="left")  # fmt: skip
    handles = [
        Patch(facecolor=PALETTE[0], edgecolor=PALETTE[0], label="span, all of Indonesia"),
        Patch(facecolor="white", edgecolor=PALETTE[0], label="span, one destination"),
        Line2D([], [], marker="D", ls="none", color=PALETTE[1], label="dated event, all of Indonesia"),
        Line2D([], [], marker="D", ls="none", color=PALETTE[1], mfc="white", label="dated event, one destination"),
        *context,
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=8)
    fig.tight_layout()
    return fig, ax


def plot_scam_wave(by_country: pd.DataFrame, cambodia: pd.DataFrame):
    """Draw the scam-recruitment wave in two panels: scam cases by country, and Cambodia on a log axis.

    ``by_country``: :func:`tppo_analysis.record.context.scam_cases_by_country`. ``cambodia``: rows with ``label``,
    ``value`` and ``figure_id`` (the notebook's table of Cambodia indicators), drawn as horizontal bars.
    """
    apply_style()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10.5, 4.0), gridspec_kw={"width_ratios": [1, 1.25]})
    c = by_country.sort_values("value")
    ax1.barh(c["destination"], c["value"], color=PALETTE[0], label="online-scam cases (Kemlu)")
    for y, (v, share) in enumerate(zip(c["value"], c["share_of_split"], strict=True)):
        ax1.text(v, y, f" {v:,} ({share:.0%})", va="center", fontsize=7)
    start, end = c["period_start"].iloc[0], c["period_end"].iloc[0]
    ax1.set_title(f"Scam cases by country, {start:%b %Y}–{end:%b %Y}", loc="left", fontsize=10)
    ax1.set_xlabel("Indonesians in online-scam cases handled by the foreign ministry")
    ax1.set_xlim(0, c["value"].max() * 1.35)
    ax1.grid(axis="y", visible=False)
    k = cambodia.reset_index(drop=True)
    ax2.barh(range(len(k)), k["value"], color=PALETTE[3], label="reported figure (log scale)")
    for y, (v, fid) in enumerate(zip(k["value"], k["figure_id"], strict=True)):
        ax2.text(v, y, f" {v:,} ({fid})", va="center", fontsize=7)
    ax2.set_yticks(range(len(k)), k["label"], fontsize=8)
    plain_log_axis(ax2, "x")
    ax2.set_xlim(10, k["value"].max() * 12)
    ax2.set_title("Cambodia: legal placements against presence", loc="left", fontsize=10)
    ax2.set_xlabel("persons or visits, as reported (log scale)")
    ax2.grid(axis="y", visible=False)
    fig.suptitle("The scam-recruitment wave in the record's own figures")
    fig.tight_layout()
    return fig, (ax1, ax2)


def plot_rates(table: pd.DataFrame, *, series: str = "national", start="2017-01-01", end="2026-01-01"):
    """Draw the rates of one series over time, one panel per rate: a bar over each window at the rate, with its interval.

    ``table``: :func:`tppo_analysis.record.rates.rate_table` (its ``rate_label`` titles the panels). Exact matches in
    blue, prorated denominators in orange; the spans without a rate are hatched; closures and key events come from
    :func:`time_axis`.
    """
    apply_style()
    table = table[(table["series"] == series) & table["estimate"].notna()]
    rates = list(dict.fromkeys(table["rate"]))
    labels = dict(zip(table["rate"], table["rate_label"], strict=True))
    fig, axes = plt.subplots(len(rates), 1, figsize=(9.5, 2.9 * len(rates) + 0.9), sharex=True, squeeze=False)
    context: list = []
    for i, (ax, rate) in enumerate(zip(axes[:, 0], rates, strict=True)):
        t = table[(table["rate"] == rate) & table["estimate"].notna()].sort_values("period_start")
        gaps = coverage_gaps(t, start, pd.Timestamp(end) - pd.Timedelta(days=1))
        context = time_axis(ax, start, end, no_data=gaps, no_data_label="no rate: no matching denominator",
                            label_events=i == 0)  # fmt: skip
        for r in t.itertuples():
            colour = PALETTE[1] if r.match == "prorated" else PALETTE[0]
            a, b = r.period_start, r.period_end + pd.Timedelta(days=1)
            ax.plot([a, b], [r.estimate, r.estimate], color=colour, lw=2.4, ls="-", solid_capstyle="butt")
            ax.errorbar([a + (b - a) / 2], [r.estimate], yerr=[[r.estimate - r.ci_lower], [r.ci_upper - r.estimate]],
                        color=colour, capsize=3, lw=1.2, ls="none")  # fmt: skip
        plain_log_axis(ax, "y")
        ax.set_ylim(t["ci_lower"].min() / 1.8, t["ci_upper"].max() * 1.8)
        ax.set_ylabel(labels[rate].replace(" per ", "\nper ", 1), fontsize=8)
        ax.set_title(f"{labels[rate][0].upper()}{labels[rate][1:]}", loc="left", fontsize=10)
    handles = [
        Line2D([], [], color=PALETTE[0], lw=2.4, marker="|", ms=9, label="rate over the window, 95% interval "
               "(windows match exactly)"),
        Line2D([], [], color=PALETTE[1], lw=2.4, marker="|", ms=9, label="rate, 95% interval with the proration "
               "band (denominator prorated by days)"),
        *context,
    ]  # fmt: skip
    axes[-1, 0].legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=2, fontsize=7)
    axes[-1, 0].set_xlabel("reference period of the deferral figures")
    fig.suptitle("Deferrals per unit of exposure, where the record reports a denominator")
    fig.tight_layout()
    return fig, axes[:, 0]
