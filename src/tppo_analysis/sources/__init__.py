"""Inputs -> validated frames: one module per source, the schemas and the validation machinery they share.

* :mod:`~tppo_analysis.sources.public_record` — the cited public record;
* :mod:`~tppo_analysis.sources.geography` — the Kemendagri villages (and :func:`match_villages` for names);
* :mod:`~tppo_analysis.sources.roster` — the Desa Binaan roster;
* :mod:`~tppo_analysis.sources.calendar` — Indonesian moving-holiday regressors;
* :mod:`~tppo_analysis.sources.extracts` — restricted record-level extracts -> monthly panels (DuckDB);
* :mod:`~tppo_analysis.sources.schemas` — every pandera schema; :mod:`~tppo_analysis.sources.validation` — the
  problem-collecting machinery; ``_read`` — lossless reading of messy CSVs.
"""

from ._village_match import match_villages
from .geography import load_villages, normalise_village_code
from .roster import load_desa_binaan, roster_match_report, unmatched_villages

__all__ = [
    "load_villages",
    "match_villages",
    "normalise_village_code",
    "load_desa_binaan",
    "roster_match_report",
    "unmatched_villages",
]
