"""The restricted panel: ``DIR/restricted/`` -> validated, aggregated, village x month, with the program's cohorts.

Public entry points are re-exported by :mod:`tppo_analysis.sources.extracts` (``load_restricted_panel``,
``RestrictedPanel``, ``restricted_files``); the folder layout is documented in
``docs/restricted_extract_formats.md``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import DataValidationError, Problem
from ._extract_io import FIRST_YEAR, VILLAGE_PATTERN, slug

__all__ = ["RestrictedPanel", "restricted_files", "load_restricted_panel", "RESTRICTED_OUTCOMES", "RESTRICTED_LABEL"]

_MAX_PROBLEMS = 50
# ------------------------------------------------------------------------------------------------------------------

#: outcome column -> (record file, record kind, category column, value counted)
RESTRICTED_OUTCOMES = {
    "deferrals": ("deferral_records.csv", "deferrals", "reason", "suspected_pmi_nonprosedural"),
    "passport_deferrals": ("passport_records.csv", "passports", "suspected_pmi_nonprosedural", "1"),
}
RESTRICTED_LABEL = "RESTRICTED"


@dataclass
class RestrictedPanel:
    """A restricted extract made ready for the effect design. Restricted data: never saved in the repository.

    Attributes
    ----------
    panel
        Balanced village x month panel: ``village_code``, ``district_code``, ``regency_code``, ``month``
        (``Period[M]``), ``first_treated`` (``Period[M]``, NaT = never treated), one column per outcome (persons per
        village-month; 0 where no record), and ``population`` / ``passports_issued`` when the extract has them.
        Villages: every Kemendagri village of the regencies the extract covers; months: the extract's first to last.
    roster
        The ministry's program list as read (``village_code``, ``launch_date``, ``precision`` = ``"day"``), for
        :func:`tppo_analysis.design.panel.build_panel`.
    outcomes
        Outcome columns in ``panel`` (``deferrals`` = departure deferrals on suspicion of PMI non-procedural;
        ``passport_deferrals`` = passport applications deferred or refused on that suspicion).
    rates
        The extract's own rates, to calibrate a power grid: one row per outcome with ``mean`` (per village-month,
        villages and months before their launch and never-treated villages), ``variance``, ``zero_share``,
        ``n_villages``, ``n_program``, ``n_months``.
    notes
        What was left out and why (records without a village code, program villages outside the panel's regencies).
    files
        The input files by their name under ``restricted/`` (never an absolute path).
    label
        ``"RESTRICTED"``: every table, figure and file name made from this panel says so.
    """

    panel: pd.DataFrame
    roster: pd.DataFrame
    outcomes: list[str]
    rates: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    label: str = RESTRICTED_LABEL


def restricted_files(data_dir: str | Path) -> dict[str, Path] | None:
    """Return the files of ``DIR/restricted/`` by role, or None when there is no such folder (the synthetic path).

    Raises a :class:`~tppo_analysis.errors.DataValidationError` naming each missing file.
    """
    folder = Path(data_dir) / "restricted"
    if not folder.is_dir():
        return None
    found = {
        name: folder / name
        for name in ("deferral_records.csv", "passport_records.csv", "village_panel.csv", "desa_binaan.csv")
        if (folder / name).is_file()
    }
    problems = []
    if "desa_binaan.csv" not in found:
        problems.append(
            Problem(
                "restricted/desa_binaan.csv",
                None,
                None,
                None,
                "missing: the ministry's program list (village_code, launch_date) is required",
            )
        )
    if not {"deferral_records.csv", "passport_records.csv", "village_panel.csv"} & set(found):
        problems.append(
            Problem(
                "restricted/",
                None,
                None,
                None,
                "no deferral_records.csv, passport_records.csv or village_panel.csv: nothing to analyse",
            )
        )
    if problems:
        raise DataValidationError(problems, file="restricted/")
    return found


def _read_roster(path: Path) -> pd.DataFrame:
    from ._read import read_table

    df, _ = read_table(path)
    file = f"restricted/{path.name}"
    problems = [
        Problem(file, 1, c, None, "required column is missing")
        for c in ("village_code", "launch_date")
        if c not in df.columns
    ]
    if problems:
        raise DataValidationError(problems, file=file)
    lines = df.attrs.get("lines") or list(range(2, len(df) + 2))
    last = dt.date.today().year + 1
    for i, (code, d) in enumerate(zip(df["village_code"], df["launch_date"], strict=True)):
        if not re.fullmatch(VILLAGE_PATTERN, code.strip()):
            problems.append(Problem(file, lines[i], "village_code", code, "not a Kemendagri code PP.KK.CC.VVVV"))
        ok = re.fullmatch(r"\d{4}-\d{2}-\d{2}", d.strip()) is not None
        parsed = pd.to_datetime(d.strip(), format="%Y-%m-%d", errors="coerce") if ok else pd.NaT
        if pd.isna(parsed) or not FIRST_YEAR <= parsed.year <= last:
            problems.append(Problem(file, lines[i], "launch_date", d, f"not a date YYYY-MM-DD in {FIRST_YEAR}–{last}"))
    if problems:
        raise DataValidationError(problems, file=file)
    return pd.DataFrame(
        {
            "village_code": df["village_code"].str.strip(),
            "launch_date": pd.to_datetime(df["launch_date"].str.strip(), format="%Y-%m-%d"),
            "precision": "day",
        }
    )


def load_restricted_panel(data_dir: str | Path | None, aggregate: Callable[..., Any]) -> RestrictedPanel | None:
    """Validate, aggregate and shape ``DIR/restricted/`` for the effect design; None when there is no such folder.

    Steps: every file is validated against its documented format (``docs/restricted_extract_formats.md``; the
    identifier guard reads every cell); record files are counted into village x month with DuckDB in a temporary
    folder outside the repository (records without a village code are left out and counted in ``notes``); the grid is
    completed with zeros over every Kemendagri village of the regencies present; cohorts come from the ministry's
    ``desa_binaan.csv`` (launch month). ``aggregate`` is
    :func:`tppo_analysis.sources.extracts.aggregate_records` (passed in, so that this module does not import it back).
    """
    import tempfile

    from .geography import load_villages
    from .schemas import REQUIRED_COLUMNS, RESTRICTED_KINDS
    from .validation import finish, missing_column_problems, read_text_table, schema_problems

    if data_dir is None:
        return None
    files = restricted_files(data_dir)
    if files is None:
        return None
    notes: list[str] = []
    roster = _read_roster(files["desa_binaan.csv"])
    counts = []
    with tempfile.TemporaryDirectory(prefix="tppo-restricted-") as tmp:
        for outcome, (name, kind, category, value) in RESTRICTED_OUTCOMES.items():
            if name not in files:
                continue
            schema_kind = name.removesuffix(".csv")
            df = read_text_table(files[name])
            shown = f"restricted/{name}"
            problems = missing_column_problems(df, REQUIRED_COLUMNS[schema_kind], shown) or schema_problems(
                df, RESTRICTED_KINDS[schema_kind], shown
            )
            finish(df, problems, file=shown, on_error="raise", convert=lambda d: d)
            res = aggregate(
                files[name],
                kind=kind,
                by="village_month",
                out=Path(tmp) / f"{outcome}.parquet",
                category=category,
                unmatched="count",
                check_location=False,
            )
            agg = pd.read_parquet(res.out)
            col = f"{category}_{slug(value)}"
            agg[outcome] = agg[col] if col in agg.columns else 0
            counts.append(agg[["village_code", "month", outcome]].set_index(["village_code", "month"]))
            if res.n_unmatched:
                notes.append(f"{name}: {res.n_unmatched:,} records without a village code left out of the panel")
        if "village_panel.csv" in files:
            df = read_text_table(files["village_panel.csv"])
            shown = "restricted/village_panel.csv"
            problems = missing_column_problems(df, REQUIRED_COLUMNS["village_panel"], shown) or schema_problems(
                df, RESTRICTED_KINDS["village_panel"], shown
            )
            finish(df, problems, file=shown, on_error="raise", convert=lambda d: d)
            keep = [c for c in ("deferrals", "passport_deferrals", "passports_issued", "population") if c in df]
            vp = df[["village_code", "month", *keep]].copy()
            for c in keep:
                vp[c] = pd.to_numeric(vp[c].replace("", pd.NA)).astype("Int64")
            counts.append(vp.set_index(["village_code", "month"]))
    wide = pd.concat(counts, axis=1).groupby(level=[0, 1]).sum(min_count=1).reset_index()
    outcomes = [c for c in ("deferrals", "passport_deferrals") if c in wide.columns]
    months = pd.period_range(wide["month"].min(), wide["month"].max(), freq="M")
    geo = load_villages()
    regencies = set(wide["village_code"].str[:5]) | set(roster["village_code"].str[:5])
    geo = geo[geo["regency_code"].isin(regencies)][["village_code", "district_code", "regency_code"]]
    outside = sorted(set(wide["village_code"]) - set(geo["village_code"]))
    if outside:
        raise DataValidationError(
            [
                Problem("restricted/", None, "village_code", c, "not a Kemendagri village")
                for c in outside[:_MAX_PROBLEMS]
            ],
            file="restricted/",
        )
    grid = geo.merge(pd.DataFrame({"month": months.astype(str)}), how="cross")
    panel = grid.merge(wide, on=["village_code", "month"], how="left")
    for c in outcomes:
        panel[c] = panel[c].fillna(0).astype("int64")
    panel["month"] = pd.PeriodIndex(panel["month"], freq="M")
    launch = roster.groupby("village_code")["launch_date"].min().dt.to_period("M")
    panel["first_treated"] = panel["village_code"].map(launch)
    missing = sorted(set(roster["village_code"]) - set(geo["village_code"]))
    if missing:
        notes.append(
            f"desa_binaan.csv: {len(missing)} program villages are not Kemendagri villages of the regencies "
            "covered and are left out"
        )
    pre = panel[panel["first_treated"].isna() | (panel["month"] < panel["first_treated"])]
    rates = pd.DataFrame(
        [
            {
                "outcome": c,
                "mean": float(pre[c].mean()),
                "variance": float(pre[c].var()),
                "zero_share": float((pre[c] == 0).mean()),
                "n_villages": int(panel["village_code"].nunique()),
                "n_program": int(panel.drop_duplicates("village_code")["first_treated"].notna().sum()),
                "n_months": len(months),
            }
            for c in outcomes
        ]
    )
    return RestrictedPanel(
        panel=panel.sort_values(["village_code", "month"]).reset_index(drop=True),
        roster=roster,
        outcomes=outcomes,
        rates=rates,
        notes=notes,
        files=sorted(f"restricted/{n}" for n in files),
    )
