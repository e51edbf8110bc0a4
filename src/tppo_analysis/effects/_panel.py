"""The one panel check of the program-effect estimators: a unit x period panel -> validated integer codes.

Both entry points share the frame and column check (:func:`require_columns`) and the period encoding
(:func:`period_ordinals`); they differ where the estimators need different things, and say so:

* :func:`prepare` (``effects.fit``, every estimator): ``time``/``cohort`` may be integers, monthly periods, datetimes
  or text periods (``lenient`` encoding, monthly only); outcome problems are collected with their lines; units first
  treated at or before the first period are dropped and cohorts after the last period recoded as never treated
  (R ``did`` rules); returns the long frame ``_Prepared.data`` (columns ``_u, _t, _g, _y`` + covariates).
* :func:`prepare_counts` (the fast Poisson ETWFE engine, :mod:`._etwfe_fast`): a complete balanced panel of
  non-negative counts, integers or periods of one frequency only (``strict`` encoding: datetimes, text and booleans
  are refused, as that engine always did); returns the unit x period count matrix sorted by cohort. Inside
  ``effects.fit`` it receives the integer codes :func:`prepare` made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem, TppoError

__all__ = ["require_columns", "period_ordinals", "prepare", "from_ordinal", "prepare_counts", "periods_from_ordinals"]


def require_columns(panel: pd.DataFrame, columns: Sequence[str]) -> None:
    """Refuse anything but a DataFrame holding every column in ``columns``."""
    if not isinstance(panel, pd.DataFrame):
        raise TppoError("panel must be a pandas DataFrame (one row per unit and period)")
    missing = [c for c in columns if c not in panel.columns]
    if missing:
        raise TppoError(f"panel has no column(s) {missing}; it has {list(panel.columns)}")


def period_ordinals(values: pd.Series, name: str, *, lenient: bool) -> tuple[np.ndarray, np.ndarray, str, Any]:
    """Integer codes of a time-like column: ``(ordinals, missing, kind, freq)``, missing values coded 0.

    ``kind`` is ``"period"`` (pandas Period ordinals, ``freq`` their frequency) or ``"int"`` (whole numbers such as
    years; ``freq`` None). The two estimators' rules truly differ, hence ``lenient``:

    * ``lenient=True`` (``effects.fit``): monthly periods only, but datetimes (read as their month) and object
      columns of Periods or of numbers are accepted;
    * ``lenient=False`` (fast Poisson ETWFE): periods of any one frequency or whole numbers; booleans, datetimes and
      text are refused.
    """
    s = values
    if isinstance(s.dtype, pd.PeriodDtype):
        if lenient and not s.dtype.freq.freqstr.startswith("M"):
            raise TppoError(f"column {name!r}: periods must be monthly, got frequency {s.dtype.freq.freqstr}")
        missing = np.asarray(s.array.isna())
        ordinal = np.asarray(s.array.asi8, dtype=np.int64).copy()
        ordinal[missing] = 0
        return ordinal, missing, "period", s.dtype.freq
    if lenient:
        if pd.api.types.is_datetime64_any_dtype(s):
            return period_ordinals(s.dt.to_period("M"), name, lenient=True)
        if s.dtype == object:
            sample = s.dropna()
            if len(sample) and isinstance(sample.iloc[0], pd.Period):
                return period_ordinals(pd.Series(pd.PeriodIndex(s, freq="M"), index=s.index), name, lenient=True)
        num = pd.to_numeric(s, errors="coerce")
        bad = s.notna() & num.isna()
        if bad.any():
            raise TppoError(f"column {name!r}: {s[bad].iloc[0]!r} is neither an integer period nor a month")
        if ((num.dropna() % 1) != 0).any():
            raise TppoError(f"column {name!r}: periods must be whole numbers (years) or months")
        return num.fillna(0).astype(np.int64).to_numpy(), num.isna().to_numpy(), "int", None
    dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype):
        raise TppoError(f"column {name!r} must hold integers or monthly periods, not booleans")
    if pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype):
        num = s.to_numpy(dtype=float, na_value=np.nan)
        missing = np.isnan(num)
        ok = num[~missing]
        if ok.size and not np.all(ok == np.round(ok)):
            raise TppoError(f"column {name!r} must hold whole numbers (years, period indices) or monthly periods")
        ordinal = np.where(missing, 0, num).astype(np.int64)
        return ordinal, missing, "int", None
    raise TppoError(
        f"column {name!r} has dtype {dtype}; use integers (e.g. years) or monthly periods (pandas Period 'M')"
    )


# --------------------------------------------------------------------------------------------------------------------
# effects.fit: any estimator
# --------------------------------------------------------------------------------------------------------------------


@dataclass
class _Prepared:
    data: pd.DataFrame  # columns _u, _t, _g, _y, covariates (ints for _t/_g; _g == 0 never treated)
    time_kind: str  # "int" or "month"
    freq: Any
    notes: list[str]
    excluded: pd.DataFrame
    unit: str = "unit"  # name of the unit column
    unit_labels: Any = None  # unit label of each code in data["_u"]


def _kind(kind: str) -> str:
    return "month" if kind == "period" else "int"


def prepare(
    panel: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str, covariates: Sequence[str]
) -> _Prepared:
    """Validate ``panel`` for :func:`tppo_analysis.effects.fit` and encode it (see the module docstring)."""
    require_columns(panel, (outcome, unit, time, cohort, *covariates))
    t, _, kind_t, _ = period_ordinals(panel[time], time, lenient=True)
    g, _, kind_g, _ = period_ordinals(panel[cohort], cohort, lenient=True)
    kind_t, kind_g = _kind(kind_t), _kind(kind_g)
    if kind_t == "month" and kind_g == "int" and (g > 0).any():
        raise TppoError(f"column {cohort!r} must be months like {time!r} (or 0/missing for never treated)")
    if kind_t == "month" and (t <= 0).any():
        raise TppoError(f"column {time!r}: months before 1970-02 are not supported")
    y = pd.to_numeric(panel[outcome], errors="coerce")
    problems = []
    for pos in np.flatnonzero(y.isna().to_numpy())[:50]:
        problems.append(
            Problem("panel", int(pos) + 2, outcome, str(panel[outcome].iloc[pos]), "outcome is missing or not a number")
        )
    for c in covariates:
        xc = pd.to_numeric(panel[c], errors="coerce")
        for pos in np.flatnonzero(xc.isna().to_numpy())[:20]:
            problems.append(
                Problem("panel", int(pos) + 2, c, str(panel[c].iloc[pos]), "covariate is missing or not a number")
            )
    if problems:
        raise DataValidationError(problems, file="panel")
    ucodes, ulabels = pd.factorize(panel[unit], sort=True)
    d = pd.DataFrame({"_u": ucodes, "_t": t, "_g": g, "_y": y.to_numpy(dtype=float)})
    for c in covariates:
        d[c] = pd.to_numeric(panel[c]).to_numpy(dtype=float)
    dup = d.duplicated(["_u", "_t"])
    if dup.any():
        pos = int(np.flatnonzero(dup.to_numpy())[0])
        raise TppoError(
            f"panel line {pos + 2}: unit {panel[unit].iloc[pos]!r} appears twice in period {panel[time].iloc[pos]!r}"
        )
    ng = d.groupby("_u")["_g"].nunique()
    if (ng > 1).any():
        raise TppoError(
            f"column {cohort!r} must be constant within a unit; unit {ulabels[ng[ng > 1].index[0]]!r} has several"
        )
    notes: list[str] = []
    tmin, tmax = int(d["_t"].min()), int(d["_t"].max())
    late = d["_g"] > tmax
    if late.any():
        n_late = d.loc[late, "_u"].nunique()
        notes.append(f"{n_late} unit(s) first treated after the last period are used as never treated (R did rule)")
        d.loc[late, "_g"] = 0
    early = (d["_g"] > 0) & (d["_g"] <= tmin)
    excluded = pd.DataFrame(columns=[unit, "reason"])
    if early.any():
        units = ulabels[pd.unique(d.loc[early, "_u"])]
        excluded = pd.DataFrame({unit: units, "reason": "treated at or before the first period (no pre-period)"})
        notes.append(f"{len(units)} unit(s) treated at or before the first period are dropped (R did rule)")
        d = d[~early].reset_index(drop=True)
    counts = d.groupby("_u")["_t"].size()
    if counts.nunique() > 1:
        raise TppoError(
            f"panel is unbalanced: unit {ulabels[counts.idxmin()]!r} has {counts.min()} periods, others up to {counts.max()}; "
            "build the panel with tppo_analysis.design.panel (zero-filled months) first"
        )
    freq = (
        panel[time].dtype.freq
        if isinstance(panel[time].dtype, pd.PeriodDtype)
        else ("M" if kind_t == "month" else None)
    )
    return _Prepared(d, kind_t, freq, notes, excluded, unit, ulabels)


def from_ordinal(values: np.ndarray, prep: _Prepared):
    """Period labels of ordinals: monthly ``PeriodIndex`` or int64 array, as the panel's ``time`` was."""
    if prep.time_kind == "month":
        return pd.PeriodIndex.from_ordinals(np.asarray(values, dtype=np.int64), freq="M")
    return np.asarray(values, dtype=np.int64)


