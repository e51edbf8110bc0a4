"""parse_period: real phrases from the record's sources, one test per rule, and a property test.

The expected windows in ``tests/data/period_phrases.csv`` were written by hand from the articles and the rules in
``tppo_analysis.sources.periods`` (not by running the parser); ``published`` there is the statement day where the
article gives one.
"""

from __future__ import annotations

import calendar
import csv
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tppo_analysis
from tppo_analysis.errors import AmbiguousPeriodError, TppoError
from tppo_analysis.sources.periods import Period, parse_period

CASES_FILE = Path(__file__).parent / "data" / "period_phrases.csv"
with CASES_FILE.open(encoding="utf-8") as _f:
    CASES = list(csv.DictReader(_f))
AMBIGUOUS = "AMBIGUOUS"


def d(text: str) -> date:
    return date.fromisoformat(text)


def window(text: str, published: date | str) -> tuple[str, str]:
    p = parse_period(text, published)
    return str(p.start), str(p.end)


# --- the real phrases --------------------------------------------------------------------------------------------


def test_the_case_file_holds_enough_real_vague_and_sourced_phrases():
    assert len(CASES) >= 60
    assert sum(c["expected_start"] == AMBIGUOUS for c in CASES) >= 10
    assert all(c["figure_id_or_url"].startswith(("PRF-", "http")) for c in CASES)
    assert len({(c["phrase"], c["published"]) for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[f"{c['phrase']}@{c['published']}" for c in CASES])
def test_real_phrase_gives_the_window_written_by_hand(case):
    if case["expected_start"] == AMBIGUOUS:
        with pytest.raises(AmbiguousPeriodError, match="explicit dates"):
            parse_period(case["phrase"], case["published"])
    else:
        assert window(case["phrase"], case["published"]) == (case["expected_start"], case["expected_end"])


# --- one test per rule -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phrase, published, expected",
    [
        ("Maret 2024", "2024-06-01", ("2024-03-01", "2024-03-31")),
        ("Februari 2024", "2024-06-01", ("2024-02-01", "2024-02-29")),
        ("triwulan II 2023", "2024-01-01", ("2023-04-01", "2023-06-30")),
        ("Q3 2024", "2025-01-01", ("2024-07-01", "2024-09-30")),
        ("kuartal keempat 2022", "2023-02-01", ("2022-10-01", "2022-12-31")),
        ("semester II 2023", "2024-01-01", ("2023-07-01", "2023-12-31")),
        ("first half of 2022", "2023-01-01", ("2022-01-01", "2022-06-30")),
        ("H1 2022", "2023-01-01", ("2022-01-01", "2022-06-30")),
        ("tiga bulan pertama 2024", "2024-12-01", ("2024-01-01", "2024-03-31")),
        ("Januari–April 2025", "2025-05-19", ("2025-01-01", "2025-04-30")),
        ("1 Januari s.d. 18 September 2025", "2025-09-19", ("2025-01-01", "2025-09-18")),
        ("1 Januari s/d 18 September 2025", "2025-09-19", ("2025-01-01", "2025-09-18")),
        ("1 Januari sampai dengan 18 September 2025", "2025-09-19", ("2025-01-01", "2025-09-18")),
        ("23 April – 1 Juni 2025", "2025-06-03", ("2025-04-23", "2025-06-01")),
        ("2020-2023", "2024-03-05", ("2020-01-01", "2023-12-31")),
        ("Desember-Februari 2024", "2024-03-05", ("2023-12-01", "2024-02-29")),
        ("from January 18, 2025 to March 3, 2025", "2025-04-01", ("2025-01-18", "2025-03-03")),
    ],
)
def test_months_quarters_halves_and_named_ranges_are_calendar_units(phrase, published, expected):
    assert window(phrase, published) == expected


@pytest.mark.parametrize(
    "phrase, published, expected",
    [
        ("sepanjang 2024", "2024-12-29", ("2024-01-01", "2024-12-29")),
        ("selama bulan Desember", "2022-12-29", ("2022-12-01", "2022-12-29")),
        ("sejak Januari 2025", "2025-05-19", ("2025-01-01", "2025-05-19")),
        ("tahun ini", "2025-05-19", ("2025-01-01", "2025-05-19")),
        ("throughout 2024", "2024-12-29", ("2024-01-01", "2024-12-29")),
        ("Januari-Juli 2023", "2023-07-25", ("2023-01-01", "2023-07-25")),
        ("sejak 2020 hingga kini", "2023-07-04", ("2020-01-01", "2023-07-04")),
    ],
)
def test_a_unit_still_running_ends_on_the_publication_date(phrase, published, expected):
    assert window(phrase, published) == expected


