"""What the record shows, for the report's first screen: findings built from result tables, and their limits.

A finding is one sentence with its interval and its basis, declared as a :class:`FindingSpec` against a result table
(``results/<table>.csv``): which rows (column filters that select exactly one row each) and a sentence template whose
placeholders name a row and a column (``{y2019.estimate}``). :func:`build_findings` reads the tables, picks the rows
and formats every cited cell with the one rounding helper (:func:`tppo_analysis.protocol.round_sig`: 3 significant
digits; integers, the counts, in full). Each :class:`Finding` carries its table, its rows (CSV line numbers) and the
raw cells it cites, and the report marks every number with the row and column it came from, so a test reads the same
table and checks that the page shows exactly the rounded cells. Nothing here computes an estimate.

:data:`FINDINGS` is the named list shown on the report; :data:`CAN` and :data:`CANNOT` are the limits box;
:data:`PURPOSE` is the one-line purpose. Change them together with the tables they cite.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ...errors import TppoError
from ...models.choice import RECOMMENDED, alone_name, chosen_name, pooled_name, single_options
from ...protocol import round_sig

__all__ = [
    "PURPOSE",
    "FINDINGS",
    "CAN",
    "CANNOT",
    "NOT_FINDINGS",
    "FindingSpec",
    "Finding",
    "build_findings",
    "format_number",
    "PLACEHOLDER",
]

#: ``{row.column}`` in a finding's template.
PLACEHOLDER = re.compile(r"\{(\w+)\.(\w+)\}")

PURPOSE = (
    "What Indonesia's immigration service (Ditjen Imigrasi) said in public, 2017–2025, about departures it deferred "
    "at checkpoints and passports it withheld from suspected non-procedural migrant workers, in order to prevent "
    "trafficking in persons (TPPO): {n_figures} figures from {n_outlets} public sources, reconciled and read against "
    "the events of those years. These are officials' public statements, not official statistics."
)


def format_number(raw) -> str:
    """Show a cited cell: integers (counts) in full, other numbers at 3 significant digits, thousands separated.

    ``raw`` is the cell's text as written in the CSV.

    Parameters
    ----------
    raw : str or number
        The cell as written in the CSV.
    """
    text = str(raw).strip()
    if re.fullmatch(r"-?\d+", text):
        return f"{int(text):,}"
    try:
        x = float(text)
    except ValueError:
        return text
    if not math.isfinite(x):
        raise TppoError(f"a finding cites a cell that is not a finite number: {text!r}")
    v = float(round_sig(x))
    if v == 0:
        return "0"
    return f"{v:,.{max(0, 2 - math.floor(math.log10(abs(v))))}f}"


@dataclass(frozen=True)
class FindingSpec:
    """A finding declared against one result table.

    Attributes
    ----------
    key : str
        Short stable id, used as the HTML anchor (``finding-<key>``).
    table : str
        Result table without extension: ``"05_rates"`` is ``results/05_rates.csv``.
    rows : mapping
        Row name -> column filters (values compared as text) that must select exactly one row.
    template : str
        The sentence; ``{a.estimate}`` is replaced by the rounded cell of row ``a``, column ``estimate``. Every
        finding shows an interval (``ci_lower`` and ``ci_upper`` of at least one row).
    basis : str
        What the numbers rest on: the data, the model or rule, the interval and its type.
    """

    key: str
    table: str
    rows: Mapping[str, Mapping[str, object]]
    template: str
    basis: str


@dataclass(frozen=True)
class Finding:
    """A built finding: its sentence split into text and cited cells, its basis and where each number comes from."""

    key: str
    table: str
    rows: Mapping[str, Mapping[str, object]]
    parts: tuple  # the sentence: str, or (row name, column, shown text)
    basis_parts: tuple  # the basis, likewise
    lines: Mapping[str, int] = field(default_factory=dict)  # row name -> CSV line (header = line 1)
    cells: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # row name -> column -> raw cell

    @property
    def text(self) -> str:
        """The sentence as shown."""
        return "".join(p if isinstance(p, str) else p[2] for p in self.parts)

    @property
    def basis(self) -> str:
        """The basis as shown."""
        return "".join(p if isinstance(p, str) else p[2] for p in self.basis_parts)


def _select(table: pd.DataFrame, filters: Mapping[str, object], where: str) -> int:
    mask = pd.Series(True, index=table.index)
    for col, want in filters.items():
        if col not in table.columns:
            raise TppoError(f"{where}: no column {col!r}")
        mask &= table[col] == str(want)
    hits = list(table.index[mask])
    if len(hits) != 1:
        raise TppoError(f"{where}: {dict(filters)} selects {len(hits)} rows, not exactly one")
    return int(hits[0])


def _render(template: str, table: pd.DataFrame, picked: Mapping[str, int], cells: dict, where: str) -> tuple:
    """Split ``template`` into text and cited cells ``(row, column, shown)``; record each raw cell in ``cells``."""
    parts: list = []
    last = 0
    for m in PLACEHOLDER.finditer(template):
        name, col = m.group(1), m.group(2)
        if name not in picked:
            raise TppoError(f"{where}: the template names row {name!r}, which is not declared")
        if col not in table.columns:
            raise TppoError(f"{where}: no column {col!r}")
        raw = table.at[picked[name], col]
        if raw == "":
            raise TppoError(f"{where}: row {name!r}, column {col!r} is empty")
        parts += [template[last : m.start()], (name, col, format_number(raw))]
        cells.setdefault(name, {})[col] = raw
        last = m.end()
    parts.append(template[last:])
    return tuple(p for p in parts if p != "")


def build_findings(specs: Sequence[FindingSpec], results_dir: str | Path) -> list[Finding]:
    """Build every finding from the tables in ``results_dir`` (placeholders may appear in the basis too).

    Raises
    ------
    TppoError
        A table, column or row is missing, a filter does not select exactly one row, a cited cell is empty, or a
        finding cites no interval.

    Parameters
    ----------
    specs : sequence of FindingSpec
        The findings to build, in order (e.g. :data:`FINDINGS`).
    results_dir : str or Path
        Folder holding the result tables.
    """
    out = []
    for spec in specs:
        path = Path(results_dir) / f"{spec.table}.csv"
        where = f"finding {spec.key!r}, {path.name}"
        if not path.exists():
            raise TppoError(f"{where}: the result table does not exist (run the notebook that writes it)")
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        picked = {name: _select(table, f, where) for name, f in spec.rows.items()}
        cells: dict[str, dict[str, str]] = {}

        parts = _render(spec.template, table, picked, cells, where)
        basis = _render(spec.basis, table, picked, cells, where)
        if not any({"ci_lower", "ci_upper"} <= set(c) for c in cells.values()):
            raise TppoError(f"{where}: a finding shows its interval (ci_lower and ci_upper of a row)")
        lines = {k: i + 2 for k, i in picked.items()}
        out.append(
            Finding(spec.key, spec.table, {k: dict(v) for k, v in spec.rows.items()}, parts, basis, lines, cells)
        )
    return out


_NATIONAL_DEP = {"series": "national", "measure": "dep_deferral_wni_pmi_suspected"}
_SH_TREND = {"series": "Soekarno-Hatta airport (Tangerang, Banten)", "measure": "dep_deferral_wni_pmi_suspected"}
_PLAIN = single_options()
#: Row labels of notebook 01's model-sensitivity table: the chosen model and its two alternatives.
_SH_CHOSEN = {**_SH_TREND, "model": chosen_name(RECOMMENDED)}
_OTHER_POOLED = pooled_name(_PLAIN, shared_dispersion=not RECOMMENDED.get("shared_dispersion"))
_ALONE = alone_name(_PLAIN)

#: The findings on the report's first screen, in order.
FINDINGS: tuple[FindingSpec, ...] = (
    FindingSpec(
        key="departures-per-day",
        table="05_daily_rates",
        rows={
            "y2019": {**_NATIONAL_DEP, "period_start": "2019-01-01"},
            "y2023": {**_NATIONAL_DEP, "period_start": "2023-01-01"},
            "y2025": {**_NATIONAL_DEP, "period_start": "2025-01-01"},
        },
        template=(
            "Reported departure deferrals at checkpoints jumped between 2019 and 2023, then eased: nationally "
            "{y2019.estimate} a day in 2019 (95% interval {y2019.ci_lower}–{y2019.ci_upper}), {y2023.estimate} a day "
            "from 1 January to 14 June 2023 ({y2023.ci_lower}–{y2023.ci_upper}) and {y2025.estimate} a day in "
            "January–April 2025 ({y2025.ci_lower}–{y2025.ci_upper})."
        ),
        basis=(
            "Totals officials reported for each window, divided by its days; exact (Garwood) Poisson intervals, which "
            "cover counting noise only (the 2025 total is a rounded 5,000). Nothing was reported for 2020–2022, and "
            "the 2023 figure came days after the police trafficking task force was formed: a level in announced "
            "enforcement, not a count of people trying to leave."
        ),
    ),
    FindingSpec(
        key="departures-per-placement",
        table="05_rates",
        rows={
            "h2023": {
                "rate": "departure_deferrals_per_100_placements",
                "series": "national",
                "period_start": "2023-01-01",
            },
            "y2025": {
                "rate": "departure_deferrals_per_100_placements",
                "series": "national",
                "period_start": "2025-01-01",
            },
        },  # fmt: skip
        template=(
            "For every 100 procedural migrant-worker placements, checkpoints deferred about {h2023.estimate} "
            "departures of suspected non-procedural workers from 1 January to 14 June 2023 ({h2023.ci_lower}–"
            "{h2023.ci_upper}) and {y2025.estimate} in January–April 2025 ({y2025.ci_lower}–{y2025.ci_upper})."
        ),
        basis=(
            "Placements (BP2MI/KP2MI) prorated by days to the deferral windows, an explicit assumption; the 95% "
            "intervals combine the exact count interval with a proration band calibrated on the record's own monthly "
            "placement figures. Without any assumption the rates are at least {h2023.lower_bound_no_assumption} and "
            "{y2025.lower_bound_no_assumption}."
        ),
    ),
    FindingSpec(
        key="passports-per-issued",
        table="05_rates",
        rows={
            "y2019": {"rate": "passport_deferrals_per_10k_issued", "series": "national", "period_start": "2019-01-01"},
            "y2024": {"rate": "passport_deferrals_per_10k_issued", "series": "national", "period_start": "2024-01-01"},
        },
        template=(
            "Passport offices deferred {y2019.estimate} applications of suspected non-procedural migrant workers per "
            "10,000 passports issued in 2019 ({y2019.ci_lower}–{y2019.ci_upper}) and {y2024.estimate} in "
            "January–November 2024 ({y2024.ci_lower}–{y2024.ci_upper})."
        ),
        basis=(
            "2019: reported windows match exactly (exact Poisson interval). 2024: passports issued to 17 December "
            "prorated by days to the end of November (95% interval with the proration band). Consistent with "
            "screening moving from the passport office to the checkpoint; the record cannot show who was deferred."
        ),
    ),
    FindingSpec(
        key="soekarno-hatta-trend",
        table="01_trend_model_sensitivity",
        rows={
            "y2024": {**_SH_CHOSEN, "later": "1 Jan - 15 Dec 2024"},
            "y2023": {**_SH_CHOSEN, "later": "1 Jan - 29 Dec 2023"},
            "own": {**_SH_TREND, "model": _OTHER_POOLED, "later": "1 Jan - 29 Dec 2023"},
            "alone": {**_SH_TREND, "model": _ALONE, "later": "1 Jan - 29 Dec 2023"},
        },
        template=(
            "At Soekarno-Hatta airport, the checkpoint with the most reported windows, the daily rate of reported "
            "deferrals fell from {y2024.rate_earlier} in 2023 to {y2024.rate_later} in 2024 (ratio {y2024.ratio}, 90% "
            "interval {y2024.ci_lower}–{y2024.ci_upper}; 1 January to 15 December of both years). Whether it rose "
            "from 2022 to 2023 the record does not settle: the ratio is {y2023.ratio} ({y2023.ci_lower}–"
            "{y2023.ci_upper}) under the chosen model, {own.ratio} ({own.ci_lower}–{own.ci_upper}) with one "
            "dispersion per series and {alone.ratio} ({alone.ci_lower}–{alone.ci_upper}) with the series fitted alone."
        ),
        basis=(
            "The interval count model that predicted held-out windows best in a rolling-origin backtest on the "
            "record (docs/model_choice.md with its dated amendments 1 and 2, results/studies/backtest.md): the four "
            "key series fitted together with one shared negative-binomial dispersion and a level shift at the closure "
            "and at the reopening, which on this record comes out as one log-linear trend within each regime. The "
            "2023-to-2024 decline appears under all three models compared (results/01_trend_model_sensitivity.csv); "
            "90% intervals from parameter uncertainty. 2022 is three reported windows (a single-flight count that had "
            "hidden the split is set aside). Reported deferrals follow enforcement (the Satgas TPPO task force from "
            "June 2023) as much as attempted departures."
        ),
    ),
)

#: The "can / cannot" box.
CAN = (
    "Period totals where officials reported them, their orders of magnitude and the days they cover.",
    "Rates per placement or per passport issued where a denominator was published (with proration stated).",
    "Which destinations officials named in which years, and the events around each figure.",
)
CANNOT = (
    "National monthly series, or any figure for 2020–2022 (border closures: almost nothing was reported).",
    "Destinations with counts: destination fields are lists of places named, not counts of people.",
    "Rates where no denominator was published, or trends in migration itself: these are trends in announced "
    "enforcement.",
    "Causal effects of the Desa Binaan village program: no real program data are used here.",
)

#: What the design notebooks show, and why it is not a finding.
NOT_FINDINGS = (
    "Everything marked SYNTHETIC is simulated. Notebooks 03 and 04 test a design for evaluating the Desa Binaan "
    "Imigrasi village program on simulated villages, and notebook 02's power study simulates the record's own window "
    "pattern. They contain no estimate of the real program's effect and no statement about the real series."
)
