"""SYNTHETIC record-level extracts: a count panel expanded to one row per deferred person.

The rows have the restricted ``deferral_records`` format, so ``tppo aggregate`` and ``tppo validate`` can be run on
them, and can carry the canary fake identities the privacy scanner must catch.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import TppoError
from ...privacy.identifiers import CANARY_NAMES, CANARY_NIKS, CANARY_PHONES
from ._common import LABEL, _label

__all__ = ["generate_records"]

_TPI = (
    ("Bandara Soekarno-Hatta", "airport", "Kantor Imigrasi Kelas I Khusus TPI Soekarno-Hatta"),
    ("Bandara Juanda", "airport", "Kantor Imigrasi Kelas I Khusus TPI Surabaya"),
    ("Bandara Zainuddin Abdul Madjid", "airport", "Kantor Imigrasi Kelas I TPI Mataram"),
    ("Pelabuhan Batam Center", "seaport", "Kantor Imigrasi Kelas I Khusus TPI Batam"),
    ("Bandara Kualanamu", "airport", "Kantor Imigrasi Kelas I Khusus TPI Medan"),
    ("PLBN Entikong", "land_border", "Kantor Imigrasi Kelas II TPI Entikong"),
    ("Pelabuhan Dumai", "seaport", "Kantor Imigrasi Kelas II TPI Dumai"),
    ("Bandara I Gusti Ngurah Rai", "airport", "Kantor Imigrasi Kelas I Khusus TPI Ngurah Rai"),
)
_REASONS = ("suspected_pmi_nonprosedural", "incomplete_documents", "inconsistent_purpose", "other")
_AGE_BANDS = ("15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49")


def generate_records(
    panel: pd.DataFrame,
    *,
    seed: int = 0,
    outcome: str = "deferrals",
    plant_canaries: bool = False,
) -> pd.DataFrame:
    """Expand a SYNTHETIC village x month count panel into record-level rows in the ``deferral_records`` format.

    One row per deferred person with the columns of
    :data:`tppo_analysis.sources.schemas.RESTRICTED_KINDS` ``["deferral_records"]`` (record_id, person_key,
    deferral_date, checkpoint, checkpoint_type, immigration_office, reason, village_code, match_quality, age_band,
    sex) plus the ``data = "SYNTHETIC"`` label. ``plant_canaries=True`` adds a free-text ``notes`` column (which the
    real format does not allow) holding the fixed fake identities CANARY_NIKS, CANARY_PHONES and CANARY_NAMES
    (:mod:`tppo_analysis.privacy.identifiers`) in the first rows, so the privacy scanner can be shown to catch them.

    Parameters
    ----------
    panel : DataFrame
        A SYNTHETIC panel (``data == "SYNTHETIC"``) with ``month``, ``village_code`` and the count column.
    seed : int
        Seed of the numpy Generator (dates within the month, checkpoints, person keys, reasons, age bands, sex).
    outcome : str
        The count column expanded into records.
    plant_canaries : bool
        Add the ``notes`` column with the canary identities.

    Returns
    -------
    DataFrame
        One row per record, labelled SYNTHETIC.
    """
    if "data" not in panel.columns or (panel["data"] != LABEL).any():
        raise TppoError("generate_records only expands SYNTHETIC panels (a 'data' column equal to 'SYNTHETIC')")
    rng = np.random.default_rng(seed)
    counts = panel[outcome].to_numpy(np.int64)
    idx = np.repeat(np.arange(len(panel)), counts)
    n = len(idx)
    month = pd.PeriodIndex(panel["month"]).to_numpy()[idx]
    start = pd.PeriodIndex(month, freq="M").start_time
    days = pd.PeriodIndex(month, freq="M").days_in_month.to_numpy()
    date = start + pd.to_timedelta(np.floor(rng.random(n) * days), unit="D")
    tpi = rng.integers(0, len(_TPI), n)
    keys = rng.integers(0, 2**63 - 1, n, dtype=np.int64)
    rec = pd.DataFrame(
        {
            "record_id": [f"SYN{i:09d}" for i in range(n)],
            "person_key": [f"{k:016x}" for k in keys],
            "deferral_date": date.strftime("%Y-%m-%d"),
            "checkpoint": np.asarray([t[0] for t in _TPI])[tpi],
            "checkpoint_type": np.asarray([t[1] for t in _TPI])[tpi],
            "immigration_office": np.asarray([t[2] for t in _TPI])[tpi],
            "reason": np.asarray(_REASONS)[rng.choice(len(_REASONS), n, p=[0.6, 0.2, 0.15, 0.05])],
            "village_code": np.asarray(panel["village_code"].astype(str))[idx],
            "match_quality": "exact",
            "age_band": np.asarray(_AGE_BANDS)[rng.integers(0, len(_AGE_BANDS), n)],
            "sex": np.where(rng.random(n) < 0.55, "F", "M"),
        }
    )
    if plant_canaries:
        if n < len(CANARY_NIKS):
            raise TppoError("too few records to plant the canaries")
        rec["notes"] = ""
        for i, (nik, ph, nm) in enumerate(zip(CANARY_NIKS, CANARY_PHONES, CANARY_NAMES, strict=True)):
            rec.loc[i, "notes"] = f"pemohon {nm}, NIK {nik}, HP {ph}"
    return _label(rec)