# --------------------------------------------------------------------------------------------------------------------
# the fast Poisson ETWFE engine: a complete balanced count panel
# --------------------------------------------------------------------------------------------------------------------


def periods_from_ordinals(ordinals: np.ndarray, kind: tuple) -> pd.Series:
    """Period labels of ordinals, for :func:`prepare_counts`' ``time_kind``."""
    if kind[0] == "period":
        return pd.Series(pd.PeriodIndex.from_ordinals(ordinals, freq=kind[1]))
    return pd.Series(np.asarray(ordinals, dtype=np.int64))


@dataclass
class _Panel:
    y: np.ndarray  # (N_units, T) float64, rows sorted by cohort code
    unit_cohort: np.ndarray  # (N_units,) cohort code, 0 = never treated
    times: np.ndarray  # (T,) ordinals, sorted
    cohorts: np.ndarray  # (G,) ordinals of treated cohorts, sorted (cohort code g -> cohorts[g-1])
    time_kind: tuple
    n_units: int


def prepare_counts(panel: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str) -> _Panel:
    """Validate a complete balanced count panel and build its unit x period matrix, rows sorted by cohort."""
    require_columns(panel, (outcome, unit, time, cohort))
    n = len(panel)
    if n == 0:
        raise TppoError("panel is empty")

    y = panel[outcome].to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(y)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise TppoError(
            f"column {outcome!r}: {int(bad.sum())} missing or non-finite value(s) (first at row {row}); "
            "Poisson ETWFE needs a complete balanced panel"
        )
    if (y < 0).any():
        row = int(np.flatnonzero(y < 0)[0])
        raise TppoError(f"column {outcome!r}: negative count {y[row]!r} at row {row}; counts must be >= 0")

    t_ord, t_missing, t_name, t_freq = period_ordinals(panel[time], time, lenient=False)
    t_kind = (t_name, t_freq)
    if t_missing.any():
        raise TppoError(f"column {time!r}: {int(t_missing.sum())} missing period(s)")
    g_ord, g_missing, g_name, g_freq = period_ordinals(panel[cohort], cohort, lenient=False)
    g_kind = (g_name, g_freq)
    if g_kind[0] != t_kind[0] or (t_kind[0] == "period" and g_kind[1] != t_kind[1]):
        if not (g_kind[0] == "int" and g_missing.all()):
            raise TppoError(
                f"columns {time!r} and {cohort!r} must be of the same kind (both integers or both monthly periods)"
            )
    never = g_missing | ((g_ord == 0) if g_kind[0] == "int" else np.zeros(n, dtype=bool))

    unit_code, unit_uniques = pd.factorize(panel[unit], sort=False)
    if (unit_code < 0).any():
        raise TppoError(f"column {unit!r}: {int((unit_code < 0).sum())} missing unit identifier(s)")
    n_units = len(unit_uniques)
    times, time_code = np.unique(t_ord, return_inverse=True)
    n_t = len(times)
    if n != n_units * n_t:
        raise TppoError(
            f"panel is not balanced: {n:,} rows for {n_units:,} units x {n_t} periods "
            f"(expected {n_units * n_t:,}); Poisson ETWFE here needs every unit observed in every period"
        )
    cell = unit_code.astype(np.int64) * n_t + time_code
    counts = np.bincount(cell, minlength=n_units * n_t)
    if counts.max() > 1:
        raise TppoError(f"panel has duplicate ({unit}, {time}) rows; expected one row per unit and period")

    cohorts = np.unique(g_ord[~never])
    g_code_row = np.zeros(n, dtype=np.int64)
    if cohorts.size:
        g_code_row[~never] = np.searchsorted(cohorts, g_ord[~never]) + 1
    unit_cohort = np.full(n_units, -1, dtype=np.int64)
    unit_cohort[unit_code] = g_code_row  # last write wins; check consistency below
    if (unit_cohort[unit_code] != g_code_row).any():
        bad_row = int(np.flatnonzero(unit_cohort[unit_code] != g_code_row)[0])
        raise TppoError(
            f"column {cohort!r} varies within unit {unit_uniques[unit_code[bad_row]]!r} (row {bad_row}); "
            "the cohort (first treated period) must be constant within a unit"
        )

    order = np.argsort(unit_cohort, kind="stable")
    rank = np.empty(n_units, dtype=np.int64)
    rank[order] = np.arange(n_units)
    ymat = np.empty(n_units * n_t, dtype=float)
    ymat[rank[unit_code] * n_t + time_code] = y
    return _Panel(
        y=ymat.reshape(n_units, n_t),
        unit_cohort=unit_cohort[order],
        times=times,
        cohorts=cohorts,
        time_kind=t_kind,
        n_units=n_units,
    )
