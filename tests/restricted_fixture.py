"""A record-level RESTRICTED-format fixture built in the test (SYNTHETIC, seeded): about 50,000 deferral records.

Written in the exact formats of ``docs/restricted_extract_formats.md`` (``DIR/restricted/deferral_records.csv`` and
``DIR/restricted/desa_binaan.csv``), over every Kemendagri village of two regencies, 2021-01 to 2024-12, with a large
planted program effect (rate ratio ``EFFECT_RR`` from the launch month on). No real person: person keys are salted
hashes of a counter, and the only names are offices and checkpoints.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20261201
REGENCIES = ("35.16", "52.03")  # Kab. Mojokerto, Kab. Lombok Timur
MONTHS = pd.period_range("2021-01", "2024-12", freq="M")
EFFECT_RR = 0.5
N_PROGRAM = 60
REASONS = ("suspected_pmi_nonprosedural", "incomplete_documents", "inconsistent_purpose", "other")
CHECKPOINTS = (
    ("Bandara Juanda", "airport", "Kanim Surabaya"),
    ("Bandara Internasional Lombok", "airport", "Kanim Mataram"),
    ("Pelabuhan Tanjung Perak", "seaport", "Kanim Tanjung Perak"),
)


def build(data_dir: Path, *, target_records: int = 44_000, seed: int = SEED) -> dict:
    """Write the fixture under ``data_dir/restricted/``; return the planted parameters."""
    from tppo_analysis.sources.geography import load_villages

    rng = np.random.default_rng(seed)
    geo = load_villages()
    villages = geo.loc[geo["regency_code"].isin(REGENCIES), "village_code"].to_numpy()
    program = rng.choice(villages, N_PROGRAM, replace=False)
    launch_idx = rng.integers(12, 36, N_PROGRAM)  # launches 2022-01 .. 2023-12
    launch = dict(zip(program, launch_idx, strict=True))
    base = rng.gamma(2.0, 1.0, len(villages))
    base *= target_records / (base.sum() * len(MONTHS) * 0.85)
    rows = []
    for v, lam in zip(villages, base, strict=True):
        start = launch.get(v)
        mult = np.where(np.arange(len(MONTHS)) >= start, EFFECT_RR, 1.0) if start is not None else 1.0
        counts = rng.poisson(lam * np.broadcast_to(mult, len(MONTHS)))
        for t in np.flatnonzero(counts):
            rows.append((v, t, counts[t]))
    village = np.repeat([r[0] for r in rows], [r[2] for r in rows])
    month = np.repeat([r[1] for r in rows], [r[2] for r in rows])
    n = len(village)
    day = rng.integers(0, 28, n)
    dates = (MONTHS[month].to_timestamp() + pd.to_timedelta(day, unit="D")).strftime("%Y-%m-%d")
    cp = rng.integers(0, len(CHECKPOINTS), n)
    reason = rng.choice(REASONS, n, p=[0.8, 0.1, 0.05, 0.05])
    unmatched = rng.random(n) < 0.01
    keys = [hashlib.sha256(f"fixture-salt-{i % (n // 2)}".encode()).hexdigest() for i in range(n)]
    df = pd.DataFrame(
        {
            "record_id": [f"D{i:06d}" for i in range(n)],
            "person_key": keys,
            "deferral_date": dates,
            "checkpoint": [CHECKPOINTS[i][0] for i in cp],
            "checkpoint_type": [CHECKPOINTS[i][1] for i in cp],
            "immigration_office": [CHECKPOINTS[i][2] for i in cp],
            "reason": reason,
            "village_code": np.where(unmatched, "", village),
            "match_quality": np.where(unmatched, "unmatched", "exact"),
            "age_band": rng.choice(["20-24", "25-29", "30-34", "35-39", ""], n),
            "sex": rng.choice(["F", "M"], n),
        }
    )
    folder = Path(data_dir) / "restricted"
    folder.mkdir(parents=True, exist_ok=True)
    df.to_csv(folder / "deferral_records.csv", index=False, lineterminator="\n")
    roster = pd.DataFrame(
        {"village_code": program, "launch_date": [MONTHS[i].to_timestamp().strftime("%Y-%m-%d") for i in launch_idx]}
    )
    roster.sort_values("village_code").to_csv(folder / "desa_binaan.csv", index=False, lineterminator="\n")
    return {"n_records": n, "n_villages": len(villages), "effect_rr": EFFECT_RR, "program": sorted(program)}
