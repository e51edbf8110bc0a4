"""SYNTHETIC village x month deferral panels for designing and testing the Desa Binaan effect analysis.

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

:func:`generate_records` expands counts to record-level rows in the restricted ``deferral_records`` format and can
plant canary fake identities (fixed, syntactically valid but fake NIKs, phone numbers and names) for testing the
privacy scanner.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import TppoError

__all__ = [
    "SyntheticPanel",
    "generate_panel",
    "small_panel",
    "generate_records",
    "CANARY_NIKS",
    "CANARY_PHONES",
    "CANARY_NAMES",
    "LABEL",
]

LABEL = "SYNTHETIC"

# Canary identities: fake, fixed, syntactically valid. NIK = 6-digit kecamatan code (real prefix: 32.01.01 Kab.
# Bogor/Cibinong, 35.07.01, 52.03.01) + birth date DDMMYY (women: day + 40) + 4-digit serial.
CANARY_NIKS = ("3201011208850001", "3507015203900002", "5203014710920003")
CANARY_PHONES = ("+6281234500001", "081234500002", "0857-1234-0003")
CANARY_NAMES = ("Siti Canary Rahayu", "Budi Canary Santoso", "Dewi Canary Lestari")

# Relative sending level by province code (log scale): the main PMI-sending provinces send far more.
_PROVINCE_LOG = {
    "52": 2.0, "53": 1.6, "35": 1.5, "33": 1.3, "32": 1.2, "18": 1.1, "12": 0.9, "61": 0.9, "64": 0.6,
    "21": 0.8, "51": 0.5, "73": 0.6, "36": 0.6,
}


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


def _villages(regency_codes, villages):
    if villages is None:
        from .sources.geography import load_villages

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
            from .sources.roster import load_desa_binaan

            _ROSTER_CACHE["default"] = load_desa_binaan()
        roster = _ROSTER_CACHE["default"]
    from .panel import cohort_table

    coh, _ = cohort_table(roster)
    return coh[["village_code", "first_treated"]]


def _season(months: pd.PeriodIndex, b_ramadan: float, b_post: float) -> np.ndarray:
    try:
        from .calendar import holiday_regressors

        start = months[0].to_timestamp().strftime("%Y-%m-%d")
        end = months[-1].to_timestamp(how="end").strftime("%Y-%m-%d")
        h = holiday_regressors(start, end)
        m = pd.PeriodIndex(pd.to_datetime(h["month"]), freq="M")
        h = h.set_index(m).reindex(months)
        ram = h["ramadan_share"].fillna(0).to_numpy(float)
        post = h["post_idul_fitri_days"].fillna(0).to_numpy(float)
    except ImportError:  # calendar module absent: no seasonality rather than a wrong one
        ram = post = np.zeros(len(months))
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
    seed : seed of the numpy Generator (the only source of randomness).
    start, end : first and last month (inclusive).
    regency_codes : restrict to these regencies ("PP.KK"); None = all 83,762 villages.
    villages : geography frame (default :func:`tppo_analysis.load_villages`).
    roster : program roster (default the real one; ``False`` = none, only synthetic additions).
    n_enrolled_by, enrolled_by : total program villages enrolled by that month (real dated + synthetic additions);
        on a subset of regencies it is scaled by the subset's share of national propensity.
    national_monthly_2025 : calibration target (persons per month, national, 2025, without the program).
    effect_rr : long-run rate ratio of the program (0.7 = -30%); reached after ``ramp`` months.
    spillover_rr : rate ratio for untreated villages of a kecamatan with a program village (1 = none).
    dispersion : negative-binomial shape (None = Poisson).
    selection_quantile : program villages are drawn among villages above this propensity quantile.
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
    for p, ft in zip(pos[ok], ros["first_treated"].to_numpy()[ok]):
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
    params = dict(seed=seed, start=start, end=end, n_villages=n_v, n_months=n_t, effect_rr=effect_rr, ramp=ramp,
                  true_att_count=true_att_count,
                  spillover_rr=spillover_rr, dispersion=dispersion, national_monthly_2025=national_monthly_2025,
                  n_program=int((first >= 0).sum()), n_roster=int((source == "roster").sum()),
                  n_synthetic_additions=int((source == "synthetic_addition").sum()))
    return SyntheticPanel(_label(panel), _label(vill), _label(true), true_overall, params)


def small_panel(
    *,
    seed: int = 0,
    n_villages: int = 400,
    n_periods: int = 24,
    cohorts: tuple[int, ...] = (9, 13, 17),
    share_treated: float = 0.3,
    effect_rr: float = 0.7,
    ramp: int = 1,
    trend_slope: float = 0.04,
    village_sd: float = 1.0,
    selection: float = 1.0,
    base_rate: float = 2.0,
    dispersion: float | None = None,
) -> SyntheticPanel:
    """A small SYNTHETIC panel with integer periods 1..n_periods, for tests and coverage studies.

    Multiplicative structure: mean = base_rate * exp(village effect) * exp(trend_slope * t) * RR; treatment is more
    likely for high-propensity villages (``selection`` = log-odds per SD of the village effect), so levels-based
    parallel trends fail while ratio-scale parallel trends hold. Cohorts are integer start periods.
    """
    rng = np.random.default_rng(seed)
    a = rng.normal(0, village_sd, n_villages)
    z = (a - a.mean()) / a.std()
    p = 1 / (1 + np.exp(-(np.log(share_treated / (1 - share_treated)) + selection * z)))
    treated = rng.random(n_villages) < p
    g = np.where(treated, rng.choice(np.asarray(cohorts), n_villages), 0)
    t = np.arange(1, n_periods + 1)
    e = t[None, :] - g[:, None]
    on = (g[:, None] > 0) & (e >= 0)
    log_rr = np.where(on, np.log(effect_rr) * np.minimum(1.0, (e + 1) / ramp), 0.0)
    mu0 = base_rate * np.exp(a)[:, None] * np.exp(trend_slope * t)[None, :]
    mu = mu0 * np.exp(log_rr)
    y = rng.poisson(mu if dispersion is None else rng.gamma(dispersion, mu / dispersion))
    panel = pd.DataFrame(
        {
            "unit": np.repeat(np.arange(n_villages), n_periods),
            "period": np.tile(t, n_villages),
            "cohort": np.repeat(g, n_periods),
            "y": y.reshape(-1),
            "baseline_sending": np.repeat(mu0[:, : min(cohorts) - 1].mean(axis=1), n_periods),
        }
    )
    true_overall = float(mu[on].sum() / mu0[on].sum()) if on.any() else 1.0
    # level ATT truth: mean over treated post cells of mu0 * (RR - 1)
    true_att = float((mu - mu0)[on].mean()) if on.any() else 0.0
    ev = np.arange(0, n_periods - min(cohorts) + 1)
    true = pd.DataFrame({"event_time": ev, "rate_ratio": np.exp(np.log(effect_rr) * np.minimum(1.0, (ev + 1) / ramp))})
    params = dict(seed=seed, n_villages=n_villages, n_periods=n_periods, effect_rr=effect_rr, true_att=true_att,
                  selection=selection, trend_slope=trend_slope)
    vill = pd.DataFrame({"unit": np.arange(n_villages), "cohort": g, "propensity": base_rate * np.exp(a)})
    return SyntheticPanel(_label(panel), _label(vill), _label(true), true_overall, params)


_TPI = (("Bandara Soekarno-Hatta", "airport", "Kantor Imigrasi Kelas I Khusus TPI Soekarno-Hatta"),
        ("Bandara Juanda", "airport", "Kantor Imigrasi Kelas I Khusus TPI Surabaya"),
        ("Bandara Zainuddin Abdul Madjid", "airport", "Kantor Imigrasi Kelas I TPI Mataram"),
        ("Pelabuhan Batam Center", "seaport", "Kantor Imigrasi Kelas I Khusus TPI Batam"),
        ("Bandara Kualanamu", "airport", "Kantor Imigrasi Kelas I Khusus TPI Medan"),
        ("PLBN Entikong", "land_border", "Kantor Imigrasi Kelas II TPI Entikong"),
        ("Pelabuhan Dumai", "seaport", "Kantor Imigrasi Kelas II TPI Dumai"),
        ("Bandara I Gusti Ngurah Rai", "airport", "Kantor Imigrasi Kelas I Khusus TPI Ngurah Rai"))
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
    :data:`tppo_analysis.schemas_restricted.RESTRICTED_KINDS` ``["deferral_records"]`` (record_id, person_key,
    deferral_date, checkpoint, checkpoint_type, immigration_office, reason, village_code, match_quality, age_band,
    sex) plus the ``data = "SYNTHETIC"`` label. ``plant_canaries=True`` adds a free-text ``notes`` column (which the
    real format does not allow) holding the fixed fake identities CANARY_NIKS, CANARY_PHONES and CANARY_NAMES in the
    first rows, so the privacy scanner can be shown to catch them.
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
        for i, (nik, ph, nm) in enumerate(zip(CANARY_NIKS, CANARY_PHONES, CANARY_NAMES)):
            rec.loc[i, "notes"] = f"pemohon {nm}, NIK {nik}, HP {ph}"
    return _label(rec)
