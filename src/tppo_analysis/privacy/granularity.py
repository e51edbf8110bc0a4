"""Publication granularity and linked tables: what may be published together without giving a blank cell away.

Three rules, one module:

* **Never village x month** (:func:`check_granularity`, :func:`check_table_granularity`): village-level outputs are
  published at village x year or district x month; monthly counts for one village are small and tie events to
  people. The geography and period are read from the *values* (Kemendagri codes, ``Desa …`` names, months), so a
  ``Total`` row, a renamed column or one malformed code does not hide a village x month table.
* **Complements inside a table** (:func:`publishable_panel` with ``total_column``): a total next to its parts gets
  complement and secondary suppression, so ``records - other categories`` does not give a blank back.
* **Across the tables one run publishes** (:func:`recoverable_cells`, :func:`check_linked`): every published table
  of counts is described by its geography, period and count columns; each cell is a sum of *atoms* (the finest
  geography x the finest periods x the categories present in the set); the published cells are linear equations on
  the atoms. A blank cell is recoverable when its indicator vector lies in the row space of the published cells
  (linear algebra, as :func:`tppo_analysis.privacy.suppression.disclosure_ranges` does inside one table), and a
  blank cell is narrowly bounded when linear programming (counts >= 0) confines it to fewer than ``min_cell`` values
  below ``min_cell``. Village-year totals minus district months is the classic case. The attacker is assumed to
  know that the finer tables are complete (no village outside the village table): the conservative assumption.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import DisclosureError, TppoError
from .suppression import MIN_CELL, suppress

__all__ = [
    "check_granularity",
    "check_table_granularity",
    "publishable_panel",
    "LinkedTable",
    "recoverable_cells",
    "check_linked",
    "MARGIN_LABELS",
]

_VILLAGE_CODE = re.compile(r"^\d{2}\.?\d{2}\.?\d{2}\.?\d{4}$")
_CODE_LIKE = re.compile(r"^\d{1,2}\.\d{1,2}\.\d{1,2}\.\d{1,4}$")  # a village code, even malformed
_DISTRICT_CODE = re.compile(r"^\d{2}\.?\d{2}\.?\d{2}$")
_VILLAGE_NAME = re.compile(r"(?i)^(?:desa|kelurahan|kel\.|ds\.|dusun|kampung|gampong|nagari)\s+\S")
#: Row labels of margins, ignored when reading a table's geography and period.
MARGIN_LABELS = {"total", "jumlah", "all", "semua", "overall", "national", "nasional", "sum", "grand total", ""}
_LEVEL_ORDER = {"day": 0, "week": 1, "month": 2, "quarter": 3, "year": 4, "none": 5}


def _labels(values: pd.Series) -> pd.Series:
    v = values.dropna().astype(str).str.strip()
    return v[~v.str.lower().isin(MARGIN_LABELS)]


def _geography_level(values: pd.Series, column: str) -> str:
    v = _labels(values)
    if not len(v):
        return "other"
    if (v.str.match(_VILLAGE_CODE.pattern) | v.str.match(_CODE_LIKE.pattern)).any():
        return "village"  # one village code makes a village table, whatever else the column holds
    if v.str.match(_VILLAGE_NAME.pattern).mean() >= 0.5:
        return "village"
    if v.str.match(_DISTRICT_CODE.pattern).any():
        return "district"
    name = str(column).lower()
    if any(w in name for w in ("village", "desa", "kelurahan")):
        return "village"
    if any(w in name for w in ("district", "kecamatan")):
        return "district"
    return "other"


def _period_level(values: pd.Series) -> str:
    if isinstance(values.dtype, pd.PeriodDtype):
        freq = str(getattr(values.dtype.freq, "rule_code", None) or values.dtype.freq.freqstr)[0].upper()
        return {"Y": "year", "A": "year", "Q": "quarter", "M": "month", "W": "week", "D": "day"}.get(freq, "day")
    if pd.api.types.is_datetime64_any_dtype(values):
        d = values.dropna()
        return "day" if (d.dt.day != 1).any() else "month" if (d.dt.month != 1).any() else "year"
    s = _labels(values)
    if not len(s):
        return "none"
    if pd.api.types.is_numeric_dtype(values) and not s.str.fullmatch(r"\d{4}(?:\.0)?").all():
        return "none"  # month numbers, ranks, sizes: not a calendar period on their own
    if s.str.fullmatch(r"\d{4}(?:\.0)?").all():
        return "year"
    if s.str.fullmatch(r"\d{4}-?Q[1-4]").all():
        return "quarter"
    if s.str.fullmatch(r"\d{4}-\d{1,2}").all():
        return "month"
    d = pd.to_datetime(s, errors="coerce", format="ISO8601")
    if d.isna().mean() > 0.5:
        return "none"
    d = d.dropna()
    return "day" if (d.dt.day != 1).any() else "month" if (d.dt.month != 1).any() else "year"


def check_granularity(df: pd.DataFrame, *, geography_column: str, period_column: str) -> str:
    """Refuse village × month (or finer) outputs; return the table's granularity, e.g. ``"village × year"``.

    Geography is read from the values (``PP.KK.CC.VVVV`` or 10 digits, even one malformed code, or ``Desa …`` names
    = village; ``PP.KK.CC`` = district) and then the column name; the period from the values (``YYYY`` = year,
    ``YYYY-MM`` or month-start dates = month, …). ``Total``/``Jumlah`` rows are margins and ignored.

    Parameters
    ----------
    df : pandas.DataFrame
        The table to publish.
    geography_column : str
        Its geography column.
    period_column : str
        Its period column.

    Returns
    -------
    str
        The granularity, e.g. ``"village × year"``.

    Raises
    ------
    TppoError
        For village x month or finer.
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


