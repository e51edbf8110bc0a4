"""One set-up call for a notebook: where the data and outputs live, how tables print, how figures look.

Every notebook starts with a papermill ``parameters`` cell (``data_dir``, ``figures_dir``, ``results_dir`` and, for
some notebooks, parameters of their own such as the seed of a SYNTHETIC draw). ``tppo report --data-dir DIR --out
OUT`` injects the same names to run a notebook on a restricted extract. :func:`setup` takes exactly these
parameters, so the second cell of every notebook is one line::

    params = tppo.setup(data_dir=data_dir, figures_dir=figures_dir, results_dir=results_dir)

It points :mod:`tppo_analysis.paths` at the folders, sets pandas' display options (every float shown with three
significant digits by :func:`tppo_analysis.protocol.format_sig`, the one place where shown numbers are rounded) and
the project's matplotlib style, and returns the parameters.

This is a core module that reaches a later stage (``output.plotting`` for the style) only inside :func:`setup`, so
importing the package stays cheap and the flow of imports between stages is kept (``tests/test_layout.py``).
"""

from __future__ import annotations

import os
from typing import Any

import pandas as pd

from . import paths
from .protocol import format_sig

__all__ = ["setup", "DISPLAY_OPTIONS"]

#: pandas display options set by :func:`setup` (the float format is added there).
DISPLAY_OPTIONS: dict[str, Any] = {
    "display.width": 140,
    "display.max_columns": 40,
    "display.max_colwidth": 90,
    "display.max_rows": 60,
}


def setup(
    *,
    data_dir: str | os.PathLike | None = None,
    figures_dir: str | os.PathLike | None = None,
    results_dir: str | os.PathLike | None = None,
    **params: Any,
) -> dict[str, Any]:
    """Configure a notebook session from its papermill parameters and return them.

    Parameters
    ----------
    data_dir : str or os.PathLike, optional
        Input data folder (``public/``, ``reference/``, ``geography/``); None keeps ``data/`` of the repository (or
        ``TPPO_DATA_DIR``). A restricted run passes the extract's folder here.
    figures_dir : str or os.PathLike, optional
        Where :func:`tppo_analysis.save_figure` writes; None keeps ``figures/`` (or ``TPPO_FIGURES_DIR``).
    results_dir : str or os.PathLike, optional
        Where :func:`tppo_analysis.save_table` writes; None keeps ``results/`` (or ``TPPO_RESULTS_DIR``).
    **params : Any
        The notebook's own parameters (e.g. ``seed``): not used here, returned with the others so that the
        notebook reads every parameter from one place.

    Returns
    -------
    dict
        Every parameter as given, ``data_dir``, ``figures_dir`` and ``results_dir`` first.

    Examples
    --------
    >>> import tppo_analysis as tppo
    >>> params = tppo.setup(data_dir=None, figures_dir=None, results_dir=None, seed=20260415)
    >>> params["seed"]
    20260415
    >>> import pandas as pd
    >>> pd.DataFrame({"rate_ratio": [1.4612345]})
       rate_ratio
    0        1.46
    """
    from .output.plotting import apply_style  # output is a later stage: imported only when a session starts

    paths.configure(data_dir=data_dir, figures_dir=figures_dir, results_dir=results_dir)
    for option, value in DISPLAY_OPTIONS.items():
        pd.set_option(option, value)
    pd.set_option("display.float_format", format_sig)
    apply_style()
    return {"data_dir": data_dir, "figures_dir": figures_dir, "results_dir": results_dir, **params}
