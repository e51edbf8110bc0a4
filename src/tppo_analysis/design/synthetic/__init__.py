"""Every SYNTHETIC data-generating process of the project, one module per family (as pyfixest's ``utils/dgps.py``).

Everything returned is simulated and says so (a ``data`` column equal to ``"SYNTHETIC"`` and
``frame.attrs["data"] == "SYNTHETIC"``, except the bare estimator-check panels of ``staggered``). Nothing here is a
finding. Every generator takes a ``seed`` (or an ``rng``) and draws from one ``numpy.random.Generator``.

========================  ============================================================================================
``village``               :func:`generate_panel` — village x month deferrals on the real geography, calibrated to the
                          national record, real roster + synthetic program villages, dynamic effect, spillover,
                          population proxy (the offset), unmapped addresses, optional stress ``scenario``
``stress``                :func:`spike`, :func:`destinations`, :func:`covid`, :func:`cotreatment` — worlds that
                          violate ratio-scale parallel trends (selection on a transitory spike, destination-specific
                          reopening and the scam wave, COVID recovery, co-located programmes)
``small``                 :func:`small_panel` — integer periods, selection on sending level (tests, coverage studies)
``records``               :func:`generate_records` — a panel expanded to ``deferral_records`` rows, optional canaries
``power_panel``           :func:`simulate_design` — program waves and comparison villages for power calculations
``windows``               :func:`true_daily_mean`, :func:`simulate_totals`, :func:`draw_window_totals` — totals over
                          irregular windows (interval-model coverage and detection-power studies)
``staggered``             :func:`staggered_panel`, :func:`benchmark_panel` — Poisson ETWFE checks and benchmarks
========================  ============================================================================================
"""

from ..._deprecated import forward
from ._common import LABEL, SyntheticPanel
from .power_panel import simulate_design
from .records import generate_records
from .small import small_panel
from .staggered import benchmark_panel, staggered_panel
from .stress import SCENARIOS, cotreatment, covid, destinations, spike
from .village import generate_panel, truth_on
from .windows import draw_window_totals, simulate_totals, true_daily_mean

__all__ = [
    "LABEL",
    "SyntheticPanel",
    "generate_panel",
    "truth_on",
    "SCENARIOS",
    "spike",
    "destinations",
    "covid",
    "cotreatment",
    "small_panel",
    "generate_records",
    "simulate_design",
    "true_daily_mean",
    "simulate_totals",
    "draw_window_totals",
    "staggered_panel",
    "benchmark_panel",
]

# The canary identities moved to privacy.identifiers in 0.2 (the scanner no longer imports the generator).
__getattr__ = forward(
    "tppo_analysis.design.synthetic",
    {name: "tppo_analysis.privacy.identifiers" for name in ("CANARY_NIKS", "CANARY_PHONES", "CANARY_NAMES")},
)[0]
