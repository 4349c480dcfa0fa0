"""The nightly re-screen: incremental equals full with the same fitted model, DNA exclusions and closed
cases respected, nothing new means nothing done, a killed run leaves the database as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from reunite.errors import ConcurrentRunError
from reunite.matching.model import FellegiSunter, default_model
from reunite.matching.spec import BlockingSpec
from reunite.pipeline import screen
from reunite.rescreen import config_hash, rescreen
from reunite.store import Store
from reunite.synth import generate

TOP_K = 10


def frames(n_cases: int, n_candidates: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    data = generate(n_cases, n_candidates, seed=seed)
    return pd.DataFrame(data.cases), pd.DataFrame(data.candidates)


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.DataFrame]:
    return frames(60, 3000, seed=11)


def changed(cases: pd.DataFrame, candidates: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Day B: 3% of candidates edited (names, birth dates), the rest of the pool new; 3 cases edited."""
    cases, candidates = cases.copy(), candidates.copy()
    rng = np.random.default_rng(5)
    edited = rng.choice(2700, 90, replace=False)
    candidates.loc[edited[:60], "name"] = candidates.loc[edited[:60], "name"].str[::-1]
    candidates.loc[edited[60:], "birth_date"] = "1990"
    cases.loc[[1, 2], "name"] = "王芳"
    cases.loc[3, "birth_date"] = "1985"
    return cases, candidates


def topk(store: Store) -> list[tuple[str, int, str, float]]:
    """Ranks 1..TOP_K of every case (the store keeps 2 * TOP_K: the rest is a reserve)."""
    return [(r.case_id, r.rank, r.person_id, r.score) for r in store.current_topk() if r.rank <= TOP_K]


