"""Normalisation: examples investigators rely on, and properties over generated input (hypothesis)."""

from __future__ import annotations

import doctest
import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ingest import normalise as nz
from ingest.normalise import (
    hs_ancestors,
    normalise_address,
    normalise_email,
    normalise_hs,
    normalise_name,
    normalise_phone,
    normalise_plate,
    normalise_tax_id,
)


def test_doctests():
    res = doctest.testmod(nz)
    assert res.attempted > 30 and res.failed == 0


@pytest.mark.parametrize("a,b", [
    ("ООО «Восток Трейд»", "OOO Vostok Treyd"),
    ("ООО «Восток Трейд»", "Vostok Treid LLC"),
    ('OOO "Vostok Treyd"', "«ВОСТОК ТРЕЙД» ООО"),
    ("МЧЖ «Халқ Савдо»", "Xalq Savdo MChJ"),
    ("«Oʻzbekiston Temir Yoʻllari» AJ", "АЖ «Ўзбекистон Темир Йўллари»"),
    ("ТОО «Казахстан Экспорт»", "Kazakhstan Export TOO"),
    ("Самрук Брокер Холдинг ТОО", "Samruk Broker Kholding LLP"),
    ("ЖШС «Алтын Жол»", "Altyn Zhol JSHS"),
    ("Дмитрий Сергеевич", "Dmitry Sergeyevich"),
    ("Джизак Текстиль ХК", "Jizak Tekstil XK"),
    ("O.O.O. Алмаз", "Almaz GmbH"),
    ("ИП Щукин", "IP Shchukin"),
    ("Silk Road Trading Co., Ltd.", "SILK ROAD TRADING"),
])
def test_names_meet(a, b):
    assert normalise_name(a) == normalise_name(b) != ""


@pytest.mark.parametrize("a,b", [
    ("Восток Трейд", "Запад Трейд"),
    ("Alfa Invest", "Beta Invest"),
])
def test_different_names_stay_apart(a, b):
    assert normalise_name(a) != normalise_name(b)


def test_search_key_vostok():
    """The API search normalises the query the same way: `Восток` finds `Vostok ...`."""
    assert normalise_name("Восток") in normalise_name("OOO Vostok Treyd")
    assert normalise_name("vostok") == normalise_name("ВОСТОК")


@pytest.mark.parametrize("form", ["ООО", "OOO", "MChJ", "МЧЖ", "LLC", "TOO", "ТОО", "XK", "AJ", "АО", "АЖ",
                                  "ЖШС",
                                  "ИП", "LLP", "JSC", "Ltd", "GmbH", "O.O.O.", "L.L.C."])
def test_legal_forms_dropped(form):
    assert normalise_name(f"{form} «Алмаз Савдо»") == normalise_name("Almaz Savdo") == "almaz savdo"
    assert normalise_name(f"Almaz Savdo {form}") == "almaz savdo"


def test_only_a_legal_form_is_kept():
    assert normalise_name("LLC") == "lk"  # folded, but not empty: nothing else to match on
    assert normalise_name("") == "" and normalise_name(None) == ""


@pytest.mark.parametrize("raw,country,want", [
    ("8 (90) 123-45-67", "UZ", "+998901234567"),
    ("90 123 45 67", "UZ", "+998901234567"),
    ("998901234567", "UZ", "+998901234567"),
    ("+998 (90) 123 45 67", None, "+998901234567"),
    ("8 371 234 56 78", "UZ", "+998712345678"),
    ("8(707)211-24-61", "KZ", "+77072112461"),
    ("+7 707 211 24 61", "KZ", "+77072112461"),
    ("8 495 123-45-67", "RU", "+74951234567"),
    ("0090 123 45 67 89", None, "+90123456789"),
])
def test_phones(raw, country, want):
    assert normalise_phone(raw, country) == want


def test_addresses_meet():
    a = normalise_address("г. Ташкент, ул. Навои, д. 12, кв. 5")
    assert a == normalise_address("Tashkent sh., Navoi ko'chasi 12, apt 5") == normalise_address(
        "TASHKENT, NAVOI STR. 12, KV 5")
    assert a != normalise_address("г. Ташкент, ул. Навои, д. 12, кв. 6")
    assert normalise_address("г. Алматы, Турксибский р-н, ул. Толе би, д. 141, офис 132") == \
        normalise_address("Almaty, Turksibskiy r-n, Tole bi str 141, of. 132")


def test_hs_codes():
    assert normalise_hs("71080") == "071080"
    assert normalise_hs("0710.80") == "071080"
    assert normalise_hs("7108095") == "07108095"
    assert normalise_hs("123") is None and normalise_hs("12345678901") is None
    assert hs_ancestors("07108095") == ["071080", "0710", "07"]


def test_plates_tax_ids_emails():
    assert normalise_plate("01 А 123 ВС") == normalise_plate("01a123bc") == "01A123BC"
    assert normalise_tax_id(" 050240-511726 ") == "050240511726"
    assert normalise_email("MAILTO:Ops@Silk.KZ") == "ops@silk.kz"


# --------------------------------------------------------------------------- properties

