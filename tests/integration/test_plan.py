"""The sampling plan: one visit per person, settled pairs and closed cases left out, by region."""

from __future__ import annotations

from typing import Any

import pytest

from reunite.errors import ConfigError
from reunite.store import PlanRow, RegionSummary, Store, build_plan, summarize_plan


def person(person_id: str, region: str) -> dict[str, str]:
    return {"person_id": person_id, "name": f"名{person_id}", "sex": "F", "birth_date": "1988",
            "region": region, "id_number": "36030219880503002X"}


def hit(case_id: str, rank: int, person_id: str, probability: float) -> dict[str, Any]:
    return {"case_id": case_id, "rank": rank, "person_id": person_id, "score": 10 * probability,
            "probability": probability}


@pytest.fixture
def planned(store: Store) -> Store:
    store.upsert("cases", [{"case_id": c} for c in ("C1", "C2", "C3")])
    store.upsert("candidates", [
        person("P1", "360302"), person("P2", "110105"), person("P3", "360302"), person("P4", "360321"),
        person("P5", "360302"), person("P6", "360302"), person("P7", ""), person("P8", "110105"),
        person("P9", "江西省萍乡市安源区后埠街"),
    ])
    run = store.begin_run("full", "cfg", "model-1", 1, {})
    store.save_results(run, [
        hit("C1", 1, "P1", 0.9), hit("C1", 2, "P2", 0.6), hit("C1", 3, "P4", 0.3), hit("C1", 4, "P8", 0.2),
        hit("C2", 1, "P3", 0.7), hit("C2", 2, "P1", 0.5), hit("C2", 3, "P7", 0.1), hit("C2", 4, "P9", 0.05),
        hit("C3", 1, "P5", 0.8), hit("C3", 2, "P6", 0.4),
    ], replace_cases=["C1", "C2", "C3"])
    store.finish_run(run)
    store.record_dna("C1", "P2", "excluded", date="2024-01-05")
    store.record_dna("C3", "P6", "confirmed", date="2024-02-01")
    store.mark_profiles_on_file(["P3"], source="provincial database")
    return store


def test_plan_one_row_per_person_settled_pairs_out_sorted_by_region_then_priority(planned: Store) -> None:
    plan = build_plan(planned, top_k=2)
    assert [(r.province, r.county, r.person_id) for r in plan] == [
        ("360000", "360302", "P1"),   # 0.9 before P3's 0.7 in the same county
        ("360000", "360302", "P3"),
        ("360000", "360321", "P4"),   # enters C1's top 2 because P2 is excluded
    ]
    first = plan[0]
    assert [(c.case_id, c.rank, c.probability) for c in first.cases] == [("C1", 1, 0.9), ("C2", 2, 0.5)]
    assert first.priority == 0.9 and first.action == "collect sample"
    assert plan[1].action == "compare in database"
    everyone = {r.person_id for r in build_plan(planned, top_k=10)}
    assert "P2" not in everyone                  # excluded by DNA for its only case
    assert not {"P5", "P6"} & everyone           # C3 is closed by the confirmed outcome
    assert {"P1", "P3", "P4", "P7", "P8", "P9"} == everyone


def test_plan_regions_codes_and_text_and_empty_last(planned: Store) -> None:
    plan = build_plan(planned, top_k=10)
    keys = [(r.province, r.county, r.person_id) for r in plan]
    assert keys[0] == ("110000", "110105", "P8")
    assert keys[-2] == ("江西省", "江西省萍乡市安源区", "P9")
    assert keys[-1] == ("", "", "P7")


def test_excluded_pair_stays_excluded_after_a_later_run_ranks_it_again(planned: Store) -> None:
    run = planned.begin_run("incremental", "cfg", "model-1", 1, {})
    planned.save_results(run, [hit("C1", 1, "P2", 0.99)], replace_cases=[], rescored_person_ids=["P2"])
    planned.finish_run(run)
    assert planned.current_topk(["C1"])[0].person_id == "P2"
    assert "P2" not in {r.person_id for r in build_plan(planned, top_k=10)}


def test_region_summary_counts_persons_cases_and_samples(planned: Store) -> None:
    summary = summarize_plan(build_plan(planned, top_k=10))
    assert summary[:2] == [
        RegionSummary("110000", "110105", persons=1, cases=1, samples_to_collect=1),
        RegionSummary("360000", "360302", persons=2, cases=2, samples_to_collect=1),
    ]
    assert sum(s.persons for s in summary) == 6


def test_plan_rejects_top_k_below_one(planned: Store) -> None:
    with pytest.raises(ConfigError, match="top_k: expected at least 1, got 0"):
        build_plan(planned, top_k=0)


def test_plan_row_is_frozen(planned: Store) -> None:
    row: PlanRow = build_plan(planned, top_k=1)[0]
    with pytest.raises(AttributeError):
        row.action = "collect sample"  # type: ignore[misc]


def test_plan_before_any_re_screen_is_refused_in_one_line(store: Store, db_url: str, tmp_path: Any,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """`reunite plan` on a store no re-screen had run on wrote an empty plan, "0 persons for 0 cases", exit 0
    -- as if nobody was to be visited; export, report and verify already refused."""
    from reunite.cli import main

    store.upsert("cases", [{"case_id": "C1"}])
    out = tmp_path / "plan.csv"
    assert main(["plan", "--db", db_url, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["reunite plan: error: the store holds no re-screen yet: run reunite rescreen first"]
    assert not out.exists()
