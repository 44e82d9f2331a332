"""The loader's column-wise validator agrees with the plain per-row rules (`RowValidator`) on
generated rows: the same clean values and the same first error, row for row (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from graph.domain import schema
from ingest.validate import BatchValidator, RowError, RowValidator

# per contract type: valid values, near misses and junk, so that every rule fires somewhere
_VALUES = {
    "date": ["2025-01-02", "2024-02-29", "2025-02-30", "2025-13-01", "02.01.2025", "2025-01-02T10:00:00",
             "x"],
    "float": ["0", "1.5", "-5", "1e3", "nan", "inf", "12,5", "1_000", "abc", "101", "-0.0"],
    "int": ["1", "2.0", "2.5", "0", "-1", "x"],
    "country": ["UZ", "kz", "Uzbekistan", "XX", "U Z", "826"],
    "country_list": ["KZ;RU", "KZ,RU", "KZ; ;RU", "KZ;QQ", ";"],
    "currency": ["USD", "uzs", "XXX1", "€"],
    "hs": ["8517120000", "851712", "0710.80", "85", "abc", "12345678901"],
    "str": ["a", "ООО «Восток»", "x y"],
}


def _column_values(col: schema.Column) -> st.SearchStrategy[str]:
    pool = list(col.choices) + [c.upper()
                                for c in col.choices] + ["other"] if col.choices else _VALUES[col.type]
    return st.one_of(st.just(""), st.sampled_from(pool))


def _rows(file: str) -> st.SearchStrategy[list[dict[str, str]]]:
    cols = schema.FILE_BY_NAME[file].columns
    row = st.fixed_dictionaries({c.name: _column_values(c) for c in cols})
    return st.lists(row, min_size=1, max_size=30)


def _agree(file: str, rows: list[dict[str, str]]) -> None:
    ref = RowValidator(file)
    clean, errors = BatchValidator(file)({k: [r[k] for r in rows] for k in rows[0]}, len(rows))
    for i, r in enumerate(rows):
        try:
            want, want_err = ref(r), None
        except RowError as e:
            want, want_err = None, (e.column, e.reason)
        got_err = (errors[i].column, errors[i].reason) if errors[i] is not None else None
        assert got_err == want_err, (r, got_err, want_err)
        if want is not None:
            assert {k: v[i] for k, v in clean.items()} == want


@given(_rows("declarations"))
@settings(derandomize=True, max_examples=300, deadline=None)
def test_declarations_batch_validation_equals_the_row_rules(rows):
    _agree("declarations", rows)


@given(st.sampled_from(["parties", "officers",
                        "offences"]).flatmap(lambda f: st.tuples(st.just(f), _rows(f))))
@settings(derandomize=True, max_examples=200, deadline=None)
def test_other_files_batch_validation_equals_the_row_rules(file_rows):
    _agree(*file_rows)


def test_a_missing_column_is_empty_and_a_repeated_value_fails_on_every_row():
    cols = {"declaration_id": ["A", "B", "C"], "date": ["2025-13-01", "2025-13-01", "2025-01-02"],
            "declarant_id": ["P", "P", ""], "hs_code": ["851712", "851712", "851712"],
            "customs_value": ["1", "2", "3"]}
    clean, errors = BatchValidator("declarations")(cols, 3)
    assert [e.column if e else None for e in errors] == ["date", "date", "declarant_id"]
    assert clean["broker_id"] == [None, None, None]
