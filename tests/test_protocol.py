"""Every result type passes one shared protocol test (``tppo_analysis.protocol``; docs/CONTRACTS.md section 5).

:data:`CASES` registers every estimate the package returns, each built on small data by a few lines of code. The
same code runs here (for :func:`protocol_helpers.assert_result_protocol`: ``tidy`` / ``conf_int(level=)`` /
``summary`` / ``plot``) and in two fresh Python processes, one of them with a single BLAS thread, whose
``summary().text`` must be identical: a summary depends on no clock, id, path, or last bits of an optimiser.

A case whose owner has not yet applied the protocol is marked ``xfail(strict=True, reason="owner: issue N")``: when
the owner's work lands the case passes, strict xfail turns that into a failure, and the owner deletes the mark in the
same commit. ``Reconciliation`` (issue 11) is not an estimate; its own contract (unpacks as ``obs, audit``,
``coverage()``, ``set_aside()``, ``plot_windows(ax=)``) is checked separately. The result protocol base itself is
checked on a minimal subclass at the end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from protocol_helpers import assert_result_protocol, summary_text_in_subprocess
from tppo_analysis.protocol import TIDY_COLUMNS, Result, Summary, format_sig, round_frame, round_sig

_WINDOWS = """
import numpy as np, pandas as pd
import tppo_analysis as tppo
rng = np.random.default_rng(20261201)
starts = pd.date_range("2022-01-01", "2024-12-01", freq="MS")
ends = starts + pd.offsets.MonthEnd(0)
days = (ends - starts).days.to_numpy() + 1
mu = 4.0 * np.exp(0.2 * np.arange(len(starts)) / 12)
obs = pd.DataFrame({"period_start": starts, "period_end": ends,
                    "value": rng.negative_binomial(5, 5 / (5 + mu * days))})
