"""Property types that own their cleaning (as followthemoney's `types/` do): one place that says
what a value of the kind is, so ingest, the analytics and a posted item read it the same way.

`HSCode`: an HS commodity code as 6, 8 or 10 digits. Its digits were cut four times (ingest, the
assessment's single item, the cover score of one item, the projection), and the ingest copy kept
the digits of anything: `09A2400000` became `0092400000`, chapter 00. Now only digits and the
separators clerks and tariffs write between them are a code; anything else is refused.
"""

from __future__ import annotations

import math
import re

import pandas as pd

#: what may stand between the digits of an HS code: spaces, dots and hyphens (`8471 30 000 0`,
#: `7108.10`, `0710.80-95`); any other character (a letter, a slash, a comma) makes it no code
HS_SEPARATORS = " .-"
_HS_FLOAT = re.compile(r"^\s*([0-9]{5}|[0-9]{7}|[0-9]{9})\.0+\s*$")
_HS_CHARS = re.compile(f"^[0-9{re.escape(HS_SEPARATORS)}]+$")
_NOT_DIGIT = re.compile(r"[^0-9]")
_HS_LEVELS = {2: "chapter", 4: "heading", 6: "subheading"}


class HSCode:
    """The HS code type: `clean`, `level`, `ancestors`, `prefix` (one value) and `prefixes` (a column)."""

    @staticmethod
    def clean(value: object) -> str | None:
        """An HS code as 6, 8 or 10 digits, leading zero restored; None if it cannot be one.

        Spreadsheets drop the leading zero of chapters 01–09 (`71080` for `071080`) and may add `.0`.

        >>> HSCode.clean("71080")
        '071080'
        >>> HSCode.clean("7108.10")
        '710810'
        >>> HSCode.clean("71080.0")
        '071080'
        >>> HSCode.clean("8471 30 000 0")
        '8471300000'
        >>> HSCode.clean("09A2400000") is None
        True
        >>> HSCode.clean("1234") is None
        True
        """
        if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
            return None
        text = str(value)
        if not text.strip():
            return None
        m = _HS_FLOAT.match(text)
        if m:
            d = m.group(1)
        elif _HS_CHARS.match(text.strip()):
            d = _NOT_DIGIT.sub("", text)
        else:
            return None
        if len(d) % 2 == 1:
            d = "0" + d
        if len(d) not in (6, 8, 10):
            return None
        return d

    @staticmethod
    def level(code: str) -> str:
        """The level of a code by its length.

        >>> [HSCode.level(c) for c in ("07", "0710", "071080", "07108095")]
        ['chapter', 'heading', 'subheading', 'national']
        """
        return _HS_LEVELS.get(len(code), "national")

    @staticmethod
    def ancestors(code: str) -> list[str]:
        """The codes above a code, nearest first, down to the chapter.

        >>> HSCode.ancestors("0710809500")
        ['071080', '0710', '07']
        """
        return [code[:n] for n in (6, 4, 2) if n < len(code)]

    @staticmethod
    def prefix(value: object, level: int) -> str | None:
        """A posted code cleaned and cut to `level` digits (6 subheading, 4 heading, 2 chapter); None
        when it is no code."""
        code = HSCode.clean(value)
        return code[:level] if code is not None else None

    @staticmethod
    def prefixes(codes: pd.Series, level: int) -> pd.Series:
        """Stored codes (already clean) cut to `level` digits, None where shorter.

        Cut once per distinct code (a few thousand in a million items) and spread back: the scoring
        run asks for prefixes of the same column a dozen times. Stray non-digits (frames built in
        code, not through ingest) are dropped, as the stored codes have none."""
        idx, uniq = pd.factorize(codes)
        s = pd.Series(uniq, dtype=object).astype("string").str.replace(r"\D", "", regex=True)
        cut = s.str.slice(0, level).where(s.str.len() >= level)
        return pd.Series(cut.array.take(idx, allow_fill=True), index=codes.index, name=codes.name)
