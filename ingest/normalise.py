"""Normalisation of the values that link entities: names, tax ids, phones, emails, addresses,
HS codes, countries and vehicle plates.

Pure functions, no I/O. Each turns a value as recorded (any script, any punctuation) into the
one form used as a node key or a search key, so that records written differently by different
clerks meet in one node: `ООО «Восток Трейд»` and `OOO Vostok Treyd` both become `vostok treid`.
The forms are keys, not display values: they are deliberately lossy (a phonetic folding), and the
value as recorded is always kept next to them.

Length: over 400 lines because each value kind keeps its cleaning beside its folding tables
(Cyrillic/Latin transliteration, legal forms, phone prefixes of the two countries); splitting them
would separate a rule from its table.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import phonenumbers
from unidecode import unidecode

from graph.domain.types import HSCode

__all__ = [
    "digits",
    "hs_ancestors",
    "hs_level",
    "normalise_address",
    "normalise_bank_account",
    "normalise_country",
    "normalise_currency",
    "normalise_email",
    "normalise_hs",
    "normalise_identifier",
    "normalise_name",
    "normalise_phone",
    "normalise_plate",
    "normalise_tax_id",
    "normalise_transport_mode",
    "transliterate",
]

_DIGITS = re.compile(r"\D+")


def digits(value: str | None) -> str:
    """Digits only.

    >>> digits(" 123-456 789 ")
    '123456789'
    """
    return _DIGITS.sub("", value or "")


def normalise_tax_id(value: str | None) -> str | None:
    """A tax id (TIN / INN / BIN / STIR) as digits only; None when no digit is left.

    Clerks write `301 234 567`, `301-234-567` or `ИНН 301234567`: the digits are the identity.

    >>> normalise_tax_id("ИНН 301-234 567")
    '301234567'
    >>> normalise_tax_id("n/a") is None
    True
    """
    d = digits(value)
    return d or None


# --------------------------------------------------------------------------- phones

# Domestic long-distance prefix "8" (Soviet numbering) still written in Uzbekistan, Kazakhstan and
# Russia; "8 10" was the international prefix.
_TRUNK_8 = {"UZ", "KZ", "RU", "KG", "TJ", "BY"}


def normalise_phone(value: str | None, country: str | None = None) -> str | None:
    """A phone number in E.164 where it can be parsed as valid, else `+digits` / digits.

    The country (ISO2 of the party) decides how a number without `+` is read. Old Uzbek forms are
    rewritten first: `8 90 123 45 67` (mobile) and `8 371 234 56 78` (Tashkent, the old three-digit
    area code `371` became `71`).

    >>> normalise_phone("8 (90) 123-45-67", "UZ")
    '+998901234567'
    >>> normalise_phone("8 371 234 56 78", "UZ")
    '+998712345678'
    >>> normalise_phone("8 701 123 4567", "KZ")
    '+77011234567'
    >>> normalise_phone("+998 71 234-56-78")
    '+998712345678'
    >>> normalise_phone("8-10-998-90-123-45-67", "KZ")
    '+998901234567'
    >>> normalise_phone("tel: 12") is None
    True
    """
    if not value:
        return None
    raw = value.strip()
    d = digits(raw)
    if len(d) < 5:
        return None
    plus = raw.lstrip().startswith("+") or raw.startswith("00")
    if raw.startswith("00"):
        d = d[2:]
    cc = (country or "").strip().upper() or None
    if not plus and cc in _TRUNK_8 and d.startswith("810"):
        d, plus = d[3:], True
    if not plus and cc == "UZ":
        if d.startswith("998") and len(d) == 12:
            plus = True
        elif d.startswith("8") and len(d) == 10:  # 8 + 9-digit national number
            d = "998" + d[1:]
            plus = True
        elif d.startswith("83") and len(d) == 11:  # 8 + old 3-digit area code 3xx + 7 digits
            d = "998" + d[2:]
            plus = True
    text = "+" + d if plus else d
    try:
        num = phonenumbers.parse(text, None if plus else cc)
    except phonenumbers.NumberParseException:
        num = None
    if num is not None and phonenumbers.is_valid_number(num):
        return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    return text


def normalise_email(value: str | None) -> str | None:
    """An email lower-cased and stripped (`mailto:` and angle brackets removed); None without `@`.

    >>> normalise_email("  <Info@Vostok-Trade.UZ> ")
    'info@vostok-trade.uz'
    >>> normalise_email("no email") is None
    True
    """
    if not value:
        return None
    v = value.strip().strip("<>").strip()
    if v.lower().startswith("mailto:"):
        v = v[7:]
    v = "".join(v.split()).lower()
    if v.count("@") != 1 or v.startswith("@") or v.endswith("@"):
        return None
    return v


def normalise_bank_account(value: str | None) -> str | None:
    """An IBAN or account number: upper-case letters and digits only.

    >>> normalise_bank_account("kz86 125k zt50 0410 0100")
    'KZ86125KZT5004100100'
    """
    if not value:
        return None
    v = re.sub(r"[^0-9A-Za-z]", "", unidecode(value)).upper()
    return v or None


# --------------------------------------------------------------------------- transliteration

# One Latin form for Russian, Uzbek and Kazakh Cyrillic. Chosen to meet the Latin spellings found
# in registers (Uzbek Latin alphabet, Kazakh Latin, passport-style Russian); the phonetic folding
# below absorbs the remaining differences (zh/j, kh/x, y/i ...).
_CYR = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
    "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    # Uzbek
    "ў": "o", "қ": "q", "ғ": "g", "ҳ": "h",
    # Kazakh
    "ә": "a", "ң": "ng", "ө": "o", "ұ": "u", "ү": "u", "һ": "h", "і": "i",
    # Ukrainian / Belarusian letters met in registers
    "є": "ye", "ї": "yi", "ў̆": "u", "ґ": "g",
}
_CYR_TABLE = str.maketrans({k: v for k, v in _CYR.items() if len(k) == 1})
# Uzbek Latin oʻ / gʻ written with any apostrophe-like sign.
_UZ_APOSTROPHE = re.compile(r"([og])[ʻʼ'`‘’´]")


def transliterate(text: str) -> str:
    """Lower-case Latin form of Cyrillic (Russian, Uzbek, Kazakh) and accented Latin text.

    >>> transliterate("Восток Трейд")
    'vostok treyd'
    >>> transliterate("Oʻzbekiston Gʻalla")
    'ozbekiston galla'
    >>> transliterate("Қазақстан Әуе Жолы")
    'qazaqstan aue zholy'
    """
    t = unicodedata.normalize("NFC", text).lower()
    t = _UZ_APOSTROPHE.sub(r"\1", t).translate(_CYR_TABLE)  # one C pass (4x faster than a loop per char)
    if t.isascii():
        return t
    return "".join(ch if ch.isascii() else unidecode(ch).lower() for ch in t)


# Phonetic folding on the Latin form, in order. Keys, not spellings: `treyd`/`treid`,
# `Xalq`/`Khalk`, `Jizzax`/`Dzhizzakh`, `Eksport`/`Export` each meet.
_FOLDS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(a), b) for a, b in (
    (r"shch|sch", "sh"),
    (r"\bye|(?<=[aeiou])ye", "e"),
    (r"ey|ej\b", "ei"),  # Sergey/Sergej/Sergei; inside a word `j` is read as Uzbek ж (Jizzax)
    (r"dzh|dj|zh", "j"),
    (r"ch", "\x01"),
    (r"ts|tz", "s"),
    (r"ck", "k"),
    (r"q", "k"),
    (r"c(?=[eiy])", "s"),
    (r"c", "k"),
    ("\x01", "ch"),
    (r"kh|ks", "x"),
    (r"ph", "f"),
    (r"w", "v"),
    (r"y", "i"),
    (r"(.)\1+", r"\1"),
))


@lru_cache(maxsize=100_000)
def _fold(token: str) -> str:
    """16 regex passes: cached per token, as names and addresses repeat their words."""
    for pat, rep in _FOLDS:
        token = pat.sub(rep, token)
    return token


# --------------------------------------------------------------------------- names

# Legal forms, written as they appear after `transliterate` and tokenising (single letters of a
# dotted abbreviation are joined first: `О.О.О.` -> `ooo`). Latin, Russian, Uzbek, Kazakh, common
# foreign forms.
_LEGAL_FORMS_RAW = (
    # Uzbek
    "mchj", "mchzh", "xk", "khk", "xususiy korxona", "aj", "aksiyadorlik jamiyati", "ak", "qk", "xt", "khj",
    "mas'uliyati cheklangan jamiyat", "masuliyati cheklangan jamiyat", "masuliyati cheklangan jamiyati",
    "mas'uliyati cheklangan jamiyati", "oilaviy korxona", "ok", "yatt", "uk", "dk", "davlat korxonasi",
    # Russian
    "ooo", "zao", "oao", "ao", "pao", "nao", "ip", "chp", "tchp", "gup", "mup", "ano", "nko", "tov", "pp",
    "obshchestvo s ogranichennoy otvetstvennostyu", "aktsionernoe obshchestvo",
    "zakrytoe aktsionernoe obshchestvo", "otkrytoe aktsionernoe obshchestvo",
    "publichnoe aktsionernoe obshchestvo", "individualnyy predprinimatel", "chastnoe predpriyatie",
    # Kazakh
    "too", "tov", "azh", "aq", "zhshs", "jshs", "kt", "tovarishchestvo s ogranichennoy otvetstvennostyu",
    "zhauapkershiligi shekteuli seriktestik",
    # English and others
    "llc", "l l c", "llp", "ltd", "limited", "jsc", "ojsc", "cjsc", "pjsc", "inc", "incorporated", "corp",
    "corporation", "plc", "co", "co ltd", "company limited", "limited liability company", "gmbh", "ag", "kg",
    "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "oy", "ab", "as", "aps", "sp z o o", "spzoo", "kft",
    "sro", "doo", "ood", "eood", "fze", "fzco", "fzc", "pte", "pvt", "pty", "lp", "ug", "se",
    "tic", "ltd sti", "sti", "as", "fze llc",
)


@lru_cache(maxsize=1)
def _legal_forms() -> tuple[frozenset[tuple[str, ...]], int]:
    forms = set()
    for f in _LEGAL_FORMS_RAW:
        toks = tuple(_tokens(transliterate(f)))
        if toks:
            forms.add(toks)
    return frozenset(forms), max(len(f) for f in forms)


_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def _tokens(latin: str) -> list[str]:
    """Split on anything not a letter or digit; join runs of single letters (`o o o` -> `ooo`)."""
    raw = [t for t in _NON_ALNUM.split(latin.replace("'", "")) if t]
    out: list[str] = []
    run: list[str] = []
    for t in raw:
        if len(t) == 1 and t.isalpha():
            run.append(t)
            continue
        if run:
            out.append("".join(run))
            run = []
        out.append(t)
    if run:
        out.append("".join(run))
    return out


def _drop_legal_forms(tokens: list[str]) -> list[str]:
    forms, longest = _legal_forms()
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for n in range(min(longest, len(tokens) - i), 0, -1):
            if tuple(tokens[i:i + n]) in forms:
                i += n
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


@lru_cache(maxsize=200_000)
def normalise_name(name: str | None) -> str:
    """A company or person name as a search and matching key.

    Legal forms (Latin and Cyrillic: ООО, MChJ, TOO, ЖШС, LLC, GmbH ...) and quotes are dropped,
    Cyrillic is transliterated into one Latin form and a phonetic folding absorbs the usual
    spelling variants, so that the same firm written by two clerks meets. A name made only of a
    legal form keeps it (nothing else would be left to match on).

    >>> normalise_name("ООО «Восток Трейд»")
    'vostok treid'
    >>> normalise_name('OOO "Vostok Treyd"')
    'vostok treid'
    >>> normalise_name("Vostok Treid LLC")
    'vostok treid'
    >>> normalise_name("Восток")
    'vostok'
    >>> normalise_name("«Oʻzbekiston Temir Yoʻllari» AJ") == normalise_name("АЖ «Ўзбекистон Темир Йўллари»")
    True
    >>> normalise_name("ТОО «Қазақ Экспорт»") == normalise_name("Qazaq Export TOO")
    True
    >>> normalise_name("Xalq Savdo MChJ") == normalise_name("МЧЖ «Халқ Савдо»")
    True
    """
    if not name:
        return ""
    tokens = _tokens(transliterate(name))
    kept = _drop_legal_forms(tokens) or tokens
    return " ".join(f for f in (_fold(t) for t in kept) if f)


# --------------------------------------------------------------------------- addresses

# Address words -> canonical marker, or "" to drop (street types: "Navoi str." = "ул. Навои").
_ADDRESS_WORDS = {
    **dict.fromkeys(("ul", "ulitsa", "ulica", "str", "street", "st", "kochasi", "kuchasi", "koshesi",
                     "road", "rd"), ""),
    **dict.fromkeys(("kv", "kvartira", "apt", "apartment", "flat", "xonadon", "ofis", "office", "of"), "kv"),
    **dict.fromkeys(("d", "dom", "house", "uy", "bld", "building", "zdanie"), ""),
    **dict.fromkeys(("pr", "prosp", "prospekt", "prospect", "avenue", "ave", "shoh", "dangyl"), "pr"),
    **dict.fromkeys(("per", "pereulok", "lane", "tor", "berk"), "per"),
    **dict.fromkeys(("mkr", "mikrorayon", "microdistrict", "mavze", "massiv", "mass"), "mkr"),
    **dict.fromkeys(("r", "rn", "raion", "rayon", "district", "tumani", "tuman", "audany", "audan"), "r"),
    **dict.fromkeys(("obl", "oblast", "region", "viloyati", "viloyat", "oblysy"), "obl"),
    **dict.fromkeys(("g", "gor", "gorod", "city", "sh", "shahri", "shahar", "kalasy", "q"), ""),
    **dict.fromkeys(("k", "korp", "korpus"), "k"),
    **dict.fromkeys(("resp", "respublika", "republic", "respublikasi"), ""),
}


def normalise_address(value: str | None) -> str | None:
    """A free-text address as a matching key: transliterated, folded, abbreviations unified,
    street-type and city markers dropped, an apartment kept with its number.

    >>> normalise_address("г. Ташкент, ул. Навои, д. 12, кв. 5")
    'tashkent navoi 12 kv5'
    >>> normalise_address("Tashkent sh., Navoi ko'chasi 12, apt 5")
    'tashkent navoi 12 kv5'
    >>> normalise_address("  ") is None
    True
    """
    if not value:
        return None
    tokens = _tokens_keep_single(transliterate(value))
    out: list[str] = []
    pending_marker: str | None = None
    for t in tokens:
        canon = _ADDRESS_WORDS.get(t) if not t.isdigit() else None
        if canon is not None:
            if canon in ("kv", "k"):
                pending_marker = canon
            elif canon:
                out.append(canon)
            continue
        if pending_marker and t[0].isdigit():
            out.append(pending_marker + t)
        else:
            if pending_marker:
                out.append(pending_marker)
            out.append(_fold(t) if not t.isdigit() else t)
        pending_marker = None
    if pending_marker:
        out.append(pending_marker)
    return " ".join(out) or None


def _tokens_keep_single(latin: str) -> list[str]:
    return [t for t in _NON_ALNUM.split(latin.replace("'", "")) if t]


# --------------------------------------------------------------------------- goods, places, vehicles

# HS codes: the type owns its cleaning (graph.domain.types.HSCode); these names stay for ingest's callers
normalise_hs = HSCode.clean
hs_level = HSCode.level
hs_ancestors = HSCode.ancestors


_ISO2 = re.compile(r"^[A-Z]{2}$")
_ISO3 = re.compile(r"^[A-Z]{3}$")


def normalise_country(value: str | None) -> str | None:
    """An ISO 3166-1 alpha-2 code in upper case; None if it is not two letters.

    >>> normalise_country(" uz ")
    'UZ'
    >>> normalise_country("UZB") is None
    True
    """
    if not value:
        return None
    v = value.strip().upper()
    return v if _ISO2.match(v) else None


def normalise_currency(value: str | None) -> str | None:
    """An ISO 4217 code in upper case; None if it is not three letters.

    >>> normalise_currency("usd")
    'USD'
    """
    if not value:
        return None
    v = value.strip().upper()
    return v if _ISO3.match(v) else None


# Cyrillic letters allowed on plates look like Latin ones: map them so `01 А 123 ВС` = `01A123BC`.
_PLATE_LOOKALIKE = str.maketrans("АВЕКМНОРСТУХ", "ABEKMHOPCTYX")


def normalise_plate(value: str | None) -> str | None:
    """A vehicle plate, wagon or flight number: upper-case letters and digits only.

    >>> normalise_plate("01 а 123 вс")
    '01A123BC'
    >>> normalise_plate("--") is None
    True
    """
    if not value:
        return None
    v = value.upper().translate(_PLATE_LOOKALIKE)
    v = re.sub(r"[^0-9A-Z]", "", unidecode(v).upper())
    return v or None


# WCO / EU transport mode codes (SAD boxes 25-26) and common spellings -> the contract's words.
_MODES = {
    "1": "sea", "2": "rail", "3": "road", "4": "air", "5": "post", "7": "pipeline", "8": "inland_waterway",
    "9": "own_propulsion", "maritime": "sea", "ship": "sea", "vessel": "sea", "railway": "rail",
    "train": "rail",
    "truck": "road", "lorry": "road", "car": "road", "aircraft": "air", "plane": "air", "mail": "post",
    "postal": "post", "courier": "post", "fixed": "pipeline",
}


def normalise_transport_mode(value: str | None) -> str | None:
    """A transport mode as the contract's word (road, rail, air, sea, post, pipeline ...); a WCO
    code (`3`, `30`) is translated, an unknown word is kept lower-cased.

    >>> [normalise_transport_mode(v) for v in ("3", "30", "Road", "RAILWAY", "barge")]
    ['road', 'road', 'road', 'rail', 'barge']
    """
    if not value or not value.strip():
        return None
    v = value.strip().lower()
    if v.isdigit():
        return _MODES.get(v[0], v)
    return _MODES.get(v, v)


def normalise_identifier(label: str, value: str | None, country: str | None = None) -> str | None:
    """The node key of an identifier of kind `label` (graph.domain.schema.IDENTIFIERS)."""
    if label == "TaxId":
        return normalise_tax_id(value)
    if label == "Phone":
        return normalise_phone(value, country)
    if label == "Email":
        return normalise_email(value)
    if label == "Address":
        return normalise_address(value)
    if label == "BankAccount":
        return normalise_bank_account(value)
    raise ValueError(f"unknown identifier kind {label!r}")
