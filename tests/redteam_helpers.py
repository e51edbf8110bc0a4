"""Helpers for the red-team regression tests (``tests/test_redteam_*.py``): run the CLI, check its messages.

Every test there reproduces one row of ``../shared/reviews/redteam-2026-12.md`` (the row id starts the test name);
each failed on the code the red team tested (commit 0b602d9) and passes now. Identities used are the red team's
fixture identities, listed in :data:`tppo_analysis.privacy.identifiers.KNOWN_FAKE_IDENTIFIERS`.
"""

from __future__ import annotations

import os
import subprocess
import sys

NIK1, NIK2 = "3201014107950003", "3578010502880004"
HP1, HP2 = "081377770002", "+6285712340003"
CANARY_NIK, CANARY_HP = "3201015501909991", "081299990001"


def tppo(*args, cwd=None, env=None, timeout=600):
    """Run ``tppo ARGS`` in a subprocess with this interpreter; return (returncode, stdout, stderr)."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("TPPO_")}
    e.update(env or {})
    r = subprocess.run(
        [sys.executable, "-m", "tppo_analysis.cli", *map(str, args)],
        cwd=cwd,
        env=e,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return r.returncode, r.stdout, r.stderr


def no_traceback(err: str) -> bool:
    """One clear message: no Python traceback, no raw exception class at the start of a line."""
    return "Traceback" not in err and not any(
        line.split(":", 1)[0].endswith(("Error", "Exception")) for line in err.splitlines()
    )