def check_table_granularity(df: pd.DataFrame, *, skip: Sequence[str] = ()) -> tuple[str | None, str | None]:
    """Check every (geography, period) pair of columns of a table; return the columns read as geography and period.

    Used by :func:`tppo_analysis.output.tables.save_table` on every table, whatever its columns are called.

    Parameters
    ----------
    df : pandas.DataFrame
        The table to publish.
    skip : sequence of str
        Columns not read as geography or period.

    Returns
    -------
    tuple of (str or None, str or None)
        The geography and period columns found (None when there is none).
    """
    cols = [c for c in df.columns if c not in set(skip)]
    geos = {
        c: _geography_level(df[c], c)
        for c in cols
        if not pd.api.types.is_float_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
    }
    geos = {c: g for c, g in geos.items() if g != "other"}
    periods = {}
    for c in cols:
        if c in geos or pd.api.types.is_bool_dtype(df[c]):
            continue
        try:
            level = _period_level(df[c])
        except (TypeError, ValueError):
            continue
        if level != "none" and not (
            level == "year"
            and pd.api.types.is_integer_dtype(df[c])
            and not re.search(r"year|tahun|period", str(c), re.IGNORECASE)
        ):
            periods[c] = level
    for g in geos:
        for p in periods:
            check_granularity(df, geography_column=g, period_column=p)
    geo = next(iter(geos), None)
    period = min(periods, key=lambda c: _LEVEL_ORDER[periods[c]], default=None)
    return geo, period


