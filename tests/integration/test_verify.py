"""`reunite verify`: the stored ranking checked against a full screen of the stored records with the
stored fitted model, on SQLite and PostgreSQL; nothing written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from reunite.cli import main
from reunite.errors import ConcurrentRunError
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


def test_verify_during_a_live_run_refuses_instead_of_reporting_differences(
    store: Store, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`reunite verify` run while a `rescreen --full` was under way read the old fitted model and the
    new ranking (or the reverse) and printed "DIFFERS: 9,718 differences", exit 1: a false alarm."""
    _nights(store)
    live = store.begin_run("full", "cfg", "m", 0, {})  # this process holds the lock: alive
    with pytest.raises(ConcurrentRunError, match="a re-screen is under way"):
        verify(store)
    capsys.readouterr()
    assert main(["verify", "--db", db_url]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "verify after it finishes" in err[0]
    store.fail_run(live, RuntimeError("stopped"))  # lock released, the stored ranking as the night left it
    assert verify(store).equal


def test_a_run_that_begins_while_verifying_makes_it_refuse(store: Store,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    _nights(store)
    read_ranking = store.current_topk

    def a_run_commits_first(*args: Any, **kwargs: Any) -> Any:  # as a night that starts mid-verify
        store.finish_run(store.begin_run("incremental", "cfg", "m", 0, {}))
        return read_ranking(*args, **kwargs)

    monkeypatch.setattr(store, "current_topk", a_run_commits_first)
    with pytest.raises(ConcurrentRunError, match="began while the stored ranking was being verified"):
        verify(store)


def test_export_plan_and_report_during_a_live_run_say_it_may_change(
    store: Store, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`reunite export` and `reunite plan` run while a re-screen was under way wrote the stored top-k, exit 0,
    without a word: a sampling team could be sent out on a ranking the run was about to replace."""
    _nights(store)
    outputs = {"export": tmp_path / "r.csv", "plan": tmp_path / "p.csv", "report": tmp_path / "r.html"}

    def run_each() -> dict[str, list[str]]:
        found = {}
        for command, out in outputs.items():
            assert main([command, "--db", db_url, "--out", str(out)]) == 0
            assert out.is_file()
            found[command] = capsys.readouterr().err.strip().splitlines()
        return found

    capsys.readouterr()
    assert run_each() == {"export": [], "plan": [], "report": []}
    live = store.begin_run("full", "cfg", "m", 0, {})  # this process holds the lock: alive
    for command, err in run_each().items():
        assert len(err) == 1, err
        assert err[0].startswith(f"reunite {command}: warning: a re-screen is under way (pid ")
        assert "may change when it commits" in err[0]
    assert main(["plan", "--db", db_url, "--out", str(outputs["plan"]), "--lang", "zh"]) == 0
    assert "警告：一次重新筛查正在进行" in capsys.readouterr().err
    store.fail_run(live, RuntimeError("stopped"))
    assert run_each() == {"export": [], "plan": [], "report": []}
