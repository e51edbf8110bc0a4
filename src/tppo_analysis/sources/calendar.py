"""Indonesia's moving-holiday calendar as regressors for deferral counts.

Departures of migrant workers (and so deferrals at TPIs) follow the Islamic calendar: travel slows in Ramadan, surges
around Idul Fitri (mudik and the return wave) and before Idul Adha (the Hajj/umrah season). This module turns the
calendar into regressors at two resolutions:

* :func:`daily_holiday_indicators` — one row per day (used by the interval count model, which works on a daily grid);
* :func:`holiday_regressors` — one row per calendar month, each regressor counted in days within the month.

Definitions (day level; day 0 is the first day of Idul Fitri, 1 Syawal, as set by the government):

``ramadan``
    1 from the government's 1 Ramadan to the day before Idul Fitri.
``pre_idul_fitri``
    1 on days −10..−1 before Idul Fitri (the mudik run-up).
``post_idul_fitri``
    1 on days 0..20 from Idul Fitri (21 days: Lebaran, cuti bersama and the return wave).
``pre_idul_adha``
    1 on the 30 days −30..−1 before Idul Adha (Hajj/umrah season).
``holiday``
    1 on a national public holiday or a cuti bersama (joint leave) day.
``working_day``
    1 on Monday–Friday that is not a ``holiday``.

Sources. Idul Fitri, Idul Adha, national holidays and cuti bersama come from the ``holidays`` package (Indonesia,
category ``public`` for national holidays, ``government`` for cuti bersama, which it labels "... Joint Holiday"; dates
it marks "(estimated)" are computed, not decreed). The start of Ramadan comes from ``hijridate`` (Umm al-Qura) and is
replaced by the Indonesian government's start (sidang isbat) where the committed table
``data/reference/ramadan_start_indonesia.csv`` gives one (2015–2026, each with a source); outside that table the
hijridate start is used unchanged (flagged in :func:`ramadan_periods`, column ``start_source``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import TppoError

__all__ = [
    "REGRESSOR_COLUMNS",
    "DAILY_COLUMNS",
    "idul_fitri_dates",
    "idul_adha_dates",
    "ramadan_periods",
    "ramadan_start_table",
    "daily_holiday_indicators",
    "holiday_regressors",
]

#: Monthly regressor columns of :func:`holiday_regressors` (besides ``month``).
REGRESSOR_COLUMNS = [
    "ramadan_share",
    "pre_idul_fitri_days",
    "post_idul_fitri_days",
    "pre_idul_adha_days",
    "working_days",
    "days_in_month",
]
#: Indicator columns of :func:`daily_holiday_indicators` (besides ``date``).
DAILY_COLUMNS = ["ramadan", "pre_idul_fitri", "post_idul_fitri", "pre_idul_adha", "holiday", "working_day"]

PRE_FITRI_DAYS = 10
POST_FITRI_DAYS = 21
PRE_ADHA_DAYS = 30

_FIRST_YEAR = 2005  # the holidays package's Indonesian calendar is reliable from here
_LAST_YEAR = 2035


def _reference_file() -> Path:
    from ..paths import repo_root

    return repo_root() / "data" / "reference" / "ramadan_start_indonesia.csv"


@lru_cache(maxsize=1)
def ramadan_start_table() -> pd.DataFrame:
    """Return the committed table of government Ramadan starts (``data/reference/ramadan_start_indonesia.csv``).

    Columns: year, hijri_year, hijridate_start, government_start (NaT where no sidang isbat is known), source_url,
    note.
    """
    path = _reference_file()
    if not path.exists():
        raise TppoError(f"{path}: reference table of Ramadan starts is missing")
    table = pd.read_csv(path, dtype={"source_url": "string", "note": "string"})
    for col in ("hijridate_start", "government_start"):
        table[col] = pd.to_datetime(table[col], format="%Y-%m-%d")
    return table


def _holidays(years: range, category: str) -> dict:
    return dict(_holidays_cached(min(years), max(years), category))


@lru_cache(maxsize=64)
def _holidays_cached(first: int, last: int, category: str) -> tuple:
    import holidays

    entries = holidays.country_holidays(
        "ID", years=list(range(first, last + 1)), language="en_US", categories=(category,)
    )
    return tuple(sorted(entries.items()))


def _years_for(start: pd.Timestamp, end: pd.Timestamp) -> range:
    lo, hi = start.year - 1, end.year + 1
    return range(max(lo, _FIRST_YEAR), min(hi, _LAST_YEAR) + 1)


def _named(entries: dict, name: str) -> list[pd.Timestamp]:
    out = []
    for day, label in entries.items():
        parts = [p.strip().removesuffix(" (estimated)") for p in str(label).split(";")]
        if name in parts:
            out.append(pd.Timestamp(day))
    return sorted(out)


def idul_fitri_dates(years: range | list[int]) -> list[pd.Timestamp]:
    """Return the first day of Idul Fitri (1 Syawal) for the given Gregorian years, from ``holidays`` (Indonesia).

    Parameters
    ----------
    years : range or list of int
        Gregorian years.

    Returns
    -------
    list of pandas.Timestamp
        One date per year, in order.
    """
    return _named(_holidays(range(min(years), max(years) + 1), "public"), "Eid al-Fitr")


def idul_adha_dates(years: range | list[int]) -> list[pd.Timestamp]:
    """Return Idul Adha (10 Zulhijah) for the given Gregorian years, from ``holidays`` (Indonesia).

    Parameters
    ----------
    years : range or list of int
        Gregorian years.

    Returns
    -------
    list of pandas.Timestamp
        One date per year, in order.
    """
    return _named(_holidays(range(min(years), max(years) + 1), "public"), "Eid al-Adha")


def ramadan_periods(years: range | list[int]) -> pd.DataFrame:
    """Return the Ramadan periods ending (Idul Fitri) in the given Gregorian years.

    Parameters
    ----------
    years : range or list of int
        Gregorian years.

    Returns
    -------
    pandas.DataFrame
        Columns ``hijri_year``, ``start`` (1 Ramadan), ``end`` (last day of Ramadan = the day before Idul Fitri),
        ``idul_fitri``, ``length`` (days, 29 or 30) and ``start_source`` (``"government"`` when the committed table
        gives the sidang isbat date, else ``"hijridate"``).
    """
    from hijridate import Gregorian

    table = ramadan_start_table().set_index("hijri_year")
    rows = []
    for fitri in idul_fitri_dates(years):
        # 1 Syawal minus a week is safely inside Ramadan; its Hijri year is the Ramadan's Hijri year.
        hy = Gregorian(*(fitri - pd.Timedelta(days=7)).date().timetuple()[:3]).to_hijri().year
        source = "hijridate"
        start = _hijri_ramadan_start(hy)
        if hy in table.index and pd.notna(table.at[hy, "government_start"]):
            start = pd.Timestamp(table.at[hy, "government_start"])
            source = "government"
        length = int((fitri - start).days)
        if length not in (29, 30):
            raise TppoError(
                f"{_reference_file().name}: Ramadan {hy} H from {start.date()} to Idul Fitri {fitri.date()} lasts "
                f"{length} days (expected 29 or 30)"
            )
        rows.append((hy, start, fitri - pd.Timedelta(days=1), fitri, length, source))
    return pd.DataFrame(rows, columns=["hijri_year", "start", "end", "idul_fitri", "length", "start_source"])


def _hijri_ramadan_start(hijri_year: int) -> pd.Timestamp:
    from hijridate import Hijri

    return pd.Timestamp(Hijri(hijri_year, 9, 1).to_gregorian().isoformat())


def _as_day(value, what: str) -> pd.Timestamp:
    try:
        day = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise TppoError(f"{what}: {value!r} is not a date") from exc
    if pd.isna(day):
        raise TppoError(f"{what}: missing date")
    return day.normalize()


def daily_holiday_indicators(start, end) -> pd.DataFrame:
    """Return one row per day from ``start`` to ``end`` (inclusive) with the moving-holiday indicators.

    See the module docstring for sources.

    Parameters
    ----------
    start, end : str or date-like
        First and last day (inclusive).

    Returns
    -------
    pandas.DataFrame
        Columns ``date`` (Timestamp) and the 0/1 integer indicators ``ramadan``, ``pre_idul_fitri`` (days -10..-1
        before Idul Fitri), ``post_idul_fitri`` (days 0..20), ``pre_idul_adha`` (days -30..-1 before Idul Adha),
        ``holiday`` (national holiday or cuti bersama) and ``working_day`` (Mon-Fri, not a holiday).
    """
    start, end = _as_day(start, "start"), _as_day(end, "end")
    if end < start:
        raise TppoError(f"end {end.date()} is before start {start.date()}")
    if start.year < _FIRST_YEAR or end.year > _LAST_YEAR:
        raise TppoError(f"calendar covers {_FIRST_YEAR}–{_LAST_YEAR}; got {start.date()} to {end.date()}")
    days = pd.date_range(start, end, freq="D")
    years = _years_for(start, end)
    out = pd.DataFrame({"date": days})
    n = len(days)
    ramadan = np.zeros(n, dtype=np.int64)
    pre_fitri = np.zeros(n, dtype=np.int64)
    post_fitri = np.zeros(n, dtype=np.int64)
    pre_adha = np.zeros(n, dtype=np.int64)

    def mark(arr: np.ndarray, first: pd.Timestamp, last: pd.Timestamp) -> None:
        mask = (days >= first) & (days <= last)
        arr[mask] = 1

    for row in ramadan_periods(years).itertuples(index=False):
        mark(ramadan, row.start, row.end)
        mark(pre_fitri, row.idul_fitri - pd.Timedelta(days=PRE_FITRI_DAYS), row.idul_fitri - pd.Timedelta(days=1))
        mark(post_fitri, row.idul_fitri, row.idul_fitri + pd.Timedelta(days=POST_FITRI_DAYS - 1))
    for adha in idul_adha_dates(years):
        mark(pre_adha, adha - pd.Timedelta(days=PRE_ADHA_DAYS), adha - pd.Timedelta(days=1))

    off = set(_holidays(years, "public")) | set(_holidays(years, "government"))
    off_days = pd.DatetimeIndex(sorted(pd.Timestamp(d) for d in off))
    holiday = days.isin(off_days).astype(np.int64)
    weekday = (days.day_of_week < 5).astype(np.int64)
    out["ramadan"] = ramadan
    out["pre_idul_fitri"] = pre_fitri
    out["post_idul_fitri"] = post_fitri
    out["pre_idul_adha"] = pre_adha
    out["holiday"] = holiday
    out["working_day"] = weekday * (1 - holiday)
    return out


def holiday_regressors(start, end) -> pd.DataFrame:
    """Return monthly moving-holiday regressors for every calendar month touching ``start``..``end``.

    Whole months are always used (a ``start`` of 2024-03-15 gives the full March 2024 row).

    Parameters
    ----------
    start, end : str or date-like
        First and last day (inclusive).

    Returns
    -------
    pandas.DataFrame
        One row per month; ``month`` is the first day of the month (Timestamp). Columns ``ramadan_share`` (share of
        the month's days in Ramadan, 0-1), ``pre_idul_fitri_days`` (days of the month in days -10..-1 before Idul
        Fitri), ``post_idul_fitri_days`` (days 0..20 from Idul Fitri), ``pre_idul_adha_days`` (days in the 30 days
        before Idul Adha), ``working_days`` (Monday-Friday net of national holidays and cuti bersama) and
        ``days_in_month`` (calendar days).
    """
    start, end = _as_day(start, "start"), _as_day(end, "end")
    if end < start:
        raise TppoError(f"end {end.date()} is before start {start.date()}")
    first = start.to_period("M").to_timestamp()
    last = end.to_period("M").to_timestamp() + pd.offsets.MonthEnd(0)
    daily = daily_holiday_indicators(first, last)
    daily["month"] = daily["date"].dt.to_period("M").dt.to_timestamp()
    g = daily.groupby("month", sort=True)
    out = pd.DataFrame(
        {
            "ramadan_days": g["ramadan"].sum(),
            "pre_idul_fitri_days": g["pre_idul_fitri"].sum(),
            "post_idul_fitri_days": g["post_idul_fitri"].sum(),
            "pre_idul_adha_days": g["pre_idul_adha"].sum(),
            "working_days": g["working_day"].sum(),
            "days_in_month": g.size(),
        }
    ).reset_index()
    out.insert(1, "ramadan_share", out.pop("ramadan_days") / out["days_in_month"])
    for col in REGRESSOR_COLUMNS[1:]:
        out[col] = out[col].astype(np.int64)
    return out[["month", *REGRESSOR_COLUMNS]]