def publishable_panel(
    df: pd.DataFrame,
    *,
    village_column: str,
    date_column: str,
    count_columns: Sequence[str],
    level: str,
    total_column: str | None = None,
    min_cell: int = MIN_CELL,
) -> pd.DataFrame:
    """Aggregate a village-level frame to a publishable panel and suppress its small cells.

    ``level="village-year"`` → columns ``village_code, year, <counts>``; ``level="district-month"`` → columns
    ``district_code, month`` (``YYYY-MM``), counts summed over the district's villages. Village codes are Kemendagri
    ``PP.KK.CC.VVVV`` (dotted) or 10-digit; the district is the first three parts. ``total_column`` names a count
    that is the total of the others (``records`` next to ``reason_*``): complements within it are protected. A count
    column called ``records`` or ``total`` next to other counts is taken as their total unless ``total_column=""``.
    Publishing both levels of the same records is refused by :func:`check_linked` when a blank can be recovered.

    Parameters
    ----------
    df : pandas.DataFrame
        Village-level rows (one per record or per village and date).
    village_column : str
        The village code column.
    date_column : str
        The date column.
    count_columns : sequence of str
        The counts to sum.
    level : {"village-year", "district-month"}
        The published granularity.
    total_column : str, optional
        A count that totals the others (``""`` to say there is none).
    min_cell : int
        Suppression threshold.

    Returns
    -------
    pandas.DataFrame
        The aggregated, suppressed panel.
    """
    if level not in ("village-year", "district-month"):
        raise TppoError(f"publishable_panel: level must be 'village-year' or 'district-month', not {level!r}")
    counts = list(count_columns)
    if total_column is None:
        total_column = (
            next((c for c in counts if c in ("records", "total", "jumlah")), None) if len(counts) > 1 else None
        )
    total_column = total_column or None
    codes = df[village_column].astype(str).str.strip()
    dotted = codes.where(
        codes.str.contains(".", regex=False),
        codes.str.replace(r"^(\d\d)(\d\d)(\d\d)(\d{4})$", r"\1.\2.\3.\4", regex=True),
    )
    bad = ~dotted.str.match(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")
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
    frame = pd.concat([keys, df[counts].reset_index(drop=True).set_axis(keys.index)], axis=1)
    panel = frame.groupby(list(keys.columns), sort=True, as_index=False)[counts].sum()
    parts = [c for c in counts if c != total_column]
    out = suppress(panel, count_columns=parts, total_column=total_column, min_cell=min_cell)
    out.attrs["privacy"]["geography_column"], out.attrs["privacy"]["period_column"] = list(keys.columns)
    return out


# --------------------------------------------------------------------------------------------------------------
# Linked tables
# --------------------------------------------------------------------------------------------------------------


@dataclass
class LinkedTable:
    """One published table as the cross-table check sees it (blank cells = NaN in ``frame``)."""

    name: str
    frame: pd.DataFrame
    count_columns: list[str]
    geography_column: str | None = None
    period_column: str | None = None
    total_column: str | None = None
    min_cell: int = MIN_CELL
    key_columns: list[str] = field(default_factory=list)  # other keys (office, sex …): cells link only when equal


def _geo_key(value) -> tuple[str, ...] | None:
    s = str(value).strip().replace(".", "")
    if not s.isdigit() or len(s) not in (2, 4, 6, 10):
        return None
    return tuple(s[i:j] for i, j in ((0, 2), (2, 4), (4, 6), (6, 10)) if j <= len(s))


def _period_key(value) -> tuple[int, int] | None:
    s = str(value).strip()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-01)?", s)
    if m:
        k = int(m.group(1)) * 12 + int(m.group(2)) - 1
        return k, k + 1
    m = re.fullmatch(r"(\d{4})(?:\.0)?", s)
    if m:
        return int(m.group(1)) * 12, int(m.group(1)) * 12 + 12
    m = re.fullmatch(r"(\d{4})-?Q([1-4])", s)
    if m:
        k = int(m.group(1)) * 12 + 3 * (int(m.group(2)) - 1)
        return k, k + 3
    return None


def _cells(tables: Sequence[LinkedTable]) -> list[tuple]:
    cells = []  # (table, row, column, family, categories, geo, period, value | nan, other keys)
    for ti, t in enumerate(tables):
        df = t.frame.reset_index(drop=True)
        geos = [()] * len(df) if t.geography_column is None else [_geo_key(v) for v in df[t.geography_column]]
        pers = [None] * len(df) if t.period_column is None else [_period_key(v) for v in df[t.period_column]]
        keys = [c for c in t.key_columns if c in df.columns]
        parts = [c for c in t.count_columns if c != t.total_column]
        numbers = {c: pd.to_numeric(df[c], errors="coerce").astype("float64").to_numpy() for c in t.count_columns}
        for i in range(len(df)):
            if geos[i] is None or (t.period_column is not None and pers[i] is None):
                continue  # a margin row ("Total") or an unreadable key: its sum is covered by the other rows
            extra = tuple((c, str(df.at[i, c])) for c in keys)
            for c in t.count_columns:
                family = t.total_column or c
                cats = tuple(parts) if c == t.total_column else (c,)
                cells.append((ti, i, c, family, cats, geos[i], pers[i], float(numbers[c][i]), extra))
    return cells


def recoverable_cells(tables: Sequence[LinkedTable]) -> pd.DataFrame:
    """Return the blank cells that the published cells of ``tables`` pin down or confine below ``min_cell``.

    Parameters
    ----------
    tables : sequence of LinkedTable
        The tables published together.

    Returns
    -------
    pandas.DataFrame
        One row per exposed cell: ``table``, ``row`` (position), ``column``, ``lower``, ``upper``, ``why``
        (``determined`` or ``bounded``). Empty when the set is safe.
    """
    cells = _cells(tables)
    out = []
    for family in sorted({c[3] for c in cells}):
        fam = [c for c in cells if c[3] == family]
        if any(np.isnan(c[7]) for c in fam):
            out.extend(_check_family(tables, fam))
    return pd.DataFrame(out, columns=["table", "row", "column", "lower", "upper", "why"])


