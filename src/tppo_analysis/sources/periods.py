"""Reference periods as the articles state them: ``parse_period(text, published) -> Period``.

A figure in the public record covers a window of days, but an article states it in words: "sepanjang Januari
hingga April 2025", "periode 1 Januari s.d. 18 September 2025", "in the last three months", "tahun lalu".
:func:`parse_period` turns such a phrase, in Indonesian or English, into an inclusive window of calendar dates,
following the record's conventions (``data/public/public_reported_figures.md`` §1), and refuses vague phrases
with :class:`~tppo_analysis.errors.AmbiguousPeriodError` rather than guess.

Rules
-----
| phrase kind | window |
|---|---|
| months, quarters (triwulan/kuartal/Q), halves (semester/H), "N bulan pertama", named ranges ("Januari–April 2025", "1 Januari s.d. 18 September 2025", "23 April – 1 Juni 2025", "2020-2023") | calendar units, inclusive |
| a unit still running at publication ("sepanjang 2024" said on 29 Dec 2024, "selama bulan Desember", "tahun ini", "sejak Januari 2025") | ends on the publication date (the record's statement-date rule) |
| "hingga/sampai/s.d./per/as of <date>" with no start | year to date: 1 January of that date's year |
| "tahun lalu", "bulan lalu", "pekan lalu" ("last year/month/week") | the previous calendar year / month / ISO week (Monday–Sunday) |
| "N bulan terakhir", "dalam sepekan terakhir", "last three months", "the past year" | N calendar units ending on the publication date, inclusive (11 Apr minus 3 months is 11 Jan, so 12 Jan – 11 Apr) |
| a missing year | the publication year, or the previous one if that window would start after publication, end after it on a stated day, or contradict a stated weekday |
| vague ("beberapa bulan terakhir", "belakangan ini", "selama ini", "pertengahan Juni", "awal 2025", "periode yang sama", "to date", "hingga kini", "in recent years", "dalam kurun waktu 3 bulan", "tiga bulan lalu") | `AmbiguousPeriodError` |

A window that starts after publication, or ends after it on a stated day, is an error too: a count cannot cover
days that had not happened. A weekday written next to a date ("Rabu (6/7/2022)") must agree with it.

Assumptions: ``published`` is the statement date where the article gives one (the record's period ends on the
statement day), else the publication date; a ``YYYY-MM`` or ``YYYY`` publication date stands for the last day of
that month or year (the latest the statement can have been, as the validator compares dates). Dates are day-first
(Indonesian usage, also in English copy of Indonesian outlets). Anaphora ("selama itu", "the same period") need the
rest of the article and are refused.

Why hand-written grammar: ``dateparser`` (``languages=["id", "en"]``) reads single dates well, so it reads them here
(numeric day-first and ISO dates, "January 18, 2025", "18 Sept 2025"; it knows Januari, Pebruari, Nopember, Agt,
Agu, Sept). It has no notion of a period: it returns one datetime for "Januari 2025" (the 1st), nothing for
"Januari–April 2025", "triwulan I", "semester 1", "tiga bulan terakhir" or "sepekan terakhir", a single day for
"tahun lalu" (base date minus a year), the 1st of a quarter's middle month for "Q1 2023", and a *future* date for
"2 Desember" without a year; it ignores a weekday that contradicts the date and does not know "Ags"/"Agst". So the
period grammar (ranges, units, relative windows, year inheritance, clipping, vagueness) is written here by hand.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from ..errors import AmbiguousPeriodError, TppoError

__all__ = ["Period", "parse_period"]


class Period(NamedTuple):
    """An inclusive window of calendar days: ``start`` and ``end`` are both covered."""

    start: date
    end: date


_MONTHS = {
    1: "januari jan january",
    2: "februari pebruari febr feb february",
    3: "maret mar march",
    4: "april apr",
    5: "mei may",
    6: "juni jun june",
    7: "juli jul july",
    8: "agustus agst ags agt agu aug august",
    9: "september sept sep",
    10: "oktober okt oct october",
    11: "november nopember nop nov",
    12: "desember des dec december",
}
_MONTH = {word: m for m, words in _MONTHS.items() for word in words.split()}
_MONTH_RE = "|".join(sorted(_MONTH, key=len, reverse=True))
_NUMBERS = {
    "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6, "tujuh": 7, "delapan": 8, "sembilan": 9,
    "sepuluh": 10, "sebelas": 11, "dua belas": 12, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a": 1, "an": 1,
}  # fmt: skip
_NUM_RE = r"\d{1,3}|" + "|".join(sorted(_NUMBERS, key=len, reverse=True))
_ORDINAL = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "pertama": 1, "kedua": 2, "ketiga": 3, "keempat": 4, "first": 1,
            "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "1": 1, "2": 2, "3": 3, "4": 4}  # fmt: skip
_ORD_RE = r"iv|iii|ii|i|[1-4](?:st|nd|rd|th)?|pertama|kedua|ketiga|keempat|first|second|third|fourth"
_UNIT = {"hari": "d", "day": "d", "days": "d", "pekan": "w", "minggu": "w", "week": "w", "weeks": "w",
         "bulan": "m", "month": "m", "months": "m", "tahun": "y", "year": "y", "years": "y"}  # fmt: skip
_UNIT_RE = "|".join(sorted(_UNIT, key=len, reverse=True))
_WEEKDAY = {"senin": 0, "selasa": 1, "rabu": 2, "kamis": 3, "jumat": 4, "jum'at": 4, "sabtu": 5, "minggu": 6,
            "ahad": 6, "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
            "sunday": 6, "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}  # fmt: skip
_DAY_NAMES = ["Senin (Monday)", "Selasa (Tuesday)", "Rabu (Wednesday)", "Kamis (Thursday)", "Jumat (Friday)",
              "Sabtu (Saturday)", "Minggu (Sunday)"]  # fmt: skip

_VAGUE = [  # (pattern, reason)
    (
        r"\bbeberapa\b|\b(?:a )?few\b|\bseveral\b|\bsome (?:days|weeks|months|years)\b",
        "vague: the number of units is not stated",
    ),
    (
        (
            r"(?<!hari )(?<!pekan )(?<!minggu )(?<!bulan )(?<!tahun )\bbelakangan\b|\bakhir-akhir ini\b|"
            r"\bbaru-baru ini\b|\brecent(?:ly)?\b|\blately\b|\bthese days\b"
        ),
        "vague: it names no window",
    ),
    (r"\bselama ini\b|\bsejauh ini\b|\bover the years\b", "vague: it names no start"),
    (
        r"\bpertengahan\b|\bmid-?\b|\bmedio\b|\bakhir\b|\bearly\b|\blate\b|\bjelang\b|\bmenjelang\b",
        "vague: the middle, end, beginning or late part of a unit is not a date",
    ),
    (
        (
            r"\b(?:periode|kurun waktu) (?:yang )?sama\b|\bsame period\b|\bselama itu\b|\bsaat itu\b|"
            r"\bwaktu itu\b|\btersebut\b|\bthat period\b"
        ),
        "vague: it refers to a period stated elsewhere in the article",
    ),
]
_FILLER_WORDS = (
    r"(?:periode|period|selama|sepanjang|pada|kurun waktu|kurun|rentang waktu|rentang|dalam|terhitung|"
    r"tahun anggaran|t\.?a\.?|fiscal year|calendar year|fy|tahun|bulan|tanggal|tgl|ini|lalu|silam|data|untuk|di|"
    r"in|on|during|throughout|for|over|within|the|of|whole|entire|full|year|month)"
)
_FILLER = rf"\b{_FILLER_WORDS}\b"


class _Atom(NamedTuple):
    """One end of a period as written.

    ``kind`` is token (a numeric or relative date, ``a`` indexes the stash), day, bareday ("1" in "1-16 Juli"),
    month, quarter, half, first_n ("empat bulan pertama"), year or yearstart.
    """

    kind: str
    a: int = 0  # the day, quarter, half, N or stash index
    month: int | None = None
    year: int | None = None  # None: not written
    weekday: int | None = None  # written next to the date: 0 = Monday


@lru_cache(maxsize=1)
def _dateparser():
    from dateparser.date import DateDataParser  # type: ignore[import-untyped]

    settings = {"DATE_ORDER": "DMY", "PREFER_LOCALE_DATE_ORDER": False, "PREFER_DAY_OF_MONTH": "first"}
    return DateDataParser(languages=["id", "en"], settings=settings)


def _read_date(text: str) -> date | None:
    """One full date (day, month and year written) read by ``dateparser``; None if it is not one."""
    data = _dateparser().get_date_data(text)
    return data.date_obj.date() if data.date_obj is not None and data.period == "day" else None


def _publication(published: date | str) -> date:
    if isinstance(published, datetime):
        return published.date()
    if isinstance(published, date):
        return published
    text = str(published).strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
            y, mo = int(m[1]), int(m[2])
            return date(y, mo, calendar.monthrange(y, mo)[1])
        if re.fullmatch(r"\d{4}", text):
            return date(int(text), 12, 31)
    except ValueError:
        pass
    raise TppoError(f"published {published!r} is not a date: write YYYY-MM-DD (or YYYY-MM, YYYY)")


def _ambiguous(text: str, why: str) -> AmbiguousPeriodError:
    return AmbiguousPeriodError(
        f"cannot use period {text!r}: {why}. Write explicit dates instead, e.g. '1 Januari s.d. 18 September 2025'"
    )


def _month_end(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def _minus_months(d: date, n: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 - n, 12)
    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def _last_n(n: int, unit: str, pub: date) -> Period:
    """N calendar units ending on the publication date, inclusive."""
    if unit == "d":
        return Period(pub - timedelta(days=n - 1), pub)
    if unit == "w":
        return Period(pub - timedelta(days=7 * n - 1), pub)
    months = n if unit == "m" else 12 * n
    return Period(_minus_months(pub, months) + timedelta(days=1), pub)


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBERS[word]


def _normalise(text: str, pub: date, dates: list[tuple[str, date | None, bool]]) -> str:
    """Lower-case, unify dashes and connectors, and replace relative words and numeric dates by tokens."""
    s = " " + text.lower().replace("\u2019", "'") + " "
    s = re.sub(r"[\u2010-\u2015\u2212]", "-", s)
    s = re.sub(r"[()\[\]\"“”]", " ", s)

    def stash(d: date | None, raw: str = "", has_year: bool = True) -> str:
        dates.append((raw, d, has_year))
        return f" @{len(dates) - 1}@ "

    s = re.sub(r"\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b", lambda m: stash(None, m[0]), s)
    s = re.sub(r"\b(\d{1,2})/(\d{1,2})\b(?!/)", lambda m: stash(None, m[0], False), s)  # "(25/7)": no year
    s = re.sub(r"\bs\s?[./]\s?d\b\.?|\bsampai dengan\b|\bup to\b", " sd ", s)
    s = re.sub(r"(\d)(?:st|nd|rd|th)\b", r"\1", s)
    s = re.sub(r"(?<=[a-z])\.(?=[\s-])", " ", s).replace(",", " ")
    s = re.sub(rf"\b(semester|triwulan|kuartal|tw|q|h) ?({_ORD_RE}) ?- ?(\d{{4}})\b", r"\1 \2 \3", s)
    s = re.sub(r"\bbetween (.+?) and (.+)", r" sejak \1 sd \2", s)
    s = re.sub(r"\b(?:the )?(?:beginning|start) of\b|\bdari awal\b", " sejak awal ", s)
    s = re.sub(r"\b(?:since|mulai|dari|from|terhitung sejak|terhitung mulai)\b", " sejak ", s)
    s = re.sub(r"\bso far (?:this year|in \d{4})\b|\bthis year so far\b|\byear to date\b|\bytd\b", " tahun ini ", s)
    if re.search(rf"\b(?:{_NUM_RE}) (?:{_UNIT_RE}) ini\b", s):
        raise ValueError("vague: a duration with 'ini' ('1 tahun ini') names no window")
    if re.search(rf"\b(?:(?:{_NUM_RE}) |se)(?:{_UNIT_RE}) (?:yang )?(?:lalu|ago)\b", s):
        raise ValueError("vague: 'N units ago' may mean a point in time or the last N units")
    prev_week, prev_month = pub - timedelta(days=pub.weekday() + 7), _minus_months(pub, 1)
    relative = [
        (r"\b(?:hari ini|today)\b", lambda m: stash(pub, "today")),
        (r"\b(?:kemarin|yesterday)\b", lambda m: stash(pub - timedelta(days=1))),
        (r"\b(?:pekan|minggu) lalu\b|(?<!the )\blast week\b",
         lambda m: f"{stash(prev_week)} sd {stash(prev_week + timedelta(days=6))}"),
        (r"\b(?:of )?this year\b|\btahun ini\b", lambda m: f" {pub.year} "),
        (r"\bthis month\b|\bbulan ini\b", lambda m: f" {_MONTHS[pub.month].split()[0]} {pub.year} "),
        (rf"\bthis ({_MONTH_RE})\b", lambda m: f" {m[1]} {pub.year} "),
        (r"\btahun (?:lalu|kemarin|sebelumnya)\b|(?<!the )\blast year\b|\bprevious year\b", lambda m: f" {pub.year - 1} "),
        (r"\bbulan (?:lalu|kemarin|sebelumnya)\b|(?<!the )\blast month\b|\bprevious month\b",
         lambda m: f" {_MONTHS[prev_month.month].split()[0]} {prev_month.year} "),
        (r"\b(?:saat ini|sekarang|kini|to date|so far|now)\b", lambda m: " @now@ "),
    ]  # fmt: skip
    for pattern, repl in relative:
        s = re.sub(pattern, repl, s)
    s = re.sub(r"\bawal\s+(?:the\s+)?(?:tahun|year)\b(?!\s+\d{4})", f"awal {pub.year}", s)  # "sejak awal tahun"
    weekdays = "|".join(_WEEKDAY)
    s = re.sub(rf"\b({weekdays})\b\s*(?=@\d+@|\d)", lambda m: f" wd{_WEEKDAY[m[1]]} ", s)
    return re.sub(r"\s+", " ", s).strip()


def _atom(text: str) -> _Atom | None:
    """One endpoint expression; ``year`` is None where the phrase states none."""
    s = re.sub(r"\s+", " ", re.sub(_FILLER, " ", text)).strip()
    wd = None
    if m := re.match(r"wd(\d) ?(.*)$", s):
        wd, s = int(m[1]), m[2]
    yr = r"(?: (\d{4}))?"
    if m := re.fullmatch(r"@(\d+)@", s):
        return _Atom("token", int(m[1]), weekday=wd)
    if m := re.fullmatch(rf"(\d{{1,2}}) ({_MONTH_RE}){yr}|({_MONTH_RE}) (\d{{1,2}}){yr}", s):
        day, mon, y = (m[1], m[2], m[3]) if m[1] else (m[5], m[4], m[6])
        return _Atom("day", int(day), _MONTH[mon], int(y) if y else None, wd)
    if m := re.fullmatch(rf"({_MONTH_RE}){yr}", s):
        return _Atom("month", 0, _MONTH[m[1]], int(m[2]) if m[2] else None)
    if m := re.fullmatch(rf"(?:triwulan|kuartal|quarter|tw|q) ?({_ORD_RE}){yr}|({_ORD_RE}) quarter{yr}", s):
        return _Atom("quarter", _ORDINAL[m[1] or m[3]], year=int(m[2] or m[4]) if (m[2] or m[4]) else None)
    if m := re.fullmatch(rf"(?:semester|paruh|h) ?({_ORD_RE}){yr}|(first|second) half{yr}", s):
        return _Atom("half", _ORDINAL[m[1] or m[3]], year=int(m[2] or m[4]) if (m[2] or m[4]) else None)
    if m := re.fullmatch(rf"(?:({_NUM_RE}) (?:bulan |months )?pertama|first ({_NUM_RE}) months?){yr}", s):
        return _Atom("first_n", _number(m[1] or m[2]), year=int(m[3]) if m[3] else None)
    if re.fullmatch(r"\d{4}", s):
        return _Atom("year", int(s), year=int(s))
    if m := re.fullmatch(r"awal (\d{4})", s):
        return _Atom("yearstart", 0, year=int(m[1]))
    if re.fullmatch(r"\d{1,2}", s):
        return _Atom("bareday", int(s), weekday=wd)
    if re.search(r"\d{4}", s) and "@" not in s and (d := _read_date(s)):  # other spellings, e.g. "18 sept 2025"
        return _Atom("day", d.day, d.month, d.year, wd)
    return None


def _window(atom: _Atom, year: int, dates: list[tuple[str, date | None, bool]]) -> tuple[date, date, bool]:
    """(start, end, end_is_unit) of an atom, in ``year`` where it states none; ValueError for impossible dates."""
    y = atom.year if atom.year is not None else year
    if atom.kind == "token":
        raw, d, has_year = dates[atom.a]
        d = d or _read_date(raw if has_year else f"{raw}/{y}")
        if d is None:
            raise ValueError(f"{raw!r} is not a date")
        return d, d, False
    if atom.kind == "day":
        assert atom.month is not None  # a day atom always carries its month
        try:
            d = date(y, atom.month, atom.a)
        except ValueError:
            raise ValueError(f"day {atom.a} of month {atom.month} {y} does not exist") from None
        return d, d, False
    if atom.kind == "month":
        assert atom.month is not None
        return date(y, atom.month, 1), _month_end(y, atom.month), True
    if atom.kind in ("quarter", "half", "first_n"):
        months = {"quarter": 3 * atom.a, "half": 6 * atom.a, "first_n": atom.a}[atom.kind]
        first = {"quarter": months - 2, "half": months - 5, "first_n": 1}[atom.kind]
        if not 1 <= months <= 12:
            raise ValueError(f"{atom.a} months is more than a year")
        return date(y, first, 1), _month_end(y, months), True
    if atom.kind == "yearstart":
        return date(y, 1, 1), date(y, 1, 1), False
    return date(y, 1, 1), date(y, 12, 31), True


def _check_weekday(atom: _Atom, d: date) -> None:
    if atom.weekday is not None and d.weekday() != atom.weekday:
        why = f"{d} was a {_DAY_NAMES[d.weekday()]}, not a {_DAY_NAMES[atom.weekday]}"
        raise ValueError(why)


def _has_year(atom: _Atom | None, dates: list[tuple[str, date | None, bool]]) -> bool:
    return atom is None or (dates[atom.a][2] if atom.kind == "token" else atom.year is not None)


def parse_period(text: str, published: date | str) -> Period:
    """Return the inclusive window of days a period phrase covers, by the rules in this module's docstring.

    Parameters
    ----------
    text : str
        The period as the article states it, Indonesian or English ("sepanjang Januari hingga April 2025",
        "periode 1 Januari s.d. 18 September 2025", "in the last three months", "Rabu (6/7/2022)").
    published : date or str
        The statement date (else the publication date): a :class:`datetime.date` or ``YYYY-MM-DD``; ``YYYY-MM`` and
        ``YYYY`` stand for the last day of that month or year. Running units end here; relative phrases count from it.

    Returns
    -------
    Period
        ``(start, end)``, both days included, ``end`` never after ``published``.

    Raises
    ------
    AmbiguousPeriodError
        The phrase is vague, cannot be read, ends after publication or contradicts itself (a weekday that does not
        match its date); the message names the phrase and the reason.
    TppoError
        ``published`` is not a date.
    """
    pub = _publication(published)
    raw = str(text).strip()
    dates: list[tuple[str, date | None, bool]] = []
    try:
        s = _normalise(raw, pub, dates)
    except ValueError as exc:
        raise _ambiguous(raw, str(exc)) from None
    if not s:
        raise _ambiguous(raw, "it is empty")
    for pattern, why in _VAGUE:
        if re.search(pattern, s):
            raise _ambiguous(raw, why)
    if re.search(r"\bawal\b", s) and not re.search(r"\bsejak awal \d{4}\b", s):
        raise _ambiguous(raw, "vague: 'awal' (early part of) a unit is not a date")
    core = re.sub(
        r"\s+", " ", re.sub(r"\b(?:dalam|selama|kurun waktu|sepanjang|in|over|during|for|within|the)\b", " ", s)
    )
    last = re.fullmatch(
        rf"(?:last|past) (?:({_NUM_RE}) )?({_UNIT_RE})|(?:({_NUM_RE}) |se)({_UNIT_RE}) (?:terakhir|belakangan)(?: ini)?",
        core.strip(),
    )
    if last:
        n = _number(last[1] or last[3]) if (last[1] or last[3]) else 1
        return _last_n(n, _UNIT[last[2] or last[4]], pub)
    duration = rf"\b(?:dalam )?(?:kurun waktu )?(?<!first )(?:(?:{_NUM_RE}) |se)(?:{_UNIT_RE})\b(?! pertama| terakhir)"
    s = re.sub(r"\s+", " ", re.sub(duration, " ", s))
    s = re.sub(rf"^(?:{_FILLER}\s*)+", "", s).strip()
    if not s:
        raise _ambiguous(raw, "vague: a duration with no start or end names no window")

    since = bool(re.match(r"sejak\b", s))
    s = re.sub(r"^(?:sejak ?)+", "", s)
    end_only = not since and bool(re.match(r"(?:sd|sampai|hingga|until|till|to|per|as of|as at)\b", s))
    if end_only:
        s = re.sub(r"^(?:sd|sampai|hingga|until|till|to|per|as of|as at) ?", "", s)
    parts = [
        p.strip() for p in re.split(r"\s(?:sd|sampai|hingga|until|till|through|to)\s|\s?-\s?", f" {s} ", maxsplit=1)
    ]
    if len(parts) == 2 and not parts[0]:
        end_only, parts = not since, parts[1:]
    if parts[-1] == "@now@":
        if len(parts) == 1 and not since:
            raise _ambiguous(raw, "vague: 'to date' or 'hingga kini' with no start names no window")
        right = None
    elif (right := _atom(parts[-1])) is None:
        raise _ambiguous(raw, f"{parts[-1]!r} cannot be read as a date or calendar unit")
    left = _atom(parts[0]) if len(parts) == 2 else None
    if len(parts) == 2 and left is None:
        raise _ambiguous(raw, f"{parts[0]!r} cannot be read as a date or calendar unit")
    if end_only and right is not None and right.kind == "token" and dates[right.a][0] == "today":
        raise _ambiguous(raw, "vague: 'hingga hari ini' (until today) with no start names no window")
    if right is not None and right.kind == "bareday" and (left is None or left.kind not in ("day", "month", "token")):
        raise _ambiguous(raw, f"day {right.a} has no month")
    years = [pub.year] if _has_year(left, dates) and _has_year(right, dates) else [pub.year, pub.year - 1]
    errors = []
    for year in years:
        try:
            return _resolve(raw, left, right, year, pub, dates, since, end_only)
        except ValueError as exc:
            errors.append(str(exc))
    raise _ambiguous(raw, errors[0])


def _resolve(raw: str, left: _Atom | None, right: _Atom | None, year: int, pub: date,
             dates: list[tuple[str, date | None, bool]], since: bool, end_only: bool) -> Period:  # fmt: skip
    """Return the window for one candidate year (for atoms that state none); ValueError says why it is not meant."""
    if left is not None and right is not None and right.kind == "bareday":  # "Juni hingga tanggal 9"
        l_start, _, _ = _window(left, year, dates)
        right = right._replace(kind="day", month=l_start.month, year=l_start.year)
    r_start, r_end, unit = (pub, pub, False) if right is None else _window(right, year, dates)
    if left is None:
        start, end = (date(r_end.year, 1, 1), r_end) if end_only else (r_start, pub if since else r_end)
        unit = unit and not since
    else:
        if left.kind == "bareday":  # "1 hingga 16 Juli 2023"
            left = left._replace(kind="day", month=r_start.month, year=r_start.year)
        l_year = left.year if left.year is not None else r_end.year
        start, _, _ = _window(left, l_year, dates)
        if left.year is None and left.kind != "token" and start > r_end:  # "Desember-Februari 2024"
            start, _, _ = _window(left, l_year - 1, dates)
        end = r_end
        _check_weekday(left, start)
    if right is not None:
        _check_weekday(right, r_start)
    if start > pub:
        raise ValueError(f"it starts on {start}, after the publication date {pub}")
    if end > pub:
        if not unit:
            raise ValueError(f"it ends on {end}, after the publication date {pub}")
        if r_start > pub:  # "Januari-Desember 2025" said in June: the last unit had not begun
            raise ValueError(f"its last unit starts on {r_start}, after the publication date {pub}")
        end = pub  # a unit still running when stated: the record's statement-date rule
    if start > end:
        raise ValueError(f"it starts on {start}, after its end {end}")
    return Period(start, end)