"""

_PANEL = """
import tppo_analysis as tppo
sim = tppo.load_data("synthetic_small_panel", seed=5, n_villages=240, n_periods=12, cohorts=(6, 8))
design = tppo.StaggeredDesign(sim.panel, "y", "unit", "period", "cohort")
"""

#: case -> (code leaving the result in ``res``, owner issue whose protocol work has not landed yet, or None)
CASES: dict[str, tuple[str, int | None]] = {
    "EffectResult (poisson_etwfe)": (_PANEL + 'res = design.fit("poisson_etwfe")', None),
    "EffectResult (cs)": (_PANEL + 'res = design.fit("cs")', None),
    "EffectResult (twfe)": (_PANEL + 'res = design.fit("twfe")', None),
    "PoissonETWFEFit": (
        _PANEL
        + "from tppo_analysis.effects import _etwfe_fast\n"
        + 'res = _etwfe_fast.fit(sim.panel, outcome="y", unit="unit", time="period", cohort="cohort")',
        None,
    ),
    "IntervalCountResults (poisson)": (
        _WINDOWS + 'res = tppo.IntervalCountModel("poisson", trend="linear", holidays=False).fit(obs)',
        None,
    ),
    "IntervalCountResults (negbin)": (
        _WINDOWS + 'res = tppo.IntervalCountModel("negbin", trend="linear", holidays=False).fit(obs)',
        None,
    ),
    "PooledIntervalResults": (
        'import tppo_analysis as tppo\nobs = tppo.load_data("observations")\n'
        'res = tppo.fit_pooled(obs, ["tpi:soekarno-hatta", "tpi:juanda", "tpi:batam-seaports"])',
        None,
    ),
    "MonthlyNBResults": (
        _WINDOWS
        + "from tppo_analysis.models.monthly import fit_monthly_nb\n"
        + 'monthly = pd.DataFrame({"month": starts, "value": obs["value"]})\n'
        + "res = fit_monthly_nb(monthly)",
        None,
    ),
}


def _params(cases: dict[str, tuple[str, int | None]]) -> list:
    out = []
    for name, (_, owner) in cases.items():
        marks = [pytest.mark.xfail(strict=True, reason=f"owner: issue {owner}")] if owner else []
        out.append(pytest.param(name, marks=marks, id=name))
    return out


def _build(name: str):
    namespace: dict = {}
    exec(textwrap.dedent(CASES[name][0]), namespace)
    return namespace["res"]


@pytest.mark.parametrize("name", _params(CASES))
def test_result_type_follows_the_protocol(name):
    res = _build(name)
    assert isinstance(res, Result), f"{type(res).__name__} does not derive from tppo_analysis.protocol.Result"
    assert_result_protocol(res)


@pytest.mark.parametrize("name", _params(CASES))
def test_summary_text_is_identical_across_two_processes(name):
    code = CASES[name][0]
    first = summary_text_in_subprocess(code)
    second = summary_text_in_subprocess(code, env={"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"})
    assert first and first == second


def test_reconciliation_is_a_result_object_that_still_unpacks():
    """``reconcile()`` returns a ``Reconciliation`` (not an estimate: no intervals), and old code keeps working."""
    import matplotlib.pyplot as plt

    import tppo_analysis as tppo

    rec = tppo.reconcile(tppo.load_public_record())
    assert type(rec).__name__ == "Reconciliation"
    obs, audit = rec
    assert obs is rec.observations and audit is rec.audit and rec[0] is obs
    assert isinstance(rec.coverage(), pd.DataFrame) and isinstance(rec.set_aside(), pd.DataFrame)
    assert set(rec.set_aside()["figure_id"]) <= set(audit.loc[audit["status"] == "set_aside", "figure_id"])
    fig, ax = rec.plot_windows()
    plt.close(fig)
    fig, ax0 = plt.subplots()
    assert rec.plot_windows(ax=ax0)[1] is ax0
    plt.close(fig)


# --------------------------------------------------------------------------------------------------------------------
# the protocol base, on a minimal result
# --------------------------------------------------------------------------------------------------------------------


class _Mean(Result):
    """The mean of a sample with a normal interval: the smallest honest result."""

    title = "Mean of a SYNTHETIC sample"

    def __init__(self, x: np.ndarray) -> None:
        self.x = np.asarray(x, dtype=float)

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        from scipy import stats

        m, se = self.x.mean(), self.x.std(ddof=1) / np.sqrt(len(self.x))
        z = stats.norm.ppf(0.5 + level / 2)
        return pd.DataFrame({"ci_lower": [m - z * se], "ci_upper": [m + z * se]}, index=pd.Index(["mean"], name="term"))

    def tidy(self) -> pd.DataFrame:
        ci = self.conf_int()
        return pd.DataFrame(
            {
                "term": ["mean"],
                "estimate": [self.x.mean()],
                "se": [self.x.std(ddof=1) / np.sqrt(len(self.x))],
                "ci_lower": ci["ci_lower"].to_numpy(),
                "ci_upper": ci["ci_upper"].to_numpy(),
                "scale": ["count"],
                "level": [0.95],
            }
        )

    def plot(self, ax=None):
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots()
        t = self.tidy()
        ax.errorbar([0], t["estimate"], yerr=[t["estimate"] - t["ci_lower"], t["ci_upper"] - t["estimate"]], fmt="o")
        return ax.figure, ax


def test_the_base_gives_a_rounded_deterministic_summary():
    res = _Mean(np.random.default_rng(1).normal(7.0, 2.0, 50))
    assert_result_protocol(res)
    s = res.summary()
    assert isinstance(s, Summary) and list(s.table.columns) == list(TIDY_COLUMNS)
    est = float(res.tidy()["estimate"].iloc[0])
    assert float(s.table["estimate"].iloc[0]) == round_sig(est) != est
    assert s.text.splitlines()[0] == res.title and "<h4>" in s._repr_html_()


def test_the_helper_catches_a_summary_that_is_not_deterministic():
    class Clock(_Mean):
        def notes(self):
            import time

            return (f"made at {time.perf_counter_ns()}",)

    with pytest.raises(AssertionError):
        assert_result_protocol(Clock(np.arange(10.0)))


def test_rounding_is_to_three_significant_digits_and_leaves_counts_alone():
    assert round_sig(368486.022) == 368000.0 and round_sig(0.0012345) == 0.00123 and round_sig(0.99951) == 1.0
    assert round_sig(17) == 17 and np.isnan(round_sig(float("nan"))) and round_sig("x") == "x"
    frame = round_frame(pd.DataFrame({"n": [12345], "rr": [1.23456], "p": [0.012345]}), exclude=["p"])
    assert frame.to_dict("list") == {"n": [12345], "rr": [1.23], "p": [0.012345]}
    assert [format_sig(v) for v in (368486.022, 1.5, 0.0423, 1.234e-5)] == ["368,000", "1.50", "0.0423", "1.23e-05"]


def test_summary_text_in_subprocess_uses_a_fresh_process():
    code = "import os\nclass R:\n    def summary(self):\n        return type('S', (), {'text': str(os.getpid())})()\nres = R()"
    assert summary_text_in_subprocess(code) != str(os.getpid())
    out = subprocess.run([sys.executable, "-c", "print(1)"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"
