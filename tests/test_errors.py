"""Every error class lives in ``tppo_analysis.errors`` and the CLI prints each without a traceback.

Every error class lives in ``tppo_analysis.errors``, is a ``TppoError`` and a ``ValueError``, and the ``tppo``
command prints each as one message without a traceback; callers tell errors apart by class, not by message text.
"""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

from tppo_analysis import cli, errors
from tppo_analysis.errors import NoOverdispersionError, Problem, TppoError

CONTRACT_CLASSES = {  # docs/CONTRACTS.md section 6
    "DataValidationError",
    "CellError",
    "VillageCodeError",
    "FigureError",
    "AmbiguousPeriodError",
    "InsufficientDataError",
    "NotIdentifiedError",
    "NoOverdispersionError",
    "BoundaryError",
    "IdentifierError",
    "DisclosureError",
    "OutputLocationError",
}


def _exported_error_classes() -> dict[str, type]:
    return {
        name: obj
        for name in errors.__all__
        if inspect.isclass(obj := getattr(errors, name)) and issubclass(obj, BaseException)
    }


def _instance(cls: type) -> Exception:
    if cls is errors.DataValidationError:
        return cls([Problem("data/public/x.csv", 17, "period_end", "2023-02-30", "not a date")])
    if cls is errors.BoundaryError:
        return cls({"post_idul_fitri": (-25.0, 4000.0)})
    return cls(f"{cls.__name__}: something the user can fix")


def test_every_contract_error_class_is_exported():
    assert CONTRACT_CLASSES <= set(_exported_error_classes())


@pytest.mark.parametrize("name", sorted(CONTRACT_CLASSES | {"TppoError"}))
def test_every_error_is_a_tppo_error_and_a_value_error(name):
    cls = _exported_error_classes()[name]
    assert issubclass(cls, TppoError) and issubclass(cls, ValueError)
    assert cls.__doc__ and len(cls.__doc__.split()) >= 8, f"{name} needs a docstring saying when it is raised"


def test_no_error_class_is_defined_outside_errors_py():
    import ast
    from pathlib import Path

    src = Path(errors.__file__).parent
    outside = []
    for path in src.rglob("*.py"):
        if path.name == "errors.py" and path.parent == src:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                isinstance(b, ast.Name) and (b.id.endswith("Error") or b.id in {"Exception", "ValueError"})
                for b in node.bases
            ):
                outside.append(f"{path.relative_to(src)}:{node.lineno} {node.name}")
    assert outside == []


@pytest.mark.parametrize("name", sorted(CONTRACT_CLASSES))
def test_cli_prints_each_error_as_one_message_without_traceback(name, monkeypatch, capsys):
    exc = _instance(_exported_error_classes()[name])

    def run(args):
        raise exc

    help_text, configure, _ = cli.SUBCOMMANDS["scan"]
    monkeypatch.setitem(cli.SUBCOMMANDS, "scan", (help_text, configure, run))
    assert cli.main(["scan"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.startswith("tppo scan: ") and str(exc) in err


def test_detection_power_tells_no_overdispersion_apart_by_class(monkeypatch):
    """Refit a negbin replicate whose dispersion goes to 0 as Poisson, whatever the message says.

    A negbin refit whose dispersion goes to 0 is refitted as Poisson (not counted as failed), whatever the
    message says.
    """
    from tppo_analysis.design import power

    real = power.IntervalCountModel

    class NoDispersionSeen(real):
        def fit(self, obs, **kw):
            if self.family == "negbin":
                raise NoOverdispersionError("dispersion at zero")  # no hint of the old message text
            return super().fit(obs, **kw)

    monkeypatch.setattr(power, "IntervalCountModel", NoDispersionSeen)
    starts = pd.date_range("2023-01-01", "2024-12-01", freq="MS")
    windows = pd.DataFrame({"period_start": starts, "period_end": starts + pd.offsets.MonthEnd(0)})
    out = power.detection_power(
        windows,
        term="post_idul_fitri",
        rate_ratios=[3.0],
        base_params={"intercept": np.log(5.0), "trend": 0.0},
        origin="2024-01-01",
        family="negbin",
        alpha=1e-6,
        reps=5,
        seed=2,
    )
    assert out.loc[0, "n_failed"] == 0
    assert out.loc[0, "power_wald"] > 0


def test_interval_model_raises_no_overdispersion_error_for_poisson_windows():
    from tppo_analysis.models.interval import IntervalCountModel

    rng = np.random.default_rng(0)
    starts = pd.date_range("2022-01-01", "2024-12-01", freq="MS")
    ends = starts + pd.offsets.MonthEnd(0)
    days = (ends - starts).days.to_numpy() + 1
    obs = pd.DataFrame({"period_start": starts, "period_end": ends, "value": rng.poisson(3.0 * days)})
    try:
        res = IntervalCountModel("negbin", trend="linear", holidays=False).fit(obs)
    except NoOverdispersionError:
        return
    # a fit that returns instead (the contract's default) must say the dispersion is (near) zero
    assert float(res.params["alpha"]) < 1e-3
