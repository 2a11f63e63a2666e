"""Publication dates as data: parsed to ISO ('YYYY-MM-DD', 'YYYY-MM' or 'YYYY'), and as a day range for filters.

A date may say only a month or a year ("2023-09": the seeds' date line), so a date is stored as the range of
days it covers, two ``YYYYMMDD`` integers (``date_start``, ``date_end``) that Chroma compares in a ``where``
filter. A date filter keeps an article whose range meets the asked range: "2023-09" is kept for
``--since 2023-09-12`` (it may be the 14th), never for ``--since 2023-10-01``. No date: (0, 0), so a date filter
leaves the article out.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime

UNDATED = (0, 0)
_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")  # 12/09/2023, 12.09.2023: the French order


def _checked(year: int, month: int | None, day: int | None) -> str | None:
    """The ISO text of a real calendar date (as precise as given), or None."""
    if not 1000 <= year <= 9999 or (month is not None and not 1 <= month <= 12):
        return None
    if month is None:
        return f"{year:04d}"
    if day is None:
        return f"{year:04d}-{month:02d}"
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def parse_date(text: str) -> str | None:
    """'2023-09-12', '2023-9', '2023', '12/09/2023', '2023-09-12T08:30:00+02:00', '2023/09/12' -> ISO; else None."""
    text = (text or "").strip()
    match = _ISO.match(text.replace("/", "-"))
    if match:
        year, month, day = (int(g) if g else None for g in match.groups())
        return _checked(year, month, day)
    match = _DAY_FIRST.match(text)
    if match:
        return _checked(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    try:  # a timestamp (HTML and PDF metadata): its day
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        return None


def normalise_date(text: str) -> tuple[str, str]:
    """(the date to store, a note): ISO when it parses; otherwise the text as it was, with a note saying so."""
    text = (text or "").strip()
    if not text:
        return "", ""
    parsed = parse_date(text)
    if parsed is None:
        return text, f"date {text[:40]!r} is not a date this reads (YYYY-MM-DD, YYYY-MM, DD/MM/YYYY): kept as text, left out of date filters"
    return parsed, ""


def day_range(iso: str) -> tuple[int, int]:
    """The first and last day a date covers, as YYYYMMDD integers; (0, 0) for no date or one that does not parse."""
    parsed = parse_date(iso) if iso else None
    if parsed is None:
        return UNDATED
    parts = [int(p) for p in parsed.split("-")]
    year, month, day = parts + [None] * (3 - len(parts))
    first = (month or 1, day or 1)
    last_month = month or 12
    last = (last_month, day or calendar.monthrange(year, last_month)[1])
    return year * 10000 + first[0] * 100 + first[1], year * 10000 + last[0] * 100 + last[1]