@pytest.mark.parametrize(
    "phrase, published, expected",
    [
        ("hingga 11 Juni 2023", "2023-06-14", ("2023-01-01", "2023-06-11")),
        ("sampai April 2018", "2018-05-31", ("2018-01-01", "2018-04-30")),
        ("s.d. 18 September 2025", "2025-09-19", ("2025-01-01", "2025-09-18")),
        ("per 9 Juni 2022", "2022-06-10", ("2022-01-01", "2022-06-09")),
        ("until June 2023", "2023-07-01", ("2023-01-01", "2023-06-30")),
        ("as of 13 August 2024", "2024-08-14", ("2024-01-01", "2024-08-13")),
    ],
)
def test_an_end_with_no_start_counts_from_the_first_of_january(phrase, published, expected):
    assert window(phrase, published) == expected


@pytest.mark.parametrize(
    "phrase, published, expected",
    [
        ("tahun lalu", "2025-03-10", ("2024-01-01", "2024-12-31")),
        ("last year", "2025-03-10", ("2024-01-01", "2024-12-31")),
        ("bulan lalu", "2025-01-15", ("2024-12-01", "2024-12-31")),
        ("last month", "2024-03-20", ("2024-02-01", "2024-02-29")),
        ("pekan lalu", "2025-05-21", ("2025-05-12", "2025-05-18")),
        ("kemarin", "2025-03-01", ("2025-02-28", "2025-02-28")),
    ],
)
def test_last_year_and_last_month_are_the_previous_calendar_units(phrase, published, expected):
    assert window(phrase, published) == expected


@pytest.mark.parametrize(
    "phrase, published, expected",
    [
        ("3 bulan terakhir", "2017-04-11", ("2017-01-12", "2017-04-11")),
        ("in the last three months", "2017-04-11", ("2017-01-12", "2017-04-11")),
        ("dalam sepekan terakhir", "2023-06-12", ("2023-06-06", "2023-06-12")),
        ("dua minggu terakhir", "2023-06-12", ("2023-05-30", "2023-06-12")),
        ("30 hari terakhir", "2023-03-01", ("2023-01-31", "2023-03-01")),
        ("setahun terakhir", "2024-02-29", ("2023-03-01", "2024-02-29")),
        ("3 bulan terakhir", "2024-05-31", ("2024-03-01", "2024-05-31")),
        ("the past week", "2024-12-20", ("2024-12-14", "2024-12-20")),
        ("over the last year", "2022-09-01", ("2021-09-02", "2022-09-01")),
    ],
)
def test_the_last_n_units_end_on_the_publication_date(phrase, published, expected):
    assert window(phrase, published) == expected


_WORDS = ["satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan", "sepuluh", "sebelas",
          "dua belas"]  # fmt: skip
_ENGLISH = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]


@pytest.mark.parametrize("n", range(1, 13))
def test_number_words_count_months_in_both_languages(n):
    pub = date(2024, 12, 20)
    expected = parse_period(f"{n} bulan terakhir", pub)
    assert parse_period(f"{_WORDS[n - 1]} bulan terakhir", pub) == expected
    assert parse_period(f"last {_ENGLISH[n - 1]} months", pub) == expected
    assert expected.end == pub and expected.start.day == 21


@pytest.mark.parametrize(
    "phrase, published, expected",
    [
        ("Desember", "2025-01-05", ("2024-12-01", "2024-12-31")),
        ("Mei", "2025-05-19", ("2025-05-01", "2025-05-19")),
        ("2 Desember", "2025-05-19", ("2024-12-02", "2024-12-02")),
        ("1 Januari s.d. 18 September", "2025-05-19", ("2024-01-01", "2024-09-18")),
        ("triwulan IV", "2025-02-01", ("2024-10-01", "2024-12-31")),
        ("Sabtu, 2 Desember", "2024-12-20", ("2023-12-02", "2023-12-02")),
    ],
)
def test_a_missing_year_is_the_publication_year_or_the_one_before(phrase, published, expected):
    assert window(phrase, published) == expected


VAGUE = [
    "beberapa bulan terakhir",
    "belakangan ini",
    "selama ini",
    "akhir-akhir ini",
    "sejauh ini",
    "pertengahan Juni 2023",
    "awal 2025",
    "akhir tahun 2018",
    "periode yang sama tahun lalu",
    "selama itu",
    "hingga kini",
    "sampai saat ini",
    "dalam kurun waktu 3 bulan",
    "tiga bulan lalu",
    "recently",
    "in recent months",
    "to date",
    "so far",
    "a few weeks ago",
    "the same period",
    "mid-2024",
    "",
]


@pytest.mark.parametrize("phrase", VAGUE)
def test_vague_phrases_raise_with_the_phrase_and_the_reason(phrase):
    with pytest.raises(AmbiguousPeriodError) as info:
        parse_period(phrase, "2025-05-19")
    message = str(info.value)
    assert repr(phrase) in message and "explicit dates" in message


def test_a_period_ending_after_publication_is_refused_with_the_dates():
    with pytest.raises(AmbiguousPeriodError, match="ends on 2025-09-18, after the publication date 2025-05-19"):
        parse_period("1 Januari s.d. 18 September 2025", "2025-05-19")
    with pytest.raises(AmbiguousPeriodError, match="starts on 2025-06-01, after the publication date"):
        parse_period("Juni 2025", "2025-05-19")


