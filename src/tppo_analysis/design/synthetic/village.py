"""SYNTHETIC village x month deferral panels on the real geography, calibrated to the national record.

Everything returned here is simulated and labelled so: every frame has a ``data`` column equal to ``"SYNTHETIC"``
and ``frame.attrs["data"] == "SYNTHETIC"``. Nothing here is a finding.

Data-generating process (:func:`generate_panel`), per village i and month t::

    deferrals_it ~ NegBin(mean = lambda_i * trend_t * season_t * RR_it, shape = dispersion)
    log lambda_i = province effect + regency effect + village effect     (heavy-tailed sending propensity)
    trend_t      = exp(slope * years since start + wave_t)               (multiplicative national trend with a
                                                                           2022-2023 recruitment wave)
    season_t     = exp(b_ramadan * ramadan_share_t + b_post * post_idul_fitri_days_t / 10)
    RR_it        = exp(effect_log * min(1, (e + 1) / ramp)) for treated villages at event time e >= 0 (dynamic
                   rate-ratio effect), exp(spillover_log) for untreated villages of a kecamatan with a program
                   village after its first launch, 1 otherwise.

Calibration: the national mean is scaled so that expected national deferrals (without the program) average
``national_monthly_2025`` per month in 2025 — the public record reports on the order of 1,000+ deferrals a month
nationally in 2025. Program villages are selected on high propensity: the real dated roster villages
(:func:`tppo_analysis.load_desa_binaan`) get propensities from the top of the distribution, and synthetic additional
villages (flagged ``program_source = "synthetic_addition"``) are drawn among high-propensity villages with launch
months spread so that ``n_enrolled_by`` villages (default 185) are enrolled by May 2025.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import TppoError
from ._common import SyntheticPanel, _label

__all__ = ["generate_panel"]

# Relative sending level by province code (log scale): the main PMI-sending provinces send far more.
_PROVINCE_LOG = {
    "52": 2.0,
    "53": 1.6,
    "35": 1.5,
    "33": 1.3,
    "32": 1.2,
    "18": 1.1,
    "12": 0.9,
    "61": 0.9,
    "64": 0.6,
    "21": 0.8,
    "51": 0.5,
    "73": 0.6,
    "36": 0.6,
}


def _villages(regency_codes, villages):
    if villages is None:
        from ...sources.geography import load_villages

        villages = load_villages()
    v = villages[["village_code", "district_code", "regency_code", "province_code"]]
    if regency_codes is not None:
        v = v[v["regency_code"].isin(list(regency_codes))]
        if v.empty:
            raise TppoError(f"no villages in regencies {list(regency_codes)}")
    return v.reset_index(drop=True)


_ROSTER_CACHE: dict[str, pd.DataFrame] = {}


def _periods(ordinals: np.ndarray) -> pd.PeriodIndex:
    """Monthly periods from ordinals, -1 = NaT (vectorised)."""
    o = np.where(ordinals >= 0, ordinals, np.iinfo(np.int64).min).astype(np.int64)
    return pd.PeriodIndex(pd.arrays.PeriodArray(o, dtype="period[M]"))


def _cat(values: np.ndarray, rows: np.ndarray) -> pd.Categorical:
    cats, codes = np.unique(values, return_inverse=True)
    return pd.Categorical.from_codes(codes[rows], categories=cats)


def _roster(roster):
    if roster is False:
        return pd.DataFrame(columns=["village_code", "first_treated"])
    if roster is None:
        if "default" not in _ROSTER_CACHE:
            from ...sources.roster import load_desa_binaan

            _ROSTER_CACHE["default"] = load_desa_binaan()
        roster = _ROSTER_CACHE["default"]
    from ..panel import cohort_table

    coh, _ = cohort_table(roster)
    return coh[["village_code", "first_treated"]]


def _season(months: pd.PeriodIndex, b_ramadan: float, b_post: float) -> np.ndarray:
    from ...sources.calendar import holiday_regressors

    start = months[0].to_timestamp().strftime("%Y-%m-%d")
    end = months[-1].to_timestamp(how="end").strftime("%Y-%m-%d")
    h = holiday_regressors(start, end)
    m = pd.PeriodIndex(pd.to_datetime(h["month"]), freq="M")
    h = h.set_index(m).reindex(months)
    ram = h["ramadan_share"].fillna(0).to_numpy(float)
    post = h["post_idul_fitri_days"].fillna(0).to_numpy(float)
    return np.exp(b_ramadan * ram + b_post * post / 10.0)


def generate_panel(
    *,
    seed: int = 0,
    start: str = "2020-01",
    end: str = "2025-12",
    regency_codes=None,
    villages: pd.DataFrame | None = None,
    roster: pd.DataFrame | None | bool = None,
    n_enrolled_by: int = 185,
    enrolled_by: str = "2025-05",
    first_synthetic_launch: str = "2023-01",
    national_monthly_2025: float = 1200.0,
    village_sd: float = 1.3,
    regency_sd: float = 0.6,
    slope: float = 0.10,
    wave: float = 0.35,
    b_ramadan: float = -0.25,
    b_post: float = 0.20,
    effect_rr: float = 0.7,
    ramp: int = 6,
    spillover_rr: float = 1.0,
    dispersion: float | None = 2.0,
    selection_quantile: float = 0.97,
) -> SyntheticPanel:
    """Simulate a SYNTHETIC village x month deferral panel (see the module docstring for the model).

    Parameters
    ----------
    seed : int
        Seed of the numpy Generator (the only source of randomness).
    start, end : str
        First and last month (inclusive), ``YYYY-MM``.
    regency_codes : sequence of str, optional
        Restrict to these regencies ("PP.KK"); None = all 83,762 villages.
    villages : DataFrame, optional
        Geography frame (default :func:`tppo_analysis.load_villages`).
    roster : DataFrame or False, optional
        Program roster (default the real one; ``False`` = none, only synthetic additions).
    n_enrolled_by, enrolled_by : int, str
        Total program villages enrolled by that month (real dated + synthetic additions); on a subset of regencies
        it is scaled by the subset's share of national propensity.
    first_synthetic_launch : str
        Earliest launch month of a synthetic addition.
    national_monthly_2025 : float
        Calibration target (persons per month, national, 2025, without the program).
    village_sd, regency_sd : float
        Standard deviations of the log-normal village and regency propensity effects.
    slope, wave : float
        National log-linear trend per year and the height of the 2022-2023 recruitment wave (log scale).
    b_ramadan, b_post : float
        Seasonal log effects of the Ramadan share of a month and of 10 post-Idul-Fitri days.
    effect_rr, ramp : float, int
        Long-run rate ratio of the program (0.7 = -30%), reached after ``ramp`` months.
    spillover_rr : float
        Rate ratio for untreated villages of a kecamatan with a program village (1 = none).
    dispersion : float or None
        Negative-binomial shape (None = Poisson).
    selection_quantile : float
        Program villages are drawn among villages above this propensity quantile.

    Returns
    -------
    SyntheticPanel
        ``panel`` (data, village_code, district_code, regency_code, province_code, month, first_treated,
        program_source, baseline_sending, deferrals, expected), ``villages``, ``true_effects`` (event_time,
        rate_ratio), ``true_overall`` (the Poisson ETWFE "simple" estimand) and ``params`` (with ``true_att_count``).
    """
    rng = np.random.default_rng(seed)
    geo = _villages(None, villages)
    months = pd.period_range(pd.Period(start, "M"), pd.Period(end, "M"), freq="M")
    n_t = len(months)
    if n_t < 3:
        raise TppoError("the panel needs at least 3 months")

    # heavy-tailed propensity: province + regency + village effects, all log-normal; drawn for the whole geography
    # so that a subset of regencies gets the same villages' values (and its share of the national total)
    prov = geo["province_code"].map(_PROVINCE_LOG).fillna(0.0).to_numpy()
    reg_codes, reg_idx = np.unique(geo["regency_code"].to_numpy(), return_inverse=True)
    reg_eff = rng.normal(0, regency_sd, size=len(reg_codes))
    log_lam_all = prov + reg_eff[reg_idx] + rng.normal(0, village_sd, size=len(geo))
    if regency_codes is not None:
        keep = geo["regency_code"].isin(list(regency_codes)).to_numpy()
        if not keep.any():
            raise TppoError(f"no villages in regencies {list(regency_codes)}")
    else:
        keep = np.ones(len(geo), dtype=bool)
    national_share = float(np.exp(log_lam_all[keep]).sum() / np.exp(log_lam_all).sum())
    geo = geo[keep].reset_index(drop=True)
    log_lam = log_lam_all[keep]
    prov = prov[keep]
    n_v = len(geo)

    # national multiplicative trend: growth, a 2022-2023 recruitment wave, seasonality
    t_years = (months.asi8 - months[0].ordinal) / 12.0
    mid = (pd.Period("2023-01", "M").ordinal - months[0].ordinal) / 12.0
    wave_t = wave * np.exp(-0.5 * ((t_years - mid) / 0.6) ** 2)
    trend = np.exp(slope * t_years + wave_t) * _season(months, b_ramadan, b_post)

    # calibration: expected national total in 2025 (national geography share for a subset)
    lam = np.exp(log_lam)
    in_2025 = np.asarray([m.year == 2025 for m in months])
    ref_trend = trend[in_2025].mean() if in_2025.any() else trend[-12:].mean()
    scale = national_monthly_2025 * national_share / (lam.sum() * ref_trend)
    lam = lam * scale

    # program villages: real dated roster (selected on high propensity) + synthetic additions
    first = np.full(n_v, -1, dtype=np.int64)  # month ordinal, -1 = never
    source = np.full(n_v, "none", dtype=object)
    ros = _roster(roster)
    pos = pd.Index(geo["village_code"]).get_indexer(ros["village_code"].astype(str))
    ok = pos >= 0
    hi = np.quantile(lam, selection_quantile)
    for p, ft in zip(pos[ok], ros["first_treated"].to_numpy()[ok], strict=True):
        first[p] = ft.ordinal
        source[p] = "roster"
        if lam[p] < hi:  # selection on high sending: roster villages are high-propensity villages
            lam[p] = hi * np.exp(abs(rng.normal(0, 0.5)))
    by = pd.Period(enrolled_by, "M").ordinal
    n_target = int(round(n_enrolled_by * national_share))
    if national_share < 1:  # a subset gets its share of the national program, at least 3 villages
        n_target = max(n_target, 3)
    n_have = int(((first >= 0) & (first <= by)).sum())
    n_add = max(0, n_target - n_have)
    cand = np.flatnonzero((source == "none") & (lam >= hi))
    if n_add > len(cand):
        cand = np.flatnonzero(source == "none")
    if n_add:
        w = lam[cand] / lam[cand].sum()
        pick = rng.choice(cand, size=min(n_add, len(cand)), replace=False, p=w)
        lo = pd.Period(first_synthetic_launch, "M").ordinal
        first[pick] = rng.integers(lo, by + 1, size=len(pick))
        source[pick] = "synthetic_addition"
    last = months[-1].ordinal
    first[first > last] = -1  # launched after the panel: never treated within it

    # program effect (dynamic rate ratio) and spillover to the same kecamatan
    tt = months.asi8[None, :]
    e = tt - first[:, None]
    treated = (first[:, None] >= 0) & (e >= 0)
    log_rr = np.where(treated, np.log(effect_rr) * np.minimum(1.0, (e + 1) / ramp), 0.0)
    district = geo["district_code"].to_numpy()
    d_first = pd.Series(np.where(first >= 0, first, np.iinfo(np.int64).max)).groupby(district).transform("min")
    d_first = d_first.to_numpy()
    exposed_from = np.where((first < 0) & (d_first < np.iinfo(np.int64).max), d_first, -1)
    if spillover_rr != 1.0:
        spill = (exposed_from[:, None] >= 0) & (tt >= exposed_from[:, None])
        log_rr = log_rr + np.where(spill, np.log(spillover_rr), 0.0)

    mu0 = lam[:, None] * trend[None, :]
    mu = mu0 * np.exp(log_rr)
    if dispersion is None:
        y = rng.poisson(mu)
    else:
        y = rng.poisson(rng.gamma(dispersion, mu / dispersion))

    first_per = _periods(first)
    b = min(12, n_t)
    rows = np.repeat(np.arange(n_v), n_t)
    panel = pd.DataFrame(
        {
            "village_code": _cat(geo["village_code"].to_numpy(), rows),
            "district_code": _cat(district, rows),
            "regency_code": _cat(geo["regency_code"].to_numpy(), rows),
            "province_code": _cat(geo["province_code"].to_numpy(), rows),
            "month": pd.PeriodIndex.from_ordinals(np.tile(months.asi8, n_v), freq="M"),
            "first_treated": _periods(np.repeat(first, n_t)),
            "program_source": _cat(source, rows),
            "baseline_sending": np.repeat(mu0[:, :b].mean(axis=1), n_t),
            "deferrals": y.reshape(-1).astype(np.int64),
            "expected": mu0.reshape(-1),
        }
    )
    vill = pd.DataFrame(
        {
            "village_code": geo["village_code"].to_numpy(),
            "district_code": district,
            "regency_code": geo["regency_code"].to_numpy(),
            "propensity": lam,
            "first_treated": first_per,
            "program_source": source,
            "spillover_exposed_from": _periods(exposed_from),
        }
    )
    max_e = int(last - first[first >= 0].min()) if (first >= 0).any() else 0
    ev = np.arange(0, max_e + 1)
    true = pd.DataFrame({"event_time": ev, "rate_ratio": np.exp(np.log(effect_rr) * np.minimum(1.0, (ev + 1) / ramp))})
    # the estimand of Poisson ETWFE's "simple" aggregate: expected treated count over counterfactual count
    direct = np.where(treated, np.log(effect_rr) * np.minimum(1.0, (e + 1) / ramp), 0.0)
    true_overall = float((mu0 * np.exp(direct))[treated].sum() / mu0[treated].sum()) if treated.any() else 1.0
    true_att_count = float((mu0 * (np.exp(direct) - 1))[treated].mean()) if treated.any() else 0.0
    params = dict(
        seed=seed,
        start=start,
        end=end,
        n_villages=n_v,
        n_months=n_t,
        effect_rr=effect_rr,
        ramp=ramp,
        true_att_count=true_att_count,
        spillover_rr=spillover_rr,
        dispersion=dispersion,
        national_monthly_2025=national_monthly_2025,
        n_program=int((first >= 0).sum()),
        n_roster=int((source == "roster").sum()),
        n_synthetic_additions=int((source == "synthetic_addition").sum()),
    )
    return SyntheticPanel(_label(panel), _label(vill), _label(true), true_overall, params)
