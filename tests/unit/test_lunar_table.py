"""The shipped table of lunar months equals lunar_python, year by year."""

from __future__ import annotations

from reunite.normalize import dates


def test_every_shipped_year_equals_lunar_python() -> None:
    table = dates._lunar_table()
    assert min(table) == 1900 and max(table) == 2100 and len(table) == 201
    for year, months in table.items():
        assert months == dates._computed_lunar_year(year), year


def test_years_outside_the_table_are_computed() -> None:
    assert 1899 not in dates._lunar_table()
    assert dates._lunar_year(1899) == dates._computed_lunar_year(1899)
    assert (1, False) in dates._lunar_year(2101)
