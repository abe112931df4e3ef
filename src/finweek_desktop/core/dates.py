"""Partial dates: a document may be dated to the year, the month or the day.

A partial date is stored as reduced-precision ISO 8601 text ("2020",
"2020-11", "2020-11-20"). Such strings sort correctly as text, so ordering by
date works in any SQL database without a custom type, and the precision is
the string's own length.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

_PATTERN = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


@dataclass(frozen=True, order=True)
class PartialDate:
    year: int
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        match = _PATTERN.match(text.strip().replace("/", "-"))
        if not match:
            raise ValueError(f"invalid date {text!r}: use YYYY, YYYY-MM or YYYY-MM-DD")
        year = int(match[1])
        month, day = (int(g) if g else None for g in match.groups()[1:])
        if year < 1:
            raise ValueError(f"invalid date {text!r}: there is no year 0")
        if month is not None and not 1 <= month <= 12:
            raise ValueError(f"invalid date {text!r}: month must be 1-12")
        if month is not None and day is not None:  # the pattern gives no day without a month
            try:
                _dt.date(year, month, day)
            except ValueError as exc:
                raise ValueError(f"invalid date {text!r}: {exc}") from None
        return cls(year, month, day)

    def iso(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def sort_key(self) -> int:
        """YYYYMMDD with unknown parts as 00: sorts a year before its months."""
        return self.year * 10000 + (self.month or 0) * 100 + (self.day or 0)

    def __str__(self) -> str:
        return self.iso()


def normalize_date(text: str | None) -> str | None:
    """Validate user input and return the stored form (None for empty)."""
    if text is None or not text.strip():
        return None
    return PartialDate.parse(text).iso()
