"""One module per data source: the Kemendagri geography and the Desa Binaan roster (more may join)."""

from .geography import load_villages, match_villages, normalise_village_code
from .roster import load_desa_binaan, roster_match_report, unmatched_villages

__all__ = [
    "load_villages",
    "match_villages",
    "normalise_village_code",
    "load_desa_binaan",
    "roster_match_report",
    "unmatched_villages",
]
