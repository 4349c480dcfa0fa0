"""Lines the command line prints on success and argparse's own errors mask resident ID numbers too: an
agency's case or person id may be the ID number itself, and a console log is an output like any file."""

from __future__ import annotations

import pytest

from reunite.cli import main
from reunite.store import Store

ID = "110101199003074514"  # a valid 18-digit resident ID (checksum and birth day)
MASKED = "110101********4514"


@pytest.fixture
def filled(store: Store) -> Store:
    store.upsert("cases", [{"case_id": ID, "sex": "F", "birth_date": "1990"}])
    store.upsert("candidates", [{"person_id": ID, "sex": "F", "birth_date": "1990-03-07"}])
    return store


def test_dna_record_masks_the_ids_it_echoes(filled: Store, db_url: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    base = ["dna", "record", "--db", db_url, "--case", ID, "--person", ID]
    assert main([*base, "--outcome", "excluded"]) == 0
    out = capsys.readouterr().out
    assert ID not in out and MASKED in out
    assert main([*base, "--outcome", "pending", "--reveal-ids"]) == 0
    assert ID in capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    [ID],
    ["plan", "--db", "sqlite:///x.db", "--out", "p.csv", "--top-k", ID + ".5"],
    ["screen", "--cases", "c.csv", "--candidates", "p.csv", "--out", "r.csv", "--top-k", ID + ".5"],
])
def test_a_bad_command_line_masks_the_id_it_quotes(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert ID not in err
    assert len(err.strip().splitlines()) == 1