def test_a_named_range_whose_last_unit_had_not_begun_is_refused():
    # "Januari-Desember 2025" said in June names months that had not begun: not a running unit, so refused
    with pytest.raises(AmbiguousPeriodError, match="last unit starts on 2025-12-01, after the publication date"):
        parse_period("Januari-Desember 2025", date(2025, 6, 30))
    assert parse_period("Januari-Juli 2025", date(2025, 7, 10)) == Period(date(2025, 1, 1), date(2025, 7, 10))


def test_a_weekday_that_contradicts_its_date_is_refused():
    assert window("Rabu (6/7/2022)", "2022-07-07") == ("2022-07-06", "2022-07-06")
    with pytest.raises(AmbiguousPeriodError, match=r"Minggu \(Sunday\), not a Rabu"):
        parse_period("Rabu, 3 Desember 2023", "2023-12")


def test_text_that_is_no_period_is_refused():
    with pytest.raises(AmbiguousPeriodError, match="cannot be read"):
        parse_period("pekerja migran nonprosedural", "2025-05-19")
    with pytest.raises(AmbiguousPeriodError, match="does not exist"):
        parse_period("31 Februari 2024", "2024-03-05")


@pytest.mark.parametrize("phrase", ["18/9/2025", "18-09-2025", "2025-09-18", "18.09.2025", "Kamis (18/9/2025)",
                                    "18 Sept 2025", "September 18, 2025", "18 September 2025"])  # fmt: skip
def test_single_dates_in_every_written_form(phrase):
    assert window(phrase, "2025-09-20") == ("2025-09-18", "2025-09-18")


@pytest.mark.parametrize(
    "word, month",
    [("Jan", 1), ("Pebruari", 2), ("Feb", 2), ("Mar", 3), ("Apr", 4), ("Mei", 5), ("Jun", 6), ("Jul", 7),
     ("Agustus", 8), ("Agu", 8), ("Agt", 8), ("Ags", 8), ("Sep", 9), ("Sept", 9), ("Okt", 10), ("Nop", 11),
     ("Nov", 11), ("Des", 12)],
)  # fmt: skip
def test_indonesian_month_names_and_abbreviations(word, month):
    assert parse_period(f"{word} 2023", "2024-01-01").start == date(2023, month, 1)


@pytest.mark.parametrize("phrase", ["2024", "tahun 2024", "TA 2024", "T.A. 2024", "tahun anggaran 2024",
                                    "periode tahun 2024", "selama 2024", "during 2024"])  # fmt: skip
def test_a_year_in_any_wording(phrase):
    assert window(phrase, "2025-02-01") == ("2024-01-01", "2024-12-31")


def test_published_accepts_a_date_and_coarse_iso_strings():
    assert parse_period("November 2024", date(2024, 11, 20)).end == date(2024, 11, 20)
    assert parse_period("November 2024", "2024-11").end == date(2024, 11, 30)
    assert parse_period("2024", "2024").end == date(2024, 12, 31)
    with pytest.raises(TppoError, match="not a date") as info:
        parse_period("2024", "31/12/2024")
    assert not isinstance(info.value, AmbiguousPeriodError)


def test_public_api():
    assert tppo_analysis.parse_period is parse_period
    assert tppo_analysis.Period is Period and Period._fields == ("start", "end")
    assert tppo_analysis.AmbiguousPeriodError is AmbiguousPeriodError and issubclass(AmbiguousPeriodError, TppoError)
    assert "AmbiguousPeriodError" in __import__("tppo_analysis.errors").errors.__all__


# --- properties --------------------------------------------------------------------------------------------------

_NAMES = {1: "Januari", 2: "Februari", 3: "Maret", 4: "April", 5: "Mei", 6: "Juni", 7: "Juli", 8: "Agustus",
          9: "September", 10: "Oktober", 11: "November", 12: "Desember"}  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    year=st.integers(2000, 2035),
    month=st.integers(1, 12),
    days_after=st.integers(0, 800),
    wording=st.sampled_from(["{m} {y}", "bulan {m} {y}", "selama {m} {y}", "sepanjang bulan {m} tahun {y}"]),
)
def test_a_named_month_is_that_calendar_month_and_never_ends_after_publication(year, month, days_after, wording):
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    published = first + timedelta(days=days_after)
    p = parse_period(wording.format(m=_NAMES[month], y=year), published)
    assert p.start == first
    assert p.end == min(last, published) <= published
    if published >= last:
        assert p == Period(first, last)


@settings(max_examples=200, deadline=None)
@given(published=st.dates(date(2000, 1, 1), date(2035, 12, 31)), n=st.integers(1, 12))
def test_the_last_n_months_cover_n_months_to_the_publication_day(published, n):
    p = parse_period(f"{n} bulan terakhir", published)
    assert p.end == published and p.start <= published
    before = p.start - timedelta(days=1)  # the day n months before publication, clamped to a short month's end
    months = (published.year - before.year) * 12 + published.month - before.month
    assert months == n and (
        before.day == published.day or before.day == calendar.monthrange(before.year, before.month)[1]
    )
