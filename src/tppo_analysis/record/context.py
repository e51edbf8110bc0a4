"""Context from the record's own figures: the scam-recruitment wave, destinations, other agencies' counts.

The deferral series are read against what else officials said in public over the same years. Every row returned
here is a row of ``data/public/public_reported_figures.csv`` (with its ``figure_id``, outlet and URL), never an
estimate: these are statements, so comparisons between them are indicative. ``data/reference/CONTEXT_NOTES.md``
gives the reading; :mod:`tppo_analysis.sources.events` gives the dated events.

Written by hand: a handful of filters and group-bys over the record, specific to its vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

from ..errors import TppoError

__all__ = [
    "CONTEXT_MEASURES",
    "DEFERRAL_MEASURES",
    "DESTINATION_PERIODS",
    "context_figures",
    "scam_cases_by_country",
    "placements_by_destination",
    "cambodia_indicators",
    "destination_mentions",
]

#: Context measures (record vocabulary, ``public_reported_figures.md`` §2) and what each shows.
CONTEXT_MEASURES: dict[str, str] = {
    "online_scam_wni_cases": "online-scam cases of Indonesians handled by the foreign ministry (cumulative since 2020)",
    "wni_registered_abroad": "Indonesians self-registered with the embassy in Cambodia",
    "wni_visits_abroad": "visits of Indonesians to Cambodia (Cambodian data via the foreign ministry)",
    "tppo_victims_repatriated": "trafficking and scam-compound victims repatriated by the government",
    "kp2mi_nonprocedural_prevented": "non-procedural departures KP2MI says it prevented (its own count)",
    "pmi_deported_or_repatriated": "problem migrant workers deported or repatriated, national",
}

#: Deferral measures whose ``destination`` field is read for :func:`destination_mentions`.
DEFERRAL_MEASURES: tuple[str, ...] = (
    "dep_deferral_wni_pmi_suspected",
    "passport_deferral_pmi_suspected",
    "dep_deferral_wni_all_reasons",
    "passport_refusal_all_reasons",
)

#: Periods (by year of ``period_end``) for the destination table: before closures, closures, the 2023 peak, after.
DESTINATION_PERIODS: dict[str, tuple[int, int]] = {
    "2017-19": (2017, 2019),
    "2020-22": (2020, 2022),
    "2023": (2023, 2023),
    "2024-25": (2024, 2025),
}

_COLUMNS = [
    "figure_id",
    "measure",
    "what",
    "destination",
    "period_start",
    "period_end",
    "value",
    "source_outlet",
    "source_url",
    "reliability",
    "note",
]

#: ``reliability`` of a row that repeats one public statement.
STATEMENT = "one public statement as reported; not an official statistic"


def _annotate(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["reliability"] = STATEMENT
    out["note"] = out["notes"].fillna("") if "notes" in out.columns else ""
    return out


def _check(figures: pd.DataFrame) -> None:
    need = {
        "figure_id",
        "measure",
        "value",
        "period_start",
        "period_end",
        "geography_level",
        "destination",
        "source_outlet",
        "source_url",
    }
    missing = sorted(need - set(figures.columns))
    if missing:
        raise TppoError(f"the record is missing columns {missing} (load it with tppo.load_public_record())")


def context_figures(figures: pd.DataFrame, measures: Sequence[str] = tuple(CONTEXT_MEASURES)) -> pd.DataFrame:
    """National context figures as reported, one row per figure, in time order (columns :data:`_COLUMNS`).

    Country splits of one total (e.g. scam cases by country) are kept and carry their ``destination``; use
    :func:`scam_cases_by_country` for the split itself.

    Parameters
    ----------
    figures : pandas.DataFrame
        The public record (:func:`tppo_analysis.load_public_record`).
    measures : sequence of str
        Context measures to keep (default: every key of :data:`CONTEXT_MEASURES`).
    """
    _check(figures)
    f = figures[figures["measure"].isin(list(measures)) & (figures["geography_level"] == "national")].copy()
    f["what"] = f["measure"].map(CONTEXT_MEASURES)
    f["destination"] = f["destination"].fillna("")
    out = _annotate(f)[_COLUMNS].sort_values(
        ["measure", "period_end", "period_start", "figure_id"], na_position="first"
    )
    return out.reset_index(drop=True)


def scam_cases_by_country(figures: pd.DataFrame) -> pd.DataFrame:
    """Kemlu's online-scam cases split by country for one common window, with each country's share of the split.

    The split rows are the ``online_scam_wni_cases`` figures naming exactly one country for the same window; the
    share is of their sum (which can fall short of the headline total for the window, when one was reported).

    Parameters
    ----------
    figures : pandas.DataFrame
        The public record (:func:`tppo_analysis.load_public_record`).
    """
    _check(figures)
    f = figures[(figures["measure"] == "online_scam_wni_cases") & figures["destination"].fillna("").ne("")]
    f = f[~f["destination"].str.contains(r";|countries|mainly", regex=True)]
    if f.empty:
        raise TppoError("the record has no online-scam cases split by country")
    window = f.groupby(["period_start", "period_end"]).size().idxmax()
    g = f[(f["period_start"] == window[0]) & (f["period_end"] == window[1])].copy()
    g["share_of_split"] = g["value"] / g["value"].sum()
    g = _annotate(g.sort_values(["value", "figure_id"], ascending=[False, True]))
    cols = [
        "figure_id",
        "destination",
        "period_start",
        "period_end",
        "value",
        "share_of_split",
        "source_outlet",
        "source_url",
        "reliability",
        "note",
    ]
    return g[cols].reset_index(drop=True)


def placements_by_destination(figures: pd.DataFrame) -> pd.DataFrame:
    """Procedural placements by destination (BP2MI/KP2MI), one row per figure: the legal routes, for contrast.

    Parameters
    ----------
    figures : pandas.DataFrame
        The public record (:func:`tppo_analysis.load_public_record`).
    """
    _check(figures)
    f = figures[
        (figures["measure"] == "pmi_placements")
        & (figures["geography_level"] == "national")
        & figures["destination"].fillna("").ne("")
    ]
    cols = [
        "figure_id",
        "destination",
        "period_start",
        "period_end",
        "value",
        "source_outlet",
        "source_url",
        "reliability",
        "note",
    ]
    return _annotate(f)[cols].sort_values(["period_end", "value"], ascending=[True, False]).reset_index(drop=True)


#: Measures read by :func:`cambodia_indicators`, with the words of their label.
_CAMBODIA = {
    "pmi_placements": "legal placements to Cambodia",
    "wni_registered_abroad": "Indonesians registered with the embassy",
    "wni_visits_abroad": "visits of Indonesians to Cambodia",
}


def cambodia_indicators(figures: pd.DataFrame) -> pd.DataFrame:
    """Collect what the record says about Cambodia: legal placements against Indonesians registered and visiting.

    One row per national figure of :data:`_CAMBODIA`'s measures whose destination is Cambodia, in time order, with a
    plain ``label`` (what and when) for the figure: the contrast between a handful of legal placements and tens of
    thousands registered is the scam-recruitment route in the record's own numbers.

    Parameters
    ----------
    figures : pandas.DataFrame
        The public record (:func:`tppo_analysis.load_public_record`).
    """
    _check(figures)
    f = figures[
        figures["measure"].isin(list(_CAMBODIA))
        & (figures["geography_level"] == "national")
        & figures["destination"].fillna("").str.strip().eq("Cambodia")
    ].copy()
    if f.empty:
        raise TppoError("the record has no national figures about Cambodia")
    f = f.sort_values(["period_end", "figure_id"])
    months = f["period_start"].dt.strftime("%b %Y") + "–" + f["period_end"].dt.strftime("%b %Y")
    whole_year = (f["period_start"].dt.strftime("%m-%d") == "01-01") & (f["period_end"].dt.strftime("%m-%d") == "12-31")
    when = months.where(~whole_year, f["period_end"].dt.strftime("%Y"))
    f["label"] = f["measure"].map(_CAMBODIA) + ", " + when
    cols = [
        "figure_id",
        "label",
        "measure",
        "period_start",
        "period_end",
        "value",
        "source_outlet",
        "source_url",
        "reliability",
        "note",
    ]
    return _annotate(f)[cols].reset_index(drop=True)


def destination_mentions(
    figures: pd.DataFrame,
    measures: Sequence[str] = DEFERRAL_MEASURES,
    periods: dict[str, tuple[int, int]] | None = None,
) -> pd.DataFrame:
    """How many distinct sources name each destination with a deferral figure, by period of ``period_end``.

    A release that splits one total by month repeats one destination list on every row, so sources (URLs) are
    counted, not rows. Parenthesised details ("Malaysia (Sarawak)") are dropped. The last row, ``sources in the
    period``, counts the sources with any destination. These are mentions, not counts of people: they show what
    officials talked about, not a destination mix.

    Parameters
    ----------
    figures : pandas.DataFrame
        The public record (:func:`tppo_analysis.load_public_record`).
    measures : sequence of str
        Deferral measures whose destination field is read (default :data:`DEFERRAL_MEASURES`).
    periods : dict, optional
        Period label -> (first year, last year) of ``period_end`` (default :data:`DESTINATION_PERIODS`).
    """
    _check(figures)
    periods = DESTINATION_PERIODS if periods is None else periods
    d = figures[figures["measure"].isin(list(measures)) & figures["destination"].fillna("").ne("")]
    rows = []
    for r in d.itertuples():
        year = pd.Timestamp(r.period_end).year
        label = next((k for k, (a, b) in periods.items() if a <= year <= b), None)
        if label is None:
            continue
        for part in str(r.destination).split(";"):
            name = re.sub(r"\s*\(.*?\)", "", part).strip()
            if name:
                rows.append((r.source_url, label, name))
    x = pd.DataFrame(rows, columns=["source_url", "period", "destination"])
    x["period"] = pd.Categorical(x["period"], categories=list(periods), ordered=True)
    table = x.groupby(["destination", "period"], observed=False)["source_url"].nunique().unstack(fill_value=0)
    table = table.loc[table.sum(axis=1).sort_values(ascending=False, kind="stable").index]
    total = x.groupby("period", observed=False)["source_url"].nunique()
    table.loc["sources in the period"] = total
    table.columns = [str(c) for c in table.columns]
    out = table.reset_index().rename(columns={"index": "destination"})
    out["reliability"] = "distinct sources naming the place; mentions, not counts of people"
    out["note"] = ""
    return out
