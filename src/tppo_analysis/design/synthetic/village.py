"""SYNTHETIC village x month deferral panels on the real Kemendagri geography (the ``village`` DGP family).

Everything returned is simulated and labelled: every frame has ``data == "SYNTHETIC"`` (column and ``attrs``).

Model, per village i and month t::

    deferrals_it ~ NegBin(mean = lambda_i * trend_t * season_t * shock_it * RR_it, shape = dispersion)
    lambda_i     = population_i / 2,300 * exp(province + regency + village effects)
    trend_t      = exp(slope * years since start + 2022-2023 recruitment wave)
    RR_it        = effect_rr ** min(1, (e + 1) / ramp) for a program village at e >= 0 months since launch;
                   spillover_rr for untreated villages of a kecamatan with a program village, from its first launch.

``shock_it`` is 1 unless a stress scenario (:mod:`.stress`) supplies one: the assumption-violating worlds of the
stress tests (selection on a transitory spike, destination-specific reopening, COVID recovery, co-treatment).

Population proxy. No village population source is reachable from this project, so ``population`` (working-age
residents, 15-64) is a documented proxy: log-normal with median 2,300 and log-sd 0.7. 2,300 is Indonesia's ~280
million residents over 83,762 villages (~3,350 per village) times a working-age share of about 69%; the spread
matches the order of magnitude between small desa and large kelurahan. Sending scales with population (the
offset of the pre-analysis plan), and the remaining heterogeneity is per-capita propensity. Because the village
fixed effect absorbs a time-invariant log population, Poisson ETWFE estimates do not change with the offset; it
matters for the levels estimators (rates per 1,000) and for the unweighted village average.

Calibration. Expected national deferrals without the program average ``national_monthly_2025`` per month in 2025
(the public record reports on the order of 1,000+ a month nationally in 2025); program villages are the dated roster
villages plus synthetic additions drawn among high-propensity villages (``selection_quantile``), so that
``n_program`` villages (exactly) or ``n_enrolled_by`` (the national count scaled to the subset) are enrolled.
``unmapped_share`` thins every count binomially: records whose KTP address cannot be mapped to a village are lost.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ...errors import TppoError
from ._common import LABEL, SyntheticPanel, _label

__all__ = ["generate_panel", "truth_on", "POPULATION_MEDIAN", "POPULATION_LOG_SD", "Scenario"]

POPULATION_MEDIAN = 2300.0
POPULATION_LOG_SD = 0.7

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


def label(df: pd.DataFrame) -> pd.DataFrame:
    """Add the SYNTHETIC label (column ``data`` first, and ``attrs``) unless it is there.

    Parameters
    ----------
    df : pandas.DataFrame
        A simulated frame.

    Returns
    -------
    pandas.DataFrame
        The same frame, labelled.
    """
    if "data" in df.columns:
        df.attrs["data"] = LABEL
        return df
    return _label(df)


def truth_on(sp: SyntheticPanel, panel: pd.DataFrame) -> float:
    """Return the rate-ratio estimand on the treated village-months of ``panel`` (a subset of ``sp.panel``).

    Expected treated count over its counterfactual, the planted profile applied to ``expected``.

    Parameters
    ----------
    sp : SyntheticPanel
        The drawn panel and its truth.
    panel : pandas.DataFrame
        A subset of ``sp.panel`` (e.g. an analysis window).

    Returns
    -------
    float
        The rate ratio.
    """
    t = panel["first_treated"]
    on = t.notna().to_numpy() & (panel["month"] >= t).to_numpy()
    e = np.where(on, panel["month"].array.asi8 - np.where(on, t.array.asi8, 0), 0)
    rr = sp.params["effect_rr"] ** np.minimum(1.0, (e + 1) / sp.params["ramp"])
    mu0 = panel["expected"].to_numpy()
    return float((mu0[on] * rr[on]).sum() / mu0[on].sum()) if on.any() else 1.0


_CACHE: dict = {}


def _geography(villages):
    if villages is not None:
        return villages[["village_code", "district_code", "regency_code", "province_code"]].reset_index(drop=True)
    if "geo" not in _CACHE:
        from ...sources.geography import load_villages

        _CACHE["geo"] = load_villages()[["village_code", "district_code", "regency_code", "province_code"]]
    return _CACHE["geo"]


def _roster(roster):
    if roster is False:
        return pd.DataFrame(columns=["village_code", "first_treated"])
    if roster is None:
        if "roster" not in _CACHE:
            from ...sources.roster import load_desa_binaan
            from .._cohorts import cohort_table

            _CACHE["roster"] = cohort_table(load_desa_binaan())[0][["village_code", "first_treated"]]
        return _CACHE["roster"]
    from .._cohorts import cohort_table

    return cohort_table(roster)[0][["village_code", "first_treated"]]


def _season(months: pd.PeriodIndex, b_ramadan: float, b_post: float) -> np.ndarray:
    key = ("season", months[0].ordinal, len(months))
    if key not in _CACHE:
        from ...sources.calendar import holiday_regressors

        h = holiday_regressors(
            months[0].to_timestamp().strftime("%Y-%m-%d"), months[-1].to_timestamp(how="end").strftime("%Y-%m-%d")
        )
        h = h.set_index(pd.PeriodIndex(pd.to_datetime(h["month"]), freq="M")).reindex(months)
        _CACHE[key] = (
            h["ramadan_share"].fillna(0).to_numpy(float),
            h["post_idul_fitri_days"].fillna(0).to_numpy(float),
        )
    ram, post = _CACHE[key]
    return np.exp(b_ramadan * ram + b_post * post / 10.0)


def _periods(ordinals: np.ndarray) -> pd.PeriodIndex:
    o = np.where(ordinals >= 0, ordinals, np.iinfo(np.int64).min).astype(np.int64)
    return pd.PeriodIndex(pd.arrays.PeriodArray(o, dtype="period[M]"))


def _cat(values: np.ndarray, rows: np.ndarray) -> pd.Categorical:
    cats, codes = np.unique(values, return_inverse=True)
    return pd.Categorical.from_codes(codes[rows], categories=cats)


Scenario = Callable[[dict], tuple[np.ndarray, np.ndarray, dict]]


def generate_panel(
    *,
    seed: int = 0,
    start: str = "2020-01",
    end: str = "2025-12",
    regency_codes=None,
    villages: pd.DataFrame | None = None,
    roster: pd.DataFrame | None | bool = None,
    n_program: int | None = None,
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
    unmapped_share: float = 0.0,
    scenario: Scenario | None = None,
) -> SyntheticPanel:
    """Simulate a SYNTHETIC village x month deferral panel (model in the module docstring).

    Parameters
    ----------
    seed : int
        Seed of the numpy Generator (the only source of randomness).
    start : str
        First month (inclusive), ``YYYY-MM``.
    end : str
        Last month (inclusive), ``YYYY-MM``.
    regency_codes : sequence of str, optional
        Regencies of the panel (default: every regency of ``villages``).
    villages : pandas.DataFrame, optional
        The geography (default :func:`tppo_analysis.load_villages`).
    roster : pandas.DataFrame or bool, optional
        Dated program villages (default: the Desa Binaan roster; False: none, only synthetic additions).
    n_program : int, optional
        Exact number of program villages in the panel (roster villages first, in launch order, then synthetic
        additions); None scales ``n_enrolled_by`` to the subset's share of national sending.
    n_enrolled_by : int
        The national count enrolled by ``enrolled_by``.
    enrolled_by : str
        The month of that count, ``YYYY-MM``.
    first_synthetic_launch : str
        Earliest launch month of a synthetic addition.
    national_monthly_2025 : float
        Expected national deferrals per month in 2025 without the program (the calibration).
    village_sd : float
        Log-sd of village propensity.
    regency_sd : float
        Log-sd of regency effects.
    slope : float
        Trend per year (log scale).
    wave : float
        Log height of the 2022-2023 recruitment wave.
    b_ramadan : float
        Log effect of Ramadan months.
    b_post : float
        Log effect of the months after Idul Fitri.
    effect_rr : float
        The planted rate ratio of the program at full effect.
    ramp : int
        Months to full effect.
    spillover_rr : float
        Rate ratio of untreated villages of a kecamatan with a program village, from its first launch.
    dispersion : float, optional
        Negative binomial shape (None: Poisson).
    selection_quantile : float
        Propensity quantile above which synthetic additions are drawn.
    unmapped_share : float
        Share of records lost because their address cannot be mapped to a village.
    scenario : callable, optional
        A stress scenario from :mod:`.stress` (None: the assumptions of the analysis hold).

    Returns
    -------
    SyntheticPanel
        The panel, villages, planted effects and parameters.
    """
    rng = np.random.default_rng(seed)
    geo_all = _geography(villages)
    months = pd.period_range(pd.Period(start, "M"), pd.Period(end, "M"), freq="M")
    n_t = len(months)
    if n_t < 3:
        raise TppoError("the panel needs at least 3 months")
    prov_all = geo_all["province_code"].map(_PROVINCE_LOG).fillna(0.0).to_numpy()
    reg_codes, reg_idx = np.unique(geo_all["regency_code"].to_numpy(), return_inverse=True)
    log_pop_all = np.log(POPULATION_MEDIAN) + rng.normal(0, POPULATION_LOG_SD, size=len(geo_all))
    log_lam_all = (
        prov_all
        + rng.normal(0, regency_sd, size=len(reg_codes))[reg_idx]
        + rng.normal(0, village_sd, size=len(geo_all))
        + log_pop_all
        - np.log(POPULATION_MEDIAN)
    )
    keep = (
        np.ones(len(geo_all), bool)
        if regency_codes is None
        else geo_all["regency_code"].isin(list(regency_codes)).to_numpy()
    )
    if not keep.any():
        raise TppoError(f"no villages in regencies {list(regency_codes)}")
    share = float(np.exp(log_lam_all[keep]).sum() / np.exp(log_lam_all).sum())
    geo = geo_all[keep].reset_index(drop=True)
    lam, pop = np.exp(log_lam_all[keep]), np.exp(log_pop_all[keep])
    n_v = len(geo)

    t_years = (months.asi8 - months[0].ordinal) / 12.0
    mid = (pd.Period("2023-01", "M").ordinal - months[0].ordinal) / 12.0
    trend = np.exp(slope * t_years + wave * np.exp(-0.5 * ((t_years - mid) / 0.6) ** 2))
    trend = trend * _season(months, b_ramadan, b_post)
    in_2025 = np.asarray([m.year == 2025 for m in months])
    ref = trend[in_2025].mean() if in_2025.any() else trend[-12:].mean()
    lam = lam * national_monthly_2025 * share / (lam.sum() * ref)

    first = np.full(n_v, -1, dtype=np.int64)
    source = np.full(n_v, "none", dtype=object)
    ros = _roster(roster).sort_values("first_treated")
    pos = pd.Index(geo["village_code"]).get_indexer(ros["village_code"].astype(str))
    ok = pos >= 0
    pos, ft = pos[ok], ros["first_treated"].to_numpy()[ok]
    if n_program is not None:
        pos, ft = pos[:n_program], ft[:n_program]
    hi = np.quantile(lam, selection_quantile)
    for p, f in zip(pos, ft, strict=True):
        first[p], source[p] = f.ordinal, "roster"
        if lam[p] < hi:  # roster villages are high-sending villages
            lam[p] = hi * np.exp(abs(rng.normal(0, 0.5)))
    by = pd.Period(enrolled_by, "M").ordinal
    if n_program is not None:
        n_add = max(0, n_program - len(pos))
    else:
        n_target = max(int(round(n_enrolled_by * share)), 3) if share < 1 else n_enrolled_by
        n_add = max(0, n_target - int(((first >= 0) & (first <= by)).sum()))
    cand = np.flatnonzero((source == "none") & (lam >= hi))
    if n_add > len(cand):
        cand = np.flatnonzero(source == "none")
    if n_add:
        pick = rng.choice(cand, size=min(n_add, len(cand)), replace=False, p=lam[cand] / lam[cand].sum())
        first[pick] = rng.integers(pd.Period(first_synthetic_launch, "M").ordinal, by + 1, size=len(pick))
        source[pick] = "synthetic_addition"
    first[first > months[-1].ordinal] = -1

    tt = months.asi8[None, :]
    e = tt - first[:, None]
    treated = (first[:, None] >= 0) & (e >= 0)
    direct = np.where(treated, np.log(effect_rr) * np.minimum(1.0, (e + 1) / ramp), 0.0)
    district = geo["district_code"].to_numpy()
    big = np.iinfo(np.int64).max
    d_first = pd.Series(np.where(first >= 0, first, big)).groupby(district).transform("min").to_numpy()
    exposed_from = np.where((first < 0) & (d_first < big), d_first, -1)
    spill = (exposed_from[:, None] >= 0) & (tt >= exposed_from[:, None])
    log_rr = direct + (np.where(spill, np.log(spillover_rr), 0.0) if spillover_rr != 1.0 else 0.0)

    shock0, shock1 = np.zeros((n_v, n_t)), np.zeros((n_v, n_t))
    extra: dict = {}
    if scenario is not None:
        shock0, shock1, extra = scenario(dict(rng=rng, geo=geo, months=months, first=first, lam=lam))
    mu0 = lam[:, None] * trend[None, :] * np.exp(shock0)
    mu = mu0 * np.exp(log_rr + shock1)
    y = rng.poisson(mu if dispersion is None else rng.gamma(dispersion, mu / dispersion))
    if unmapped_share > 0:
        y = rng.binomial(y, 1.0 - unmapped_share)
        mu0 = mu0 * (1.0 - unmapped_share)

    rows = np.repeat(np.arange(n_v), n_t)
    b = min(12, n_t)
    panel = pd.DataFrame(
        {
            "village_code": _cat(geo["village_code"].to_numpy(), rows),
            "district_code": _cat(district, rows),
            "regency_code": _cat(geo["regency_code"].to_numpy(), rows),
            "province_code": _cat(geo["province_code"].to_numpy(), rows),
            "month": pd.PeriodIndex.from_ordinals(np.tile(months.asi8, n_v), freq="M"),
            "first_treated": _periods(np.repeat(first, n_t)),
            "program_source": _cat(source, rows),
            "population": np.repeat(np.round(pop), n_t),
            "baseline_sending": np.repeat(mu0[:, :b].mean(axis=1), n_t),
            "deferrals": y.reshape(-1).astype(np.int64),
            "expected": mu0.reshape(-1),
        }
    )
    for name, col in extra.items():  # per-village scenario columns (e.g. main destination, co-treatment)
        panel[name] = np.repeat(np.asarray(col), n_t)
    vill = pd.DataFrame(
        {
            "village_code": geo["village_code"].to_numpy(),
            "district_code": district,
            "regency_code": geo["regency_code"].to_numpy(),
            "propensity": lam,
            "population": np.round(pop),
            "first_treated": _periods(first),
            "program_source": source,
            "spillover_exposed_from": _periods(exposed_from),
            **{k: np.asarray(v) for k, v in extra.items()},
        }
    )
    max_e = int(months[-1].ordinal - first[first >= 0].min()) if (first >= 0).any() else 0
    ev = np.arange(0, max_e + 1)
    true = pd.DataFrame({"event_time": ev, "rate_ratio": effect_rr ** np.minimum(1.0, (ev + 1) / ramp)})
    true_overall = float((mu0 * np.exp(direct))[treated].sum() / mu0[treated].sum()) if treated.any() else 1.0
    params = dict(
        seed=seed,
        start=start,
        end=end,
        n_villages=n_v,
        n_months=n_t,
        effect_rr=effect_rr,
        ramp=ramp,
        true_att_count=float((mu0 * (np.exp(direct) - 1))[treated].mean()) if treated.any() else 0.0,
        spillover_rr=spillover_rr,
        dispersion=dispersion,
        national_monthly_2025=national_monthly_2025,
        unmapped_share=unmapped_share,
        n_program=int((first >= 0).sum()),
        n_roster=int((source == "roster").sum()),
        n_synthetic_additions=int((source == "synthetic_addition").sum()),
    )
    return SyntheticPanel(label(panel), label(vill), label(true), true_overall, params)
