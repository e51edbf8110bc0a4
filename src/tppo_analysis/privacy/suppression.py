"""Small-cell suppression: every table meant for publication from record-level data hides counts 1-9.

Counts 1..``MIN_CELL - 1`` are hidden (``MIN_CELL = 10``, as IOM CTDC's k-anonymity 11, Microsoft's Synthetic Data
Showcase resolution 10 and UK output checking), so is any count whose complement within its total is 1-9, rates are
shown only when numerator and denominator are both publishable, and tables with margins get secondary suppression so
a hidden cell cannot be recomputed from the totals. Figures from the cited public record are already public:
``suppress(..., public_record=True)`` returns them unchanged and records why — the exemption is explicit, never
implied.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import TppoError

__all__ = ["MIN_CELL", "suppress", "suppression_cells", "disclosure_ranges", "default_count_columns"]

#: Smallest count that may be published from record-level data. Counts 1..MIN_CELL-1 are suppressed.
MIN_CELL = 10

PUBLIC_RECORD_REASON = (
    "every count is a figure already published by a cited public source (news report or official page); "
    "small-cell suppression protects record-level data and does not apply"
)


@dataclass
class _Cell:
    row: int | str  # row position, or "residual"
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
    table : pandas.DataFrame
        A tidy table (one row per cell group, counts in ``count_columns``) or, with ``margins=True``, a wide
        cross-table whose last row and last column (or the row/column labelled ``total_label``) are totals.
    count_columns : sequence of str, optional
        Columns holding counts of people/records. Default: every integer-valued numeric column that is not a rate.
    total_column : str, optional
        A count column that is the total of the others in its row (e.g. ``total`` next to ``men``/``women``). A count
        whose complement within that total is 1..``min_cell``-1 is suppressed (the complement could otherwise be read
        as total − count), and the row gets secondary suppression like a margin.
    rates : mapping of str to tuple of str, optional
        ``{rate_column: (numerator_column, denominator_column)}``. A rate is blanked unless both its numerator and
        denominator are published and each is 0 or at least ``min_cell``.
    margins : bool
        The table is a wide cross-table with row and column totals: secondary suppression hides further cells until
        no suppressed cell can be recomputed from the published ones (checked by linear algebra, and by linear
        programming that each primary cell's feasible range is at least ``min_cell`` wide).
    total_label : object
        The index label and column name of the totals in a cross-table with ``margins=True`` (default ``"Total"``;
        without such a label the last row and column are the totals).
    public_record : bool
        Every count in the table is an already-public figure from the cited public record: return it unchanged and
        record the exemption (``result.attrs["privacy"]``).
    reason : str, optional
        Why the table is exempt (with ``public_record=True``); a default sentence is recorded otherwise.
    min_cell : int
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
        counts = list(count_columns) if count_columns is not None else default_count_columns(out, rates)
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
    cell_records: list[tuple[int, str, str]] = []
    for k, why in sorted(suppressed.items()):
        cell = cells[k]
        if not cell.published:
            continue
        if why == "secondary" and total_column is not None and not margins:
            row_residuals = [j for j, c in enumerate(cells) if not c.published and c.row == cell.row]
            if any(_is_small(cells[j].value, min_cell) for j in row_residuals):
                why = "complement"
        cell_records.append((int(cell.row), cell.column, why))  # published cells sit in rows of the table

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
    """Return the cells :func:`suppress` blanked, one row each: ``row`` (index label), ``column``, ``reason``.

    Parameters
    ----------
    table : pandas.DataFrame
        A table returned by :func:`suppress`.

    Returns
    -------
    pandas.DataFrame
        Columns ``row``, ``column``, ``reason`` (``small``, ``complement``, ``secondary`` or ``rate``).
    """
    info = table.attrs.get("privacy")
    if info is None:
        raise TppoError("suppression_cells: this table did not go through privacy.suppress")
    return pd.DataFrame(info["cells"], columns=["row", "column", "reason"])


def _label(df: pd.DataFrame, i: int):
    label = df.index[i]
    return label.item() if hasattr(label, "item") else label


def default_count_columns(df: pd.DataFrame, rates: Mapping[str, tuple[str, str]]) -> list[str]:
    """Return the columns :func:`suppress` treats as counts by default.

    The integer-valued numeric columns of ``df`` that are not rates or booleans: what :func:`suppress` treats as
    counts when ``count_columns`` is not given.

    Parameters
    ----------
    df : pandas.DataFrame
        The table to publish.
    rates : mapping of str to tuple of str
        Rate columns (``{rate: (numerator, denominator)}``), never counted as counts.

    Returns
    -------
    list of str
        The count columns, in table order.
    """
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
    """Compute what an attacker can learn about each hidden cell from the published ones and the table's sums.

    ``values`` are all cells, ``constraints`` linear equalities ``sum(coef * cell) == 0`` (e.g. a row adding up to
    its total), ``hidden`` the cells not published. Returns one row per hidden cell: ``cell``, ``determined``
    (True when linear algebra pins its value down exactly: its unit vector lies in the row space of the hidden part
    of the constraint matrix), and ``lower``/``upper``, the feasible range with all counts >= 0 (linear programming;
    computed for ``lp_cells`` only, default every hidden cell; NaN for the others).

    Parameters
    ----------
    values : sequence of float
        Every cell of the table, published or not, by position.
    constraints : sequence of mapping of int to float
        Linear equalities ``sum(coef * cell) == 0``, each as ``{cell position: coefficient}``.
    hidden : iterable of int
        Positions of the cells not published.
    lp_cells : iterable of int, optional
        Hidden cells whose feasible range is computed by linear programming (default: every hidden cell).

    Returns
    -------
    pandas.DataFrame
        One row per hidden cell: ``cell``, ``determined``, ``lower``, ``upper``.
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

                def new_singletons(j: int, k: int = k, cons: list[Mapping[int, float]] = cons) -> int:
                    return sum(1 for c in cons if j in c and k not in c and not any(i in suppressed for i in c))

                picked.add(
                    min(
                        linked,
                        key=lambda j: (cells[j].margin, new_singletons(j), cells[j].value == 0, cells[j].value, j),
                    )
                )
            if not picked:
                break
            for j in picked:
                suppressed[j] = "secondary"
