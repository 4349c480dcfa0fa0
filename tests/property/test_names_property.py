"""Properties of name normalization: idempotence and lossless splitting."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.normalize.name_cells import parse_name_cell
from reunite.normalize.names import clean_name, dialect_fold, name_parts, split_surname
from reunite.normalize.surnames import COMMON_SURNAMES, COMPOUND_SURNAMES

_HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
_MIXED = st.text(
    st.one_of(
        _HAN,
        st.sampled_from("歐陽鍾麗華張單曾·・• ()（）/、,;ＡＢａｂ１２xyzXYZ-"),
        st.characters(codec="utf-8"),
    ),
    max_size=12,
)
_NAMES = st.builds(
    lambda surname, given: clean_name(surname + given),
    st.one_of(st.sampled_from(COMMON_SURNAMES), st.sampled_from(sorted(COMPOUND_SURNAMES))),
    st.text(_HAN, min_size=1, max_size=2),
)
_PINYIN = st.lists(
    st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz"), min_size=1, max_size=7), max_size=4
).map(" ".join)

_SETTINGS = settings(max_examples=200, deadline=None)


@_SETTINGS
@given(_MIXED)
def test_clean_name_is_idempotent(text: str) -> None:
    assert clean_name(clean_name(text)) == clean_name(text)


@_SETTINGS
@given(_PINYIN)
def test_dialect_fold_is_idempotent(text: str) -> None:
    assert dialect_fold(dialect_fold(text)) == dialect_fold(text)


@_SETTINGS
@given(st.one_of(_MIXED, _NAMES))
def test_name_parts_of_clean_name_is_the_same(text: str) -> None:
    assert name_parts(clean_name(text)) == name_parts(text)
    assert name_parts(clean_name(text), alias=True) == name_parts(text, alias=True)


@_SETTINGS
@given(_NAMES)
def test_split_surname_concatenates_back(name: str) -> None:
    surname, given_name = split_surname(name)
    assert surname + given_name == name
    assert surname


@_SETTINGS
@given(_MIXED)
def test_split_surname_parts_rebuild_the_clean_name(text: str) -> None:
    surname, given_name = split_surname(text)
    cleaned = clean_name(text)
    # a romanized name may be in Western order (given name first)
    assert cleaned in (surname + given_name, given_name + surname)


@_SETTINGS
@given(_MIXED)
def test_parsed_names_are_clean(text: str) -> None:
    cell = parse_name_cell(text)
    assert all(name and clean_name(name) == name for name in cell.names + cell.aliases)
    assert not set(cell.names) & set(cell.aliases)
