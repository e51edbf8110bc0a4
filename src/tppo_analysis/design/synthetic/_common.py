"""What every SYNTHETIC data set shares: the label and the panel-with-truth container."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = ["LABEL", "SyntheticPanel"]

LABEL = "SYNTHETIC"


def _label(df: pd.DataFrame) -> pd.DataFrame:
    df.insert(0, "data", LABEL)
    df.attrs["data"] = LABEL
    return df


@dataclass
class SyntheticPanel:
    """A SYNTHETIC panel and its truth.

    panel : data, village_code, district_code, regency_code, province_code, month (Period[M]), first_treated
        (Period[M], NaT = never), program_source, baseline_sending (mean expected count in the first 12 months),
        deferrals (counts), expected (true mean without the program effect).
    villages : one row per village: propensity, first_treated, program_source, spillover_exposed_from.
    true_effects : event_time, rate_ratio (the planted dynamic effect).
    true_overall : the estimand of Poisson ETWFE's ``aggregate("simple")``: expected count of the treated
        village-months over their expected count without the program (a rate ratio).
    params : the parameters used, and ``true_att_count`` (the planted average effect in deferrals per treated
        village-month, the estimand of the levels estimators).
    """

    panel: pd.DataFrame
    villages: pd.DataFrame
    true_effects: pd.DataFrame
    true_overall: float
    params: dict = field(default_factory=dict)
