"""Plain labels for series keys and measure codes: the one lookup behind every figure, table header and card.

Re-exported by :mod:`tppo_analysis.record.summary` (``record.summary.series_label`` is the public name). Series
labels come from the alias file the record keeps (``data/reference/series_aliases.csv``, column ``series_label``);
measure labels from ``data/reference/measure_labels.csv``. The lookup reads reference files, so it lives with the
loaders (sources), where the figure saver and the report (output) can use it without importing the record stage.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from .. import paths
from ..errors import TppoError

__all__ = ["MEASURE_LABEL_FILE", "series_label", "measure_label", "plain_label", "series_labels", "measure_labels"]

#: Plain labels of the record's measures: ``data/reference/measure_labels.csv`` (measure, label, short_label, unit).
MEASURE_LABEL_FILE = "measure_labels.csv"


def _reference(name: str):
    p = paths.data_dir() / "reference" / name
    return p if p.exists() else paths.repo_root() / "data" / "reference" / name


@lru_cache(maxsize=4)
def _series_table(path: str) -> dict[str, str]:
    from .public_record import load_series_aliases

    aliases = load_series_aliases(path)
    out: dict[str, str] = {}
    for key, g in aliases.groupby("series", sort=True):
        counts = g["series_label"].value_counts(sort=False)
        out[str(key)] = str(counts.idxmax())  # the label most alias rows give (first in file order on a tie)
    return out


@lru_cache(maxsize=4)
def _measure_table(path: str) -> pd.DataFrame:
    from .validation import read_text_table

    table = read_text_table(path)
    missing = {"measure", "label", "short_label", "unit"} - set(table.columns)
    if missing:
        raise TppoError(f"{path}: missing columns {sorted(missing)}")
    return table.set_index("measure")


def series_labels() -> dict[str, str]:
    """Every series key with its plain label (``data/reference/series_aliases.csv``, column ``series_label``)."""
    return dict(_series_table(str(_reference("series_aliases.csv"))))


def measure_labels(kind: str = "label") -> dict[str, str]:
    """Return every measure with its plain label (``kind="label"``) or its short label (``kind="short_label"``).

    Parameters
    ----------
    kind : {"label", "short_label"}
        Which label column of the measure-label table.
    """
    return _measure_table(str(_reference(MEASURE_LABEL_FILE)))[kind].to_dict()


def series_label(key: str) -> str:
    """Return the one plain label of a series key, for every figure, table header and report card.

    ``series_label("tpi:soekarno-hatta")`` -> the alias file's ``series_label`` for that key. The alias file is kept
    by the record; when several alias rows map to one key, the label most of them give is used.

    Parameters
    ----------
    key : str
        A series key such as ``"tpi:soekarno-hatta"``.

    Raises
    ------
    TppoError
        The key is not in the alias file.
    """
    labels = series_labels()
    if key not in labels:
        raise TppoError(f"series {key!r} is not in data/reference/series_aliases.csv")
    return labels[key]


def measure_label(measure: str, *, short: bool = False) -> str:
    """Return the plain label of a measure (``data/reference/measure_labels.csv``).

    E.g. "passport applications deferred on suspicion of non-procedural migrant work"; ``short=True`` gives
    "passport deferrals".

    Parameters
    ----------
    measure : str
        A measure name such as ``"dep_deferral_wni_pmi_suspected"``.
    short : bool
        Give the short label.
    """
    labels = measure_labels("short_label" if short else "label")
    if measure not in labels:
        raise TppoError(f"measure {measure!r} has no plain label in data/reference/{MEASURE_LABEL_FILE}")
    return labels[measure]


def plain_label(series: str, measure: str | None = None, *, short: bool = False) -> str:
    """Return ``"<series label>: <measure label>"`` (or just the series label): the caption of one series x measure.

    Parameters
    ----------
    series : str
        A series key.
    measure : str, optional
        A measure name; the series label alone when None.
    short : bool
        Use the measure's short label.
    """
    return series_label(series) if measure is None else f"{series_label(series)}: {measure_label(measure, short=short)}"
