"""Old import paths keep working for one release.

Old import paths keep working for one release: each warns (DeprecationWarning) naming the new path, and gives the
very same object as the new path. Old module names that are now packages (``effects``, ``privacy``,
``models.interval``) re-export their old public names without a warning.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import warnings

import pytest

import tppo_analysis

#: old module -> {old public name: "new.module" or "new.module:new_name"}: every name of the old ``__all__`` (and a
#: few other public module-level names).
SHIMS: dict[str, dict[str, str]] = {
    "tppo_analysis.read": {
        "read_table": "tppo_analysis.sources._read",
        "parse_count": "tppo_analysis.sources._read",
        "parse_date_cell": "tppo_analysis.sources._read",
        "parse_count_column": "tppo_analysis.sources._read",
        "parse_date_column": "tppo_analysis.sources._read",
        "CellError": "tppo_analysis.sources._read",
        "EXCEL_EPOCH": "tppo_analysis.sources._read",
    },
    "tppo_analysis.validation": {
        "read_text_table": "tppo_analysis.sources.validation",
        "schema_problems": "tppo_analysis.sources.validation",
        "missing_column_problems": "tppo_analysis.sources.validation",
        "finish": "tppo_analysis.sources.validation",
        "line_of": "tppo_analysis.sources.validation",
    },
    "tppo_analysis.validate": {
        "validate_file": "tppo_analysis.cli",
        "infer_kind": "tppo_analysis.cli",
        "KINDS": "tppo_analysis.cli:VALIDATE_KINDS",
        "configure_parser": "tppo_analysis.cli:configure_validate",
        "run": "tppo_analysis.cli:run_validate",
        "kinds": "tppo_analysis.cli",
    },
    "tppo_analysis.schemas": {
        "MEASURES": "tppo_analysis.sources.schemas",
        "MEASURE_GROUP": "tppo_analysis.sources.schemas",
        "UNITS": "tppo_analysis.sources.schemas",
        "GEOGRAPHY_LEVELS": "tppo_analysis.sources.schemas",
        "PUBLIC_RECORD_COLUMNS": "tppo_analysis.sources.schemas",
        "PUBLIC_RECORD_SCHEMA": "tppo_analysis.sources.schemas",
        "DATE_MIN": "tppo_analysis.sources.schemas",
        "DATE_MAX": "tppo_analysis.sources.schemas",
    },
    "tppo_analysis.schemas_restricted": {
        "RESTRICTED_KINDS": "tppo_analysis.sources.schemas",
        "COLUMN_DOCS": "tppo_analysis.sources.schemas",
        "REQUIRED_COLUMNS": "tppo_analysis.sources.schemas",
        "schema_for": "tppo_analysis.sources.schemas",
        "markdown_tables": "tppo_analysis.sources.schemas",
        "DEFERRAL_REASONS": "tppo_analysis.sources.schemas",
        "PASSPORT_DECISIONS": "tppo_analysis.sources.schemas",
        "CHECKPOINT_TYPES": "tppo_analysis.sources.schemas",
        "MATCH_QUALITY": "tppo_analysis.sources.schemas",
    },
    "tppo_analysis.aggregate": {
        "aggregate_records": "tppo_analysis.sources.extracts",
        "AggregateResult": "tppo_analysis.sources.extracts",
        "KINDS": "tppo_analysis.sources.extracts",
        "aggregation_sql": "tppo_analysis.sources.extracts",
        "cluster_sql": "tppo_analysis.sources.extracts",
        "configure_parser": "tppo_analysis.cli:configure_aggregate",
        "run": "tppo_analysis.cli:run_aggregate",
        "BY": "tppo_analysis.sources.extracts",
        "VILLAGE_COLUMN": "tppo_analysis.sources.extracts",
        "VILLAGE_PATTERN": "tppo_analysis.sources.extracts",
        "MAX_CATEGORIES": "tppo_analysis.sources.extracts",
    },
    "tppo_analysis.calendar": {
        "REGRESSOR_COLUMNS": "tppo_analysis.sources.calendar",
        "DAILY_COLUMNS": "tppo_analysis.sources.calendar",
        "idul_fitri_dates": "tppo_analysis.sources.calendar",
        "idul_adha_dates": "tppo_analysis.sources.calendar",
        "ramadan_periods": "tppo_analysis.sources.calendar",
        "ramadan_start_table": "tppo_analysis.sources.calendar",
        "daily_holiday_indicators": "tppo_analysis.sources.calendar",
        "holiday_regressors": "tppo_analysis.sources.calendar",
    },
    "tppo_analysis.reconciliation": {
        "reconcile": "tppo_analysis.record.reconciliation",
        "OBS_COLUMNS": "tppo_analysis.record.reconciliation",
        "AUDIT_COLUMNS": "tppo_analysis.record.reconciliation",
    },
    "tppo_analysis.record_summary": {
        "KEY_SERIES": "tppo_analysis.record.summary",
        "figures_by_year": "tppo_analysis.record.summary",
        "coverage_table": "tppo_analysis.record.summary",
        "audit_summary": "tppo_analysis.record.summary",
        "set_aside_table": "tppo_analysis.record.summary",
        "plot_reported_windows": "tppo_analysis.record.summary",
    },
    "tppo_analysis.trends": {
        "series_obs": "tppo_analysis.models.trends",
        "robustness_table": "tppo_analysis.models.trends",
        "seasonal_profile": "tppo_analysis.models.seasonality",
        "holiday_effects_table": "tppo_analysis.models.seasonality",
        "observed_vs_baseline": "tppo_analysis.models.seasonality",
    },
    "tppo_analysis.rates": {
        "RATE_DEFINITIONS": "tppo_analysis.record.rates",
        "rates": "tppo_analysis.record.rates",
        "rate_availability": "tppo_analysis.record.rates",
    },
    "tppo_analysis.panel": {
        "PanelBuild": "tppo_analysis.design.panel",
        "cohort_table": "tppo_analysis.design.panel",
        "build_panel": "tppo_analysis.design.panel",
        "group_trends": "tppo_analysis.design.panel",
    },
    "tppo_analysis.synthetic": {
        "SyntheticPanel": "tppo_analysis.design.synthetic",
        "generate_panel": "tppo_analysis.design.synthetic",
        "small_panel": "tppo_analysis.design.synthetic",
        "generate_records": "tppo_analysis.design.synthetic",
        "CANARY_NIKS": "tppo_analysis.privacy.identifiers",
        "CANARY_PHONES": "tppo_analysis.privacy.identifiers",
        "CANARY_NAMES": "tppo_analysis.privacy.identifiers",
        "LABEL": "tppo_analysis.design.synthetic",
    },
    "tppo_analysis.power": {
        "simulate_design": "tppo_analysis.design.power",
        "power_table": "tppo_analysis.design.power",
        "mde_table": "tppo_analysis.design.power",
        "coverage_study": "tppo_analysis.design.power",
        "coverage_summary": "tppo_analysis.design.power",
    },
    "tppo_analysis.scan": {
        "Finding": "tppo_analysis.privacy.scan",
        "scan_paths": "tppo_analysis.privacy.scan",
        "scan_text": "tppo_analysis.privacy.scan",
        "scan_notebook": "tppo_analysis.privacy.scan",
        "default_scope": "tppo_analysis.privacy.scan",
        "configure_parser": "tppo_analysis.cli:configure_scan",
        "run": "tppo_analysis.cli:run_scan",
        "CANARY_HOMES": "tppo_analysis.privacy.scan",
        "canonical": "tppo_analysis.privacy.scan",
    },
    "tppo_analysis.plotting": {
        "PALETTE": "tppo_analysis.output.plotting",
        "SYNTHETIC_LABEL": "tppo_analysis.output.plotting",
        "FigureError": "tppo_analysis.output.plotting",
        "SavedFigure": "tppo_analysis.output.plotting",
        "apply_style": "tppo_analysis.output.plotting",
        "new_figure": "tppo_analysis.output.plotting",
        "save_figure": "tppo_analysis.output.plotting",
        "mark_synthetic": "tppo_analysis.output.plotting",
        "style_context": "tppo_analysis.output.plotting",
    },
    "tppo_analysis.tables": {
        "save_table": "tppo_analysis.output.tables",
    },
    "tppo_analysis.notebooks": {
        "execute_notebook": "tppo_analysis.output.notebooks",
        "normalise_notebook": "tppo_analysis.output.notebooks",
        "write_notebook": "tppo_analysis.output.notebooks",
        "main": "tppo_analysis.output.notebooks",
    },
    "tppo_analysis.report": {
        "FigureCard": "tppo_analysis.output.report.figures",
        "build_report": "tppo_analysis.output.report.build",
        "build_restricted_report": "tppo_analysis.output.report.build",
        "check_offline_html": "tppo_analysis.output.report.html",
        "configure_parser": "tppo_analysis.cli:configure_report",
        "discover_notebooks": "tppo_analysis.output.report.figures",
        "run": "tppo_analysis.cli:run_report",
        "collect_figures": "tppo_analysis.output.report.figures",
        "run_notebooks": "tppo_analysis.output.notebooks",
        "strip_external_tags": "tppo_analysis.output.report.html",
        "render_notebook_html": "tppo_analysis.output.report.html",
        "collect_provenance": "tppo_analysis.provenance",
        "render_index": "tppo_analysis.output.report.html",
        "check_output_dir": "tppo_analysis.output.report.build",
        "privacy_scan": "tppo_analysis.output.report.build",
        "KEY_DEPENDENCIES": "tppo_analysis.provenance",
    },
    "tppo_analysis.models.poisson_etwfe": {
        "fit": "tppo_analysis.effects._etwfe_fast",
        "PoissonETWFEFit": "tppo_analysis.effects._etwfe_fast",
        "AGGREGATIONS": "tppo_analysis.effects._etwfe_fast:POISSON_AGGREGATIONS",
    },
}

#: Names moved out of modules (or old modules now packages) that are still real modules.
MOVED_NAMES = {
    ("tppo_analysis.sources.geography", "match_villages"): "tppo_analysis.sources._village_match",
    ("tppo_analysis.sources.geography", "MATCH_COLUMNS"): "tppo_analysis.sources._village_match",
    ("tppo_analysis.models.interval", "detection_power"): "tppo_analysis.design.power",
    ("tppo_analysis.design.synthetic", "CANARY_NIKS"): "tppo_analysis.privacy.identifiers",
    ("tppo_analysis.design.synthetic", "CANARY_PHONES"): "tppo_analysis.privacy.identifiers",
    ("tppo_analysis.design.synthetic", "CANARY_NAMES"): "tppo_analysis.privacy.identifiers",
}

#: Old modules that are now packages: their old public names, re-exported without a warning, and where they live.
PACKAGES = {
    "tppo_analysis.effects": {
        "EffectResult": "tppo_analysis.effects.result",
        "fit": "tppo_analysis.effects.api",
        "bacon": "tppo_analysis.effects.twfe",
        "honest_bounds": "tppo_analysis.effects.honestdid",
        "ring_exposure": "tppo_analysis.effects.placebo",
        "permutation_test": "tppo_analysis.effects.placebo",
        "placebo_shift": "tppo_analysis.effects.placebo",
        "AGGREGATIONS": "tppo_analysis.effects.result",
    },
    "tppo_analysis.privacy": {
        "MIN_CELL": "tppo_analysis.privacy.suppression",
        "suppress": "tppo_analysis.privacy.suppression",
        "suppression_cells": "tppo_analysis.privacy.suppression",
        "disclosure_ranges": "tppo_analysis.privacy.suppression",
        "check_granularity": "tppo_analysis.privacy.granularity",
        "publishable_panel": "tppo_analysis.privacy.granularity",
        "guard_columns": "tppo_analysis.privacy.identifiers",
        "identifier_column_kind": "tppo_analysis.privacy.identifiers",
        "find_identifiers": "tppo_analysis.privacy.identifiers",
        "IdentifierMatch": "tppo_analysis.privacy.identifiers",
        "mask_value": "tppo_analysis.privacy.identifiers",
        "KNOWN_FAKE_IDENTIFIERS": "tppo_analysis.privacy.identifiers",
    },
    "tppo_analysis.models.interval": {
        "IntervalCountModel": "tppo_analysis.models.interval.model",
        "IntervalCountResults": "tppo_analysis.models.interval.results",
        "HOLIDAY_TERMS": "tppo_analysis.models.interval.model",
        "BoundaryError": "tppo_analysis.errors",
    },
}


@pytest.fixture(autouse=True)
def _forget_imported_shims():
    """Restore the package namespaces a shim import changed.

    Importing a shim binds it as an attribute of its parent package (``tppo_analysis.plotting``), where it would
    shadow a lazy export for the rest of the session: put the namespaces back as they were.
    """
    parents = {name.rpartition(".")[0] for name in SHIMS}
    before = {p: dict(vars(importlib.import_module(p))) for p in parents}
    loaded = set(sys.modules)
    yield
    for parent, attrs in before.items():
        ns = vars(importlib.import_module(parent))
        for key in [k for k in ns if k not in attrs]:
            del ns[key]
        ns.update(attrs)
    for name in set(sys.modules) - loaded:
        if name in SHIMS:
            del sys.modules[name]


def _new(target: str, name: str) -> object:
    module, _, new_name = target.partition(":")
    return getattr(importlib.import_module(module), new_name or name)


@pytest.mark.parametrize("old,name", [(old, name) for old, names in SHIMS.items() for name in names])
def test_old_path_warns_and_forwards_to_the_same_object(old, name):
    target = SHIMS[old][name]
    module = importlib.import_module(old)
    with pytest.warns(DeprecationWarning, match=re.escape(target.replace(":", "."))):
        value = getattr(module, name)
    assert value is _new(target, name)


@pytest.mark.parametrize("old", sorted(SHIMS))
def test_old_module_lists_its_old_names_and_refuses_others(old):
    module = importlib.import_module(old)
    assert set(module.__all__) == set(SHIMS[old])
    with pytest.raises(AttributeError, match=re.escape(old)):
        module.__getattr__("no_such_name_here")


def test_from_import_of_an_old_path_warns_with_the_callers_location():
    with pytest.warns(DeprecationWarning, match="tppo_analysis.sources._read") as record:
        from tppo_analysis.read import parse_count  # noqa: F401
    assert record[0].filename == __file__


@pytest.mark.parametrize("old,name", sorted(MOVED_NAMES))
def test_names_moved_out_of_a_module_warn_and_forward(old, name):
    target = MOVED_NAMES[(old, name)]
    module = importlib.import_module(old)
    with pytest.warns(DeprecationWarning, match=re.escape(target)):
        value = getattr(module, name)
    assert value is getattr(importlib.import_module(target), name)


@pytest.mark.parametrize("package,name", [(p, n) for p, names in PACKAGES.items() for n in names])
def test_old_modules_now_packages_reexport_without_a_warning(package, name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = getattr(importlib.import_module(package), name)
    assert value is getattr(importlib.import_module(PACKAGES[package][name]), name)


def test_renamed_constants_keep_their_old_values():
    with pytest.warns(DeprecationWarning):
        old = importlib.import_module("tppo_analysis.models.poisson_etwfe").AGGREGATIONS
    assert old == ("simple", "event", "group", "calendar", "count")
    assert importlib.import_module("tppo_analysis.effects").AGGREGATIONS == ("simple", "event", "group", "calendar")
    with pytest.warns(DeprecationWarning):
        kinds = importlib.import_module("tppo_analysis.validate").KINDS
    assert kinds == ("public_record", "desa_binaan")


def test_lazy_exports_of_the_package_are_the_new_modules_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name, (module, attr) in tppo_analysis._EXPORTS.items():
            value = getattr(tppo_analysis, name)
            expected = importlib.import_module(module)
            assert value is (expected if attr is None else getattr(expected, attr)), name


def test_python_m_old_notebooks_path_still_runs_and_warns():
    res = subprocess.run([sys.executable, "-m", "tppo_analysis.notebooks"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 2  # usage: no notebook given
    assert "python -m tppo_analysis.output.notebooks" in res.stderr
    assert "DeprecationWarning" in res.stderr and "tppo_analysis.output.notebooks" in res.stderr


def test_type_checkers_see_every_lazy_export():
    """The ``TYPE_CHECKING`` block of ``tppo_analysis/__init__.py`` imports every name of ``_EXPORTS``."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(tppo_analysis.__file__).read_text(encoding="utf-8"))
    block = next(n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", None) == "TYPE_CHECKING")
    seen = {alias.asname or alias.name for node in block.body for alias in node.names}
    assert seen == set(tppo_analysis._EXPORTS)
