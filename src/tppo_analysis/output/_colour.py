"""Colours a reader with a colour-vision deficiency can tell apart, and the test that says so.

Every figure's series colours (the colours of its labelled marks, stored in the figure's JSON sidecar) must stay at
least :data:`MIN_DELTA_E` apart under normal vision and under full-severity deuteranopia, protanopia and
tritanopia. Vision is simulated with colorspacious (Machado, Oliveira & Fernandes 2009, ``sRGB1+CVD`` at severity
100) and differences are measured in CAM02-UCS (Luo, Cui & Li 2006), colorspacious's perceptually uniform space;
semi-transparent colours are composited on white first, as they are seen.

The palettes pass that test: :data:`PALETTE` (Okabe & Ito 2008 colours, reordered so that every prefix passes;
bluish green and reddish purple are left out because they meet blue at ΔE 11.7 under tritanopia and 14.0 under
protanopia), :data:`STATUS_COLOURS` for the record's reconciliation states and :func:`sequential_colours` for ordered
categories. The first two and the context colours are defined in :mod:`tppo_analysis.record._figure_style` (the
record's own figures use them, and ``record`` sits below ``output``) and re-exported here.

Written by hand only for the pairing and the threshold; the simulation and the colour space are colorspacious's.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.colors import to_hex, to_rgba

from ..errors import FigureError
from ..record._figure_style import CONTEXT_FILL, EVENT_COLOUR, NO_DATA_COLOUR, PALETTE, STATUS_COLOURS

__all__ = [
    "PALETTE",
    "STATUS_COLOURS",
    "CONTEXT_FILL",
    "EVENT_COLOUR",
    "NO_DATA_COLOUR",
    "VISIONS",
    "MIN_DELTA_E",
    "DELTA_E_SPACE",
    "simulate",
    "colour_distances",
    "colour_vision_check",
    "sequential_colours",
    "on_white",
]

#: colorspacious's names of the simulated deficiencies, and how they are called in prose.
VISIONS = {
    "normal": "normal vision",
    "deuteranomaly": "deuteranopia",
    "protanomaly": "protanopia",
    "tritanomaly": "tritanopia",
}
#: Smallest colour difference allowed between two series colours of one figure.
MIN_DELTA_E = 15.0
DELTA_E_SPACE = "CAM02-UCS"


def on_white(colour) -> np.ndarray:
    """Return the sRGB (0–1) of ``colour`` with its alpha composited on a white page."""
    r, g, b, a = to_rgba(colour)
    return np.array([r, g, b]) * a + (1.0 - a)


def simulate(colour, vision: str) -> np.ndarray:
    """Return the sRGB (0–1) of ``colour`` as seen with ``vision`` (a key of :data:`VISIONS`) at full severity."""
    from colorspacious import cspace_convert  # type: ignore[import-untyped]

    if vision not in VISIONS:
        raise FigureError(f"unknown vision {vision!r}; use one of {sorted(VISIONS)}")
    rgb = on_white(colour)
    if vision == "normal":
        return rgb
    cvd = {"name": "sRGB1+CVD", "cvd_type": vision, "severity": 100}
    return np.clip(cspace_convert(rgb, cvd, "sRGB1"), 0.0, 1.0)


def colour_distances(colours: Mapping[str, str] | Sequence[str]) -> pd.DataFrame:
    """CAM02-UCS ΔE of every pair of distinct colours under every vision.

    ``colours`` maps a label to a colour (or is a list of colours). Marks sharing one colour are one colour here:
    they must differ by shape, line style or hatch, which this test does not see.

    Returns
    -------
    DataFrame
        ``first, second`` (labels), ``first_colour, second_colour`` (hex, composited on white), ``vision``,
        ``delta_e``; one row per pair and vision.
    """
    from colorspacious import deltaE

    items = dict(colours) if isinstance(colours, Mapping) else {str(c): c for c in colours}
    by_hex: dict[str, str] = {}
    for label, c in items.items():
        by_hex.setdefault(to_hex(tuple(on_white(c))), str(label))
    rows = []
    for (h1, l1), (h2, l2) in itertools.combinations(sorted(by_hex.items()), 2):
        for vision in VISIONS:
            d = deltaE(simulate(h1, vision), simulate(h2, vision), input_space="sRGB1", uniform_space=DELTA_E_SPACE)
            rows.append((l1, l2, h1, h2, vision, float(d)))
    return pd.DataFrame(rows, columns=["first", "second", "first_colour", "second_colour", "vision", "delta_e"])


def colour_vision_check(colours: Mapping[str, str] | Sequence[str]) -> dict:
    """Find the closest pair of colours under any vision: ``min_delta_e``, ``pair``, ``vision``, ``space``, ``passes``.

    With fewer than two distinct colours ``min_delta_e`` is ``None`` and the figure passes.
    """
    d = colour_distances(colours)
    if d.empty:
        return {"min_delta_e": None, "pair": None, "vision": None, "space": DELTA_E_SPACE, "passes": True}
    w = d.loc[d["delta_e"].idxmin()]
    return {
        "min_delta_e": round(float(w["delta_e"]), 1),
        "pair": [str(w["first"]), str(w["second"])],
        "vision": VISIONS[str(w["vision"])],
        "space": DELTA_E_SPACE,
        "passes": bool(w["delta_e"] >= MIN_DELTA_E),
    }


def sequential_colours(n: int) -> list[str]:
    """``n`` colours for ordered categories (program sizes, years): viridis from dark to light, 1 <= n <= 5.

    Five steps are the most that stay >= 15 ΔE apart under every simulated vision (15.3); for more categories
    label the lines directly instead of relying on colour.
    """
    import matplotlib

    if not 1 <= int(n) <= 5:
        raise FigureError(f"sequential_colours({n}): 1 to 5 ordered colours; label more categories directly")
    cmap = matplotlib.colormaps["viridis"]
    return [to_hex(cmap(x)) for x in (np.linspace(0.0, 0.85, int(n)) if n > 1 else [0.0])]