def check_linked(tables: Sequence[LinkedTable]) -> None:
    """Raise :class:`~tppo_analysis.errors.DisclosureError` when a blank cell of ``tables`` can be recovered.

    Parameters
    ----------
    tables : sequence of LinkedTable
        The tables published together.
    """
    bad = recoverable_cells(tables)
    if len(bad):
        first = bad.iloc[0]
        names = ", ".join(sorted({t.name for t in tables}))
        how = "exactly" if first["why"] == "determined" else f"to {first['lower']:g}–{first['upper']:g}"
        raise DisclosureError(
            f"{len(bad)} blank cell(s) can be recovered from the tables {names} published together: e.g. "
            f"{first['table']} row {int(first['row']) + 1}, column {first['column']!r}, {how}. Publish one level only "
            "(village x year or district x month), or coarser tables"
        )


def _check_family(tables, fam) -> list[tuple]:
    import bisect

    codes = {c[5] for c in fam}
    geo_atoms = sorted(g for g in codes if not any(len(h) > len(g) and h[: len(g)] == g for h in codes))
    under: dict[tuple, list[tuple]] = {}
    for g in geo_atoms:
        for k in range(len(g) + 1):
            under.setdefault(g[:k], []).append(g)
    spans = [c[6] for c in fam if c[6] is not None]
    lo, hi = (min(s[0] for s in spans), max(s[1] for s in spans)) if spans else (0, 1)
    bounds = sorted({lo, hi} | {b for s in spans for b in s})
    index: dict[tuple, int] = {}
    rows = []
    for c in fam:
        g0, (p_lo, p_hi) = c[5], (c[6] or (lo, hi))
        periods = bounds[bisect.bisect_left(bounds, p_lo) : bisect.bisect_left(bounds, p_hi)]
        rows.append(
            [index.setdefault((g, p, k, c[8]), len(index)) for g in under.get(g0, []) for p in periods for k in c[4]]
        )
    parent = list(range(len(index)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for cols in rows:
        for k in cols[1:]:
            ra, rb = find(cols[0]), find(k)
            if ra != rb:
                parent[rb] = ra
    groups: dict[int, list[int]] = {}
    for j, cols in enumerate(rows):
        if cols:
            groups.setdefault(find(cols[0]), []).append(j)
    out = []
    for members in groups.values():
        if any(np.isnan(fam[j][7]) for j in members) and any(not np.isnan(fam[j][7]) for j in members):
            out.extend(_check_component(tables, fam, rows, members))
    return out


def _check_component(tables, fam, rows, members) -> list[tuple]:
    from scipy.optimize import linprog

    atoms = sorted({k for j in members for k in rows[j]})
    pos = {k: i for i, k in enumerate(atoms)}
    pub = [j for j in members if not np.isnan(fam[j][7])]
    a = np.zeros((len(pub), len(atoms)))
    for r, j in enumerate(pub):
        a[r, [pos[k] for k in rows[j]]] = 1.0
    b = np.array([fam[j][7] for j in pub])
    _, sv, vt = np.linalg.svd(a, full_matrices=False)
    basis = vt[: int((sv > 1e-9 * max(1.0, sv.max(initial=0.0))).sum())]
    x_ls = np.linalg.lstsq(a, b, rcond=None)[0]
    out = []
    for j in (j for j in members if np.isnan(fam[j][7])):
        h = np.zeros(len(atoms))
        h[[pos[k] for k in rows[j]]] = 1.0
        name, row, col, m = tables[fam[j][0]].name, fam[j][1], fam[j][2], tables[fam[j][0]].min_cell
        if np.allclose(basis.T @ (basis @ h), h, atol=1e-7):
            v = float(h @ x_ls)
            out.append((name, row, col, v, v, "determined"))
            continue
        low = linprog(h, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
        up = linprog(-h, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
        if low.status == 0 and up.status == 0 and -up.fun - low.fun < m - 1e-9 and low.fun < m:
            out.append((name, row, col, float(low.fun), float(-up.fun), "bounded"))
    return out
