"""One shared check of the result protocol (``tppo_analysis.protocol``), used by every result type's tests.

``assert_result_protocol(result)`` checks tidy / conf_int / summary / plot on one fitted result.
``summary_text_in_subprocess(code, env=None)`` runs ``code`` (which must leave a result in the variable ``res``) in a
fresh Python process (with ``env`` added to its environment, e.g. one BLAS thread) and returns
``res.summary().text``, so a test can require the same text from two processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from tppo_analysis.protocol import SCALES, TIDY_COLUMNS, Summary  # noqa: E402


def assert_result_protocol(result) -> None:
    tidy = result.tidy()
    assert isinstance(tidy, pd.DataFrame) and len(tidy) > 0
    cols = list(tidy.columns)
    # identifying columns may come first; the protocol columns follow in order
    assert cols[-len(TIDY_COLUMNS) :] == list(TIDY_COLUMNS) or set(TIDY_COLUMNS) <= set(cols), cols
    assert set(tidy["scale"].dropna()) <= SCALES, set(tidy["scale"])
    finite = tidy.dropna(subset=["estimate", "ci_lower", "ci_upper"])
    assert ((finite["ci_lower"] <= finite["estimate"]) & (finite["estimate"] <= finite["ci_upper"])).all()

    wide = result.conf_int(level=0.95)
    narrow = result.conf_int(level=0.80)
    assert {"ci_lower", "ci_upper"} <= set(wide.columns)
    both = wide.join(narrow.add_suffix("_80")).dropna()
    assert (both["ci_lower"] <= both["ci_lower_80"] + 1e-12).all()
    assert (both["ci_upper"] >= both["ci_upper_80"] - 1e-12).all()

    s1, s2 = result.summary(), result.summary()
    assert isinstance(s1, Summary)
    assert s1.text == s2.text and s1._repr_html_() == s2._repr_html_()
    for word in ("/work/", "/home/", "/tmp/", "0x"):
        assert word not in s1.text, f"summary text contains {word!r}"

    fig, ax = result.plot()
    assert fig is not None and ax is not None
    plt.close(fig)
    fig, ax0 = plt.subplots()
    fig2, ax2 = result.plot(ax=ax0)
    assert ax2 is ax0 or np.any([a is ax0 for a in np.ravel([ax2])])
    plt.close(fig)


def summary_text_in_subprocess(code: str, env: dict[str, str] | None = None) -> str:
    script = textwrap.dedent(code) + "\nprint(res.summary().text, end='')\n"
    environment = {**os.environ, "MPLBACKEND": "Agg", **(env or {})}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=environment)
    return out.stdout
