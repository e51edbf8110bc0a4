"""Publication granularity: village-level outputs never at village x month.

Publication granularity: village-level outputs at village x year or district x month, never village x month
(monthly counts for one village are small and tie events to people).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

from ..errors import TppoError
from .suppression import MIN_CELL, suppress

__all__ = ["check_granularity", "publishable_panel"]


_VILLAGE_DOTTED = re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")
_VILLAGE_PLAIN = re.compile(r"^\d{10}$")
_DISTRICT_DOTTED = re.compile(r"^\d{2}\.\d{2}\.\d{2}$")
_DISTRICT_PLAIN = re.compile(r"^\d{6}$")
_LEVEL_ORDER = {"day": 0, "week": 1, "month": 2, "quarter": 3, "year": 4}


def _geography_level(values: pd.Series, column: str) -> str:
    v = values.dropna().astype(str).str.strip()
    if len(v) and (v.str.match(_VILLAGE_DOTTED.pattern) | v.str.match(_VILLAGE_PLAIN.pattern)).all():
        return "village"
    if len(v) and (v.str.match(_DISTRICT_DOTTED.pattern) | v.str.match(_DISTRICT_PLAIN.pattern)).all():
        return "district"
    name = column.lower()
    if any(w in name for w in ("village", "desa", "kelurahan")):
        return "village"
    if any(w in name for w in ("district", "kecamatan")):
        return "district"
    return "other"


def _period_level(values: pd.Series) -> str:
    v = values.dropna()
    if isinstance(v.dtype, pd.PeriodDtype):
        freq = str(getattr(v.dtype.freq, "rule_code", None) or v.dtype.freq.freqstr)[0].upper()
        return {"Y": "year", "A": "year", "Q": "quarter", "M": "month", "W": "week", "D": "day"}.get(freq, "day")
    if pd.api.types.is_integer_dtype(v) or (len(v) and v.astype(str).str.fullmatch(r"\d{4}").all()):
        return "year"
    s = v.astype(str).str.strip()
    if len(s) and s.str.fullmatch(r"\d{4}-?Q[1-4]").all():
        return "quarter"
    if len(s) and s.str.fullmatch(r"\d{4}-\d{2}").all():
        return "month"
    d = pd.to_datetime(s, errors="coerce", format="ISO8601")
    if d.isna().any():
        raise TppoError(f"check_granularity: cannot read the period values (e.g. {s[d.isna()].iloc[0]!r})")
    if (d.dt.day != 1).any():
        return "day"
    if (d.dt.month != 1).any():
        return "month"
    return "year"


def check_granularity(df: pd.DataFrame, *, geography_column: str, period_column: str) -> str:
    """Refuse village × month (or finer) outputs; return the table's granularity, e.g. ``"village × year"``.

    Geography is read from the codes (``PP.KK.CC.VVVV`` or 10 digits = village, ``PP.KK.CC`` or 6 digits = district)
    or the column name; the period from the values (``YYYY`` = year, ``YYYY-MM`` or month-start dates = month, …).
    Village-level outputs must be annual: monthly counts for one village are small and tie events to people.
    """
    for col in (geography_column, period_column):
        if col not in df.columns:
            raise TppoError(f"check_granularity: column {col!r} not in table")
    geo = _geography_level(df[geography_column], geography_column)
    period = _period_level(df[period_column])
    if geo == "village" and _LEVEL_ORDER[period] < _LEVEL_ORDER["year"]:
        raise TppoError(
            f"village × {period} outputs are not published (column {geography_column!r} holds villages, "
            f"{period_column!r} is by {period}): aggregate to village × year or district × month "
            "(privacy.publishable_panel)"
        )
    return f"{geo} × {period}"


def publishable_panel(
    df: pd.DataFrame,
    *,
    village_column: str,
    date_column: str,
    count_columns: Sequence[str],
    level: str,
    min_cell: int = MIN_CELL,
) -> pd.DataFrame:
    """Aggregate a village-level frame to a publishable panel and suppress its small cells.

    ``level="village-year"`` → columns ``village_code, year, <counts>``; ``level="district-month"`` → columns
    ``district_code, month`` (``YYYY-MM``), counts summed over the district's villages. Village codes are
    Kemendagri ``PP.KK.CC.VVVV`` (dotted) or 10-digit; the district is the first three parts.
    """
    if level not in ("village-year", "district-month"):
        raise TppoError(f"publishable_panel: level must be 'village-year' or 'district-month', not {level!r}")
    codes = df[village_column].astype(str).str.strip()
    dotted = codes.where(
        codes.str.contains(".", regex=False),
        codes.str.replace(r"^(\d\d)(\d\d)(\d\d)(\d{4})$", r"\1.\2.\3.\4", regex=True),
    )
    bad = ~dotted.str.match(_VILLAGE_DOTTED.pattern)
    if bad.any():
        raise TppoError(f"publishable_panel: {codes[bad].iloc[0]!r} in {village_column!r} is not a village code")
    dates = pd.to_datetime(df[date_column], errors="coerce")
    if dates.isna().any():
        bad_date = df[date_column][dates.isna()].iloc[0]
        raise TppoError(f"publishable_panel: {bad_date!r} in {date_column!r} is not a date")
    if level == "village-year":
        keys = pd.DataFrame({"village_code": dotted, "year": dates.dt.year.astype(int)})
    else:
        keys = pd.DataFrame({"district_code": dotted.str.slice(0, 8), "month": dates.dt.strftime("%Y-%m")})
    frame = pd.concat([keys, df[list(count_columns)].reset_index(drop=True).set_axis(keys.index)], axis=1)
    panel = frame.groupby(list(keys.columns), sort=True, as_index=False)[list(count_columns)].sum()
    return suppress(panel, count_columns=list(count_columns), min_cell=min_cell)
