"""`reunite verify`: the stored ranking checked against a full screen of the stored records with the
stored fitted model, on SQLite and PostgreSQL; nothing written."""

from __future__ import annotations

import pandas as pd
import pytest

from reunite.cli import main
from reunite.rescreen import rescreen, verify
from reunite.store import Store
from reunite.synth import generate

TOP_K = 4


def _nights(store: Store) -> None:
    data = generate(30, 1500, seed=11)
    cases, people = pd.DataFrame(data.cases), pd.DataFrame(data.candidates)
    assert rescreen(store, cases=cases, candidates=people.iloc[:1200], top_k=TOP_K).kind == "full"
    changed = people.iloc[1100:1500].copy()  # 100 changed rows and 300 new ones
    changed.loc[changed.index[:100], "marks"] = "左耳后有痣"
    assert rescreen(store, candidates=changed, top_k=TOP_K).kind == "incremental"


def test_a_night_s_ranking_verifies_and_a_stale_one_does_not(store: Store, db_url: str,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    _nights(store)
    before = [(r.case_id, r.rank, r.person_id, r.score) for r in store.current_topk()]
    found = verify(store)
    assert found.equal, found.differences[:5]
    assert found.cases == 30 and found.candidates == 1500
    assert found.rows == sum(rank <= TOP_K for _, rank, _, _ in before) > 0
    assert main(["verify", "--db", db_url]) == 0
    assert "verified:" in capsys.readouterr().out
    # a DNA exclusion recorded after the night: the stored ranking still holds the excluded person
    top = next(r for r in store.current_topk() if r.rank == 1)
    store.record_dna(top.case_id, top.person_id, "excluded")
    stale = verify(store)
    assert not stale.equal
    assert {case_id for case_id, *_ in stale.differences} == {top.case_id}
    assert (top.case_id, 1, "person", top.person_id) in {d[:4] for d in stale.differences}
    assert main(["verify", "--db", db_url]) == 1
    assert f"{top.case_id} rank 1 person" in capsys.readouterr().out
    # verifying wrote nothing; the next night puts it right
    assert [(r.case_id, r.rank, r.person_id, r.score) for r in store.current_topk()] == before
    rescreen(store, top_k=TOP_K)
    assert verify(store).equal


def test_verify_needs_a_re_screen_first(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with Store.open(db_url):
        pass
    assert main(["verify", "--db", db_url]) == 2
    assert "run reunite rescreen first" in capsys.readouterr().err