def test_incremental_gives_the_full_top_k_of_the_same_fitted_model(
    store: Store, data: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    cases, candidates = data
    first = rescreen(store, cases=cases.iloc[:50], candidates=candidates.iloc[:2700], top_k=TOP_K, seed=3)
    assert (first.kind, first.reason) == ("full", "no fitted model yet")
    stored = store.fitted_model()
    assert stored is not None and stored.version == first.model_version != default_model().version
    cases_b, candidates_b = changed(cases, candidates)

    second = rescreen(store, cases=cases_b, candidates=candidates_b, top_k=TOP_K, seed=3)
    assert second.kind == "incremental"
    assert (second.new_cases, second.changed_cases, second.new_candidates, second.changed_candidates) == (
        10, 3, 300, 90)
    assert second.cases_screened_delta > 30  # most cases only met the 390 new and changed candidates
    assert second.model_version == first.model_version
    incremental = topk(store)
    assert len(incremental) > 50 * TOP_K
    bounds = store.case_bounds()
    assert len(bounds) > 40  # cases whose window holds more than 2 * TOP_K candidates
    for case_id, (score, _) in bounds.items():  # every stored row of the first TOP_K ranks above it
        assert all(r.score >= score for r in store.current_topk([case_id]) if r.rank <= TOP_K)

    # A full run with the stored fitted model, in the same store, changes no row ...
    again = rescreen(store, top_k=TOP_K, full=True, refit=False)
    assert (again.kind, again.cases_screened_all) == ("full", 60)
    assert topk(store) == incremental
    # ... and neither does screening everything directly with that model.
    model = FellegiSunter.from_dict(stored.model)
    direct = screen(cases_b, candidates_b, top_k=TOP_K, model=model, fit_to_data=False).to_pandas()
    assert [(c, r, p, float(s)) for c, r, p, s in direct[["case_id", "rank", "person_id", "score"]]
            .itertuples(index=False, name=None)] == incremental


def ranked(store: Store) -> list[tuple[str, int, str, float, float]]:
    """Ranks 1..TOP_K of every case with their probabilities."""
    return [(r.case_id, r.rank, r.person_id, r.score, r.probability) for r in store.current_topk()
            if r.rank <= TOP_K]


def assert_same_ranking(got: list[tuple[str, int, str, float, float]],
                        want: list[tuple[str, int, str, float, float]]) -> None:
    """Same cases, ranks, persons and scores; probabilities within 1e-9."""
    assert [r[:4] for r in got] == [r[:4] for r in want]
    worst = max((abs(a[4] - b[4]) for a, b in zip(got, want, strict=True)), default=0.0)
    assert worst <= 1e-9, worst


def test_incremental_probabilities_equal_a_full_run_of_the_same_fitted_model(
    store: Store, data: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    """Issue 10: after a merge, probabilities summed to 2 and a 3-bit candidate showed p = 0.89. A
    case's probabilities depend on all its compared candidates; the merge must keep them exact."""
    cases, candidates = data
    rescreen(store, cases=cases.iloc[:50], candidates=candidates.iloc[:2700], top_k=TOP_K, seed=3)
    cases_b, candidates_b = changed(cases, candidates)
    assert rescreen(store, cases=cases_b, candidates=candidates_b, top_k=TOP_K).kind == "incremental"
    incremental = ranked(store)
    sums: dict[str, float] = {}
    for case_id, _, _, _, probability in incremental:
        sums[case_id] = sums.get(case_id, 0.0) + probability
    assert max(sums.values()) <= 1.0 + 1e-12
    rescreen(store, top_k=TOP_K, full=True, refit=False)
    assert_same_ranking(incremental, ranked(store))
    stored = store.fitted_model()
    assert stored is not None
    direct = screen(cases_b, candidates_b, top_k=TOP_K, model=FellegiSunter.from_dict(stored.model),
                    fit_to_data=False).to_pandas()
    assert_same_ranking(incremental, [
        (c, r, p, float(s), float(q)) for c, r, p, s, q in direct[
            ["case_id", "rank", "person_id", "score", "probability"]].itertuples(index=False, name=None)])


def test_nothing_new_does_nothing_and_records_no_run(
    store: Store, data: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    cases, candidates = data
    first = rescreen(store, cases=cases, candidates=candidates, top_k=TOP_K)
    before = topk(store)
    again = rescreen(store, cases=cases, candidates=candidates, top_k=TOP_K)
    assert (again.kind, again.run_id, again.pairs_compared) == ("nothing", None, 0)
    assert again.summary().startswith("nothing to do: 0 new and 0 changed cases")
    assert topk(store) == before
    assert store.last_model_version() == first.model_version
    assert [e["run_id"] for e in store.audit_log() if e["action"] == "begin_run"] == [first.run_id]


def test_run_records_config_model_package_seed_and_counts(
    store: Store, data: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    cases, candidates = data
    path = tmp_path / "candidates.csv"
    candidates.to_csv(path, index=False)
    report = rescreen(store, cases=cases, candidates=path, top_k=TOP_K, seed=9)
    assert report.run_id is not None
    run = store.run_info(report.run_id)
    assert run["status"] == "succeeded" and run["kind"] == "full" and run["seed"] == 9
    assert run["config_hash"] == config_hash(TOP_K, BlockingSpec(), default_model().version)
    assert run["model_version"] == report.model_version and run["package_version"] == "0.1.0"
    counts = run["input_counts"]
    assert counts["candidates"]["new"] == 3000 and counts["cases"]["accepted"] == 60
    assert len(counts["candidates"]["sha256"]) == 64
    actions = [e["action"] for e in store.audit_log(report.run_id)]
    assert actions == ["begin_run", "succeeded run"]


def test_excluded_pairs_are_never_proposed_and_closed_cases_not_screened(
    store: Store, data: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    cases, candidates = data
    rescreen(store, cases=cases, candidates=candidates.iloc[:2700], top_k=TOP_K)
    first = {r.case_id: r for r in store.current_topk() if r.rank == 1}
    excluded_case, closed_case = sorted(first)[:2]
    excluded_person = first[excluded_case].person_id
    store.record_dna(excluded_case, excluded_person, "excluded")
    store.record_dna(closed_case, first[closed_case].person_id, "confirmed")
    closed_before = store.current_topk([closed_case])

    report = rescreen(store, top_k=TOP_K)  # no new rows: the exclusion alone is work to do
    assert report.kind == "incremental" and report.cases_screened_all == 1
    rows = [r for r in store.current_topk([excluded_case]) if r.rank <= TOP_K]
    assert excluded_person not in {r.person_id for r in rows} and len(rows) == TOP_K
    assert [r.rank for r in rows] == list(range(1, TOP_K + 1))
    # new candidates arrive: the closed case is left alone, the excluded pair stays out
    report = rescreen(store, candidates=candidates, top_k=TOP_K)
    assert report.kind == "incremental"
    assert (excluded_case, excluded_person) not in {(r.case_id, r.person_id) for r in store.current_topk()}
    assert store.current_topk([closed_case]) == closed_before
    merged = [r for r in topk(store) if r[0] != closed_case]
    rescreen(store, top_k=TOP_K, full=True, refit=False)
    assert [r for r in topk(store) if r[0] != closed_case] == merged


def test_changed_base_model_or_top_k_forces_a_full_run(
    store: Store, data: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    cases, candidates = data
    rescreen(store, cases=cases, candidates=candidates, top_k=TOP_K)
    body: dict[str, Any] = default_model().to_dict()
    shifted = [v * (1.5 if i == 0 else 1.0) for i, v in enumerate(body["m"]["birth"])]
    body["m"]["birth"] = [v / sum(shifted) for v in shifted]
    other = FellegiSunter.from_dict(body)
    report = rescreen(store, top_k=TOP_K, model=other)
    assert report.kind == "full" and report.reason.startswith("base model changed")
    stored = store.fitted_model()
    assert stored is not None and stored.base_version == other.version
    report = rescreen(store, top_k=TOP_K + 1, model=other)
    assert (report.kind, report.reason) == ("full", "top-k or blocking changed since the model was fitted")
    assert max(r.rank for r in store.current_topk()) == 2 * (TOP_K + 1)
    assert rescreen(store, top_k=TOP_K + 1, model=other).kind == "nothing"


def test_quarantined_rows_are_reported_and_never_stored(store: Store) -> None:
    cases = pd.DataFrame({"case_id": ["C1", "C2"], "sex": ["F", "3"], "birth_date": ["1988", "1990"]})
    people = pd.DataFrame({"person_id": ["P1", "P1"], "sex": ["F", "F"], "birth_date": ["1988", "1989"]})
    report = rescreen(store, cases=cases, candidates=people, top_k=3)
    assert [(r.accepted, r.quarantined) for r in report.ingest] == [(1, 1), (1, 1)]
    assert [r["case_id"] for r in store.read_rows("cases")] == ["C1"]
    assert [r["birth_date"] for r in store.read_rows("candidates")] == ["1988"]


def test_second_run_at_once_is_refused(store: Store, data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    cases, candidates = data
    holder = store.begin_run("incremental", "cfg", "m", 0, {})
    with pytest.raises(ConcurrentRunError, match=f"pid {os.getpid()}"):
        rescreen(store, cases=cases, candidates=candidates, top_k=TOP_K)
    assert store.read_rows("cases") == []
    store.finish_run(holder)
    assert rescreen(store, cases=cases, candidates=candidates, top_k=TOP_K).kind == "full"


def test_run_killed_half_way_leaves_the_database_as_it_was(
    db_url: str, data: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    cases, candidates = data
    with Store.open(db_url) as store:
        rescreen(store, cases=cases, candidates=candidates.iloc[:2000], top_k=TOP_K)
        before = (topk(store), store.read_rows("cases"), store.read_rows("candidates"))
    big_cases, big_candidates = frames(60, 12_000, seed=12)
    big_cases.to_csv(tmp_path / "cases.csv", index=False)
    big_candidates.to_csv(tmp_path / "candidates.csv", index=False)
    command = [sys.executable, "-m", "reunite.cli", "rescreen", "--db", db_url, "--cases",
               str(tmp_path / "cases.csv"), "--candidates", str(tmp_path / "candidates.csv"),
               "--top-k", str(TOP_K), "--full"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as process:
        assert process.stdout is not None
        for line in process.stdout:
            if "started" in line:
                break
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    with Store.open(db_url) as store:
        holder = store.lock_holder()
        assert holder is not None and holder.pid == process.pid
        assert holder.run_id is not None and store.run_info(holder.run_id)["status"] == "running"
        assert (topk(store), store.read_rows("cases"), store.read_rows("candidates")) == before
        killed = holder.run_id
        report = rescreen(store, cases=big_cases, candidates=big_candidates, top_k=TOP_K)
        assert report.kind == "incremental" and report.run_id is not None and report.run_id > killed
        assert store.run_info(killed)["status"] == "failed"
        assert "abandoned" in store.run_info(killed)["error"]
        assert store.lock_holder() is None
        assert len(store.read_rows("candidates")) > 2000


def test_case_losing_its_reserve_is_screened_against_every_candidate(
    store: Store, data: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    cases, candidates = data
    rescreen(store, cases=cases, candidates=candidates, top_k=3)
    case_id = store.current_topk()[0].case_id
    gone = [r.person_id for r in store.current_topk([case_id])][:5]  # 5 of its 6 stored rows
    edited = candidates.copy()
    flip = edited["person_id"].isin(gone)
    edited.loc[flip, "sex"] = edited.loc[flip, "sex"].map({"M": "F", "F": "M", "男": "女", "女": "男"})
    report = rescreen(store, candidates=edited, top_k=3)
    assert report.kind == "incremental" and report.changed_candidates == 5
    assert report.cases_screened_all >= 1  # too few rows above its bound were left
    assert not set(gone) & {r.person_id for r in store.current_topk([case_id])}
    merged = [(r.case_id, r.rank, r.person_id, r.score) for r in store.current_topk() if r.rank <= 3]
    rescreen(store, top_k=3, full=True, refit=False)
    assert [(r.case_id, r.rank, r.person_id, r.score) for r in store.current_topk() if r.rank <= 3] == merged


def test_export_of_the_stored_top_k_equals_screens_csv(
    db_url: str, data: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 10: ``reunite export`` writes the stored top-k as RANKED.csv, byte for byte what
    ``screen`` writes with the same fitted model -- after a full run and after an incremental one."""
    from reunite.cli import main

    cases, candidates = data
    cases_b, candidates_b = changed(cases, candidates)
    with Store.open(db_url) as store:
        rescreen(store, cases=cases.iloc[:50], candidates=candidates.iloc[:2700], top_k=TOP_K)
        stored = store.fitted_model()
    assert stored is not None
    model = FellegiSunter.from_dict(stored.model)
    for day, (day_cases, day_candidates) in enumerate([(cases.iloc[:50], candidates.iloc[:2700]),
                                                      (cases_b, candidates_b)]):
        if day:
            assert rescreen(db_url, cases=day_cases, candidates=day_candidates, top_k=TOP_K).kind == "incremental"
        for reveal in ([], ["--reveal-ids"]):
            out, want = tmp_path / f"export{day}{len(reveal)}.csv", tmp_path / f"screen{day}{len(reveal)}.csv"
            assert main(["export", "--db", db_url, "--out", str(out), *reveal]) == 0
            assert f"rows of the stored top-k: {out}" in capsys.readouterr().out
            screen(day_cases, day_candidates, top_k=TOP_K, model=model, fit_to_data=False).to_csv(
                want, reveal_ids=bool(reveal))
            assert out.read_bytes() == want.read_bytes()


def test_nothing_to_do_after_a_killed_run_still_clears_its_lock_and_running_row(
    db_url: str, data: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    """Issue 10: a night with nothing to do left a killed run's lock and "running" row in place."""
    cases, candidates = data
    rescreen(db_url, cases=cases, candidates=candidates.iloc[:500], top_k=TOP_K)
    # a process that takes the lock, records its run, and dies without finishing
    code = ("import os, sys; from reunite.store import Store; s = Store.open(sys.argv[1]); "
            "print(s.begin_run('incremental', 'cfg', 'm', 0, {}), flush=True); os._exit(0)")
    dead = subprocess.run([sys.executable, "-c", code, db_url], capture_output=True, text=True, check=True)
    killed = int(dead.stdout.strip())
    with Store.open(db_url) as store:
        assert store.lock_holder() is not None and store.run_info(killed)["status"] == "running"
        report = rescreen(store, cases=cases, candidates=candidates.iloc[:500], top_k=TOP_K)
        assert report.kind == "nothing"
        assert store.lock_holder() is None
        assert store.run_info(killed)["status"] == "failed" and "abandoned" in store.run_info(killed)["error"]


def test_nothing_to_do_during_a_live_run_does_not_call_the_stored_top_k_current(
    store: Store, data: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    """Issue 10: while a --full run was under way, a plain rescreen said "the stored top-k is
    current" -- a top-k that run was about to replace."""
    cases, candidates = data
    rescreen(store, cases=cases, candidates=candidates.iloc[:500], top_k=TOP_K)
    live = store.begin_run("full", "cfg", "m", 0, {})  # this process: alive
    with pytest.raises(ConcurrentRunError, match="another run holds the run lock"):
        rescreen(store, cases=cases, candidates=candidates.iloc[:500], top_k=TOP_K)
    store.finish_run(live)
    assert rescreen(store, cases=cases, candidates=candidates.iloc[:500], top_k=TOP_K).kind == "nothing"


def test_first_run_with_candidates_only_screens_nothing_and_later_cases_get_a_full_run(store: Store) -> None:
    """Found by the CLI fuzz test: a first (full) run with no case to screen fits no model."""
    people = pd.DataFrame({"person_id": ["p1"], "name": ["李小红"], "sex": ["F"], "birth_date": ["1988-05-20"]})
    cases = pd.DataFrame({"case_id": ["c1"], "name": ["王小红"], "sex": ["女"], "birth_date": ["1988年5月"]})
    first = rescreen(store, candidates=people, top_k=2)
    assert (first.kind, first.pairs_compared, store.fitted_model()) == ("full", 0, None)
    assert rescreen(store, cases=cases, top_k=2).kind == "full"
    assert [(r.case_id, r.person_id) for r in store.current_topk()] == [("c1", "p1")]


def test_a_delta_screen_gives_the_same_pairs_pruned_or_scored_in_full(
    data: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    """A night's delta side below rescreen.pairs.DELTA_PRUNE_FROM candidates is scored without pruning, a
    larger one pruned: the kept rows, their scores and reasons and each case's totals (pairs compared,
    the rest of its Bayes factors) must not depend on which."""
    from reunite.rescreen.pairs import DELTA_PRUNE_FROM, screen_pairs

    cases, candidates = data
    night = candidates.iloc[2700:]
    assert len(night) < DELTA_PRUNE_FROM
    model = default_model()
    for keep in (4, 2 * TOP_K):
        pruned, scored = (screen_pairs(cases, night, model, BlockingSpec(), set(), keep, prune=prune)
                          for prune in (True, False))
        assert pruned is not None and scored is not None
        assert pruned.by_case == scored.by_case
        assert pruned.totals() == scored.totals()
        assert pruned.reasons(pruned.at.keys()) == scored.reasons(scored.at.keys())
        assert pruned.result.pairs_scored < scored.result.pairs_scored  # the two paths were taken


def test_a_night_that_puts_many_candidates_above_a_cases_bound_merges_as_one_full_run(
    store: Store, data: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    """A delta screen first keeps a few rows per case (rescreen.pairs.FIRST_LOOK); a case whose night puts
    more of its pairs than that at or above its bound -- new candidates as strong as its best, and
    several of its stored best candidates changed at once -- must be looked at again with its best
    2 * top_k, or the merge would sum strong pairs into the rest instead of ranking them."""
    from reunite.rescreen.pairs import FIRST_LOOK

    cases, candidates = data
    rescreen(store, cases=cases.iloc[:20], candidates=candidates.iloc[:2700], top_k=TOP_K)
    bounds = store.case_bounds()
    case_id = next(c for c in sorted(bounds) if sum(r.case_id == c for r in store.current_topk()) == 2 * TOP_K)
    best = [r.person_id for r in store.current_topk([case_id])][:2 * FIRST_LOOK]
    rows = candidates.set_index("person_id")
    twins = rows.loc[best[:FIRST_LOOK + 2]].reset_index()  # as strong as the case's best: above its bound
    twins["person_id"] = [f"TWIN{i}" for i in range(len(twins))]
    night = candidates.iloc[:2700].copy()
    edited = night["person_id"].isin(best[FIRST_LOOK - 2:])  # FIRST_LOOK + 2 stored rows change at once
    night.loc[edited, "registration_date"] = "2003-06-01"
    report = rescreen(store, cases=cases.iloc[:20], candidates=pd.concat([night, twins], ignore_index=True),
                      top_k=TOP_K)
    assert (report.kind, report.new_candidates, report.changed_candidates) == (
        "incremental", FIRST_LOOK + 2, FIRST_LOOK + 2)
    assert report.cases_screened_all == 0  # every case merged
    incremental = ranked(store)
    stored = {r.person_id for r in store.current_topk([case_id])}
    assert stored >= {f"TWIN{i}" for i in range(FIRST_LOOK + 2)}
    rescreen(store, top_k=TOP_K, full=True, refit=False)
    assert_same_ranking(incremental, ranked(store))


def test_a_night_from_files_loads_neither_pandas_nor_pyarrow_nor_tqdm_nor_pruning(
        tmp_path: Path, data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """Issue 10: a night's process is mostly start-up; its small delta is read, normalized and screened
    without pandas and pyarrow (0.4-0.5 s of CPU to load) and without a progress bar, and its results
    are those of the run that loads them (the other tests of this file). Its delta screens neither
    prune nor fit m: the modules that do (``matching.prune``, ``cells``, ``learn``) are not loaded."""
    cases, candidates = data
    day_a, delta = tmp_path / "candidates.csv", tmp_path / "delta.csv"
    cases.to_csv(tmp_path / "cases.csv", index=False)
    candidates.iloc[:2700].to_csv(day_a, index=False)
    _, day_b = changed(cases, candidates)
    day_b.iloc[2600:].to_csv(delta, index=False)  # 100 stored rows sent again (some edited), 300 new
    url = f"sqlite:///{tmp_path / 'night.db'}"
    common = ["--cases", str(tmp_path / "cases.csv"), "--db", url, "--top-k", str(TOP_K)]
    code = ("import sys\n"
            "from reunite.cli import main\n"
            "assert main(sys.argv[1:]) == 0\n"
            "print(sorted({'pandas', 'pyarrow', 'tqdm', 'reunite.matching.prune', 'reunite.matching.cells',"
            "              'reunite.matching.learn'} & set(sys.modules)))")
    full = subprocess.run([sys.executable, "-c", code, "rescreen", "--candidates", str(day_a), *common],
                          capture_output=True, text=True, check=True)
    assert "full re-screen" in full.stdout
    night = subprocess.run([sys.executable, "-c", code, "rescreen", "--candidates", str(delta), *common],
                           capture_output=True, text=True, check=True)
    assert "incremental re-screen" in night.stdout and "300 new and" in night.stdout
    assert night.stdout.rstrip().splitlines()[-1] == "[]"


def test_a_night_reads_screens_and_writes_with_the_cycle_collector_paused(
    store: Store, data: tuple[pd.DataFrame, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 10: an incremental run's objects all live until it ends; the collector walking them again
    was 0.17-0.19 s of a 2,000 x 400,000 night's 2.2 s of CPU. It is paused while a run looks at the
    store and its input and while a night screens, merges and writes; a full run's screen has it, and
    it runs again after either."""
    import gc
    import importlib

    module = importlib.import_module("reunite.rescreen")  # (the package's rescreen is the function)

    seen: list[tuple[str, bool]] = []
    execute, look_at = module.execute, module.look_at

    def execute_seen(*args: Any, **kwargs: Any) -> Any:
        seen.append(("execute", gc.isenabled()))
        return execute(*args, **kwargs)

    def look_at_seen(*args: Any, **kwargs: Any) -> Any:
        seen.append(("look_at", gc.isenabled()))
        return look_at(*args, **kwargs)

    monkeypatch.setattr(module, "execute", execute_seen)
    monkeypatch.setattr(module, "look_at", look_at_seen)
    cases, candidates = data
    assert gc.isenabled()
    assert rescreen(store, cases=cases.iloc[:50], candidates=candidates.iloc[:2700], top_k=TOP_K).kind == "full"
    assert seen == [("look_at", False), ("execute", True)] and gc.isenabled()
    seen.clear()
    night = rescreen(store, cases=cases.iloc[:50], candidates=candidates.iloc[2700:2800], top_k=TOP_K)
    assert night.kind == "incremental" and night.new_candidates == 100
    assert seen == [("look_at", False), ("execute", False)] and gc.isenabled()