RU = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
_RU_LATIN = {  # a second, independent transliteration (passport / BGN style) to check the folding
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "yu", "я": "ya",
}
# Latin spellings where the two schemes agree except for what the folding must absorb; ё/ю/я and
# the signs are left out (their Latin forms legitimately differ in ways no key can undo).
# Words as consonant-vowel syllables (plus an optional final consonant), the shape of real names:
# random letter soup would test consonant clusters across digraphs (к+х vs кх), which no Latin
# spelling can tell apart. ё/ю/я and the signs are left out (their Latin forms differ in ways no
# key can undo).
CONS = "бвгджзйклмнпрстфхцчшщ"
VOWS = "аеиоуыэ"
syllable = st.tuples(st.sampled_from(CONS), st.sampled_from(VOWS)).map("".join)
words = st.tuples(st.lists(syllable, min_size=1, max_size=4).map("".join),
                  st.sampled_from(["", *CONS])).map("".join)
names = st.lists(words, min_size=1, max_size=3).map(" ".join)
legal = st.sampled_from(["ООО", "OOO", "MChJ", "LLC", "ТОО", "ЖШС", "JSC", "AJ", "GmbH"])


# Other spellings met in registers: ICAO 9303 passports, Uzbek-Latin habits.
_ICAO = {**_RU_LATIN, "й": "i", "ц": "ts", "ы": "y"}
_UZ_STYLE = {**_RU_LATIN, "х": "x", "ж": "j", "ц": "s", "ы": "i"}


@given(names, st.sampled_from([_RU_LATIN, _ICAO, _UZ_STYLE]))
@settings(derandomize=True, max_examples=400, deadline=None)
def test_cyrillic_meets_its_latin_spellings(name, scheme):
    latin = "".join(scheme.get(c, c) for c in name)
    # ы never starts a word nor follows a vowel in Russian, й rarely starts one (Йемен): there a
    # Latin "ye" is read as е, the common case
    # (and a vowel + "ye" as iotated е: Sergeyevich, so йе spelt "ie" by ICAO cannot meet)
    assume(not re.search(r"(\b[ыйъь]|[аеёиоуыэюя]ы|й[еэ])", name))
    if scheme is _UZ_STYLE and re.search(r"[еэ]ж\b", name):
        return  # a word-final "ej" is read as й (Sergej): the one documented ambiguity of a Latin j
    assert normalise_name(name) == normalise_name(latin.title())


@given(names, legal, st.sampled_from(["«{}»", '"{}"', "{}", "'{}'", "“{}”"]), st.booleans())
@settings(derandomize=True, max_examples=300, deadline=None)
def test_legal_form_quotes_case_punctuation_ignored(name, form, quote, before):
    # a word of the name that is itself a legal form (e.g. "ао") is dropped too: not what this checks
    if any(normalise_name(f"{w} zz") == "z" for w in name.split()):
        return
    quoted = quote.format(name.upper())
    full = f"{form} {quoted}" if before else f"{quoted}, {form}."
    assert normalise_name(full) == normalise_name(name) != ""


@given(st.text(max_size=60))
@settings(derandomize=True, max_examples=500, deadline=None)
def test_name_key_shape(text):
    out = normalise_name(text)
    assert re.fullmatch(r"([a-z0-9]+( [a-z0-9]+)*)?", out), out
    assert normalise_name(text.upper()) == normalise_name(text.lower()) or not text.isascii()


@given(st.text(alphabet="0123456789 -./", max_size=20))
@settings(derandomize=True)
def test_tax_id_digits_only_idempotent(text):
    out = normalise_tax_id(text)
    assert out is None or (out.isdigit() and normalise_tax_id(out) == out)


@given(st.text(alphabet="0123456789", min_size=5, max_size=10))
@settings(derandomize=True)
def test_hs_even_length_and_idempotent(d):
    out = normalise_hs(d)
    if out is not None:
        assert len(out) in (6, 8, 10) and out.endswith(d) and normalise_hs(out) == out
        assert all(out.startswith(a) for a in hs_ancestors(out))


@given(st.sampled_from(["90", "91", "93", "94", "97", "99", "33", "71"]),
       st.text(alphabet="0123456789", min_size=7,
                                                                                   max_size=7))
@settings(derandomize=True)
def test_uz_forms_agree(op, rest):
    national = op + rest
    e164 = normalise_phone("+998" + national)
    forms = [f"8 {op} {rest}", f"998{national}", f"({op}) {rest[:3]}-{rest[3:5]}-{rest[5:]}",
             f"+998 {op} {rest}"]
    assert {normalise_phone(f, "UZ") for f in forms} == {e164}
    assert normalise_phone(e164) == e164


@given(st.emails())
@settings(derandomize=True)
def test_email_idempotent_lower(e):
    out = normalise_email(f"  {e.upper()} ")
    assert out == normalise_email(out) and out == out.lower()


@given(st.text(max_size=80))
@settings(derandomize=True, max_examples=300, deadline=None)
def test_address_key_is_stable(text):
    out = normalise_address(text)
    assert out is None or ((out == out.strip() and "  " not in out
                            and normalise_address(text.upper()) == out)
                           or not text.isascii())
