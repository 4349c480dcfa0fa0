"""screen() end to end on generated data without corruption: every true child is ranked first.

Also: explain() agrees with the ranked rows, exclude= removes a pair and nothing else, DataFrame and
file inputs rank alike, and neither chunking nor threads change the result.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reunite.matching.spec import LEVEL_LABELS, BlockingSpec
from reunite.pipeline import ScreenResult, screen
from reunite.synth import TAG_RATES, SynthConfig, SynthData, generate, write

TOP_K = 5


@pytest.fixture(scope="module")
def clean() -> SynthData:
    # every corruption of a true pair off; decoys (near twins, population) and no-match cases stay
    return generate(60, 1500, seed=3, config=SynthConfig(**dict.fromkeys(TAG_RATES.values(), 0.0)))


@pytest.fixture(scope="module")
def frames(clean: SynthData) -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.DataFrame(clean.cases), pd.DataFrame(clean.candidates)


@pytest.fixture(scope="module")
def result(frames: tuple[pd.DataFrame, pd.DataFrame]) -> ScreenResult:
    return screen(*frames, top_k=TOP_K)


def _truth(data: SynthData) -> dict[str, str]:
    return {c: p for c, p in zip(data.truth["case_id"], data.truth["person_id"], strict=True) if p}


def _firsts(result: ScreenResult) -> dict[str, str]:
    ranked = result.to_pandas()
    return dict(ranked.loc[ranked["rank"] == 1, ["case_id", "person_id"]].itertuples(index=False))


def test_every_true_pair_is_ranked_first(clean: SynthData, result: ScreenResult) -> None:
    truth = _truth(clean)
    assert len(truth) == 51  # 60 cases, 15 % without a true candidate
    firsts = _firsts(result)
    assert {case: firsts.get(case) for case in truth} == truth


def test_every_true_pair_is_ranked_first_with_the_shipped_u(
    clean: SynthData, frames: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    firsts = _firsts(screen(*frames, top_k=1, fit_to_data=False))
    assert {case: firsts.get(case) for case in _truth(clean)} == _truth(clean)


def test_ranked_rows_are_well_formed(result: ScreenResult) -> None:
    ranked = result.to_pandas()
    for _, rows in ranked.groupby("case_id", sort=False):
        assert rows["rank"].tolist() == list(range(1, len(rows) + 1))
        assert len(rows) <= TOP_K and rows["person_id"].is_unique
        assert (np.diff(rows["score"].to_numpy()) <= 0).all()
        assert rows["probability"].sum() <= rows["case_probability"].iloc[0] + 1e-9 <= 1.0 + 1e-9
        assert (rows["pairs_compared"] >= len(rows)).all()


def test_explain_agrees_with_the_ranked_rows(result: ScreenResult) -> None:
    ranked = result.to_pandas()
    for row in ranked.head(40).itertuples(index=False):
        explanation = result.explain(str(row.case_id), str(row.person_id))
        score = float(str(row.score))
        assert explanation.score == pytest.approx(score, abs=1e-4)
        assert sum(w for _, _, w in explanation.fields) == pytest.approx(score, abs=1e-4)
        assert [name for name, _, _ in explanation.fields] == list(result.model.spec.comparisons)
        for name, label, weight in explanation.fields:
            if label == "missing":
                assert weight == 0.0
            else:
                assert label in LEVEL_LABELS[name]  # type: ignore[index]
                assert label in str(row.reasons)
        assert str(row.case_id) in str(explanation)


def test_exclude_removes_exactly_that_pair(
    clean: SynthData, frames: tuple[pd.DataFrame, pd.DataFrame], result: ScreenResult
) -> None:
    # with m held (em=False): by default the excluded pair also leaves the fit of m, and other cases'
    # scores may then move a little
    case_id, person_id = next(iter(_truth(clean).items()))
    base = screen(*frames, top_k=TOP_K, em=False)
    again = screen(*frames, top_k=TOP_K + 1, exclude=[(case_id, person_id), ("no such case", "P0000001")],
                   em=False)
    before, after = base.to_pandas(), again.to_pandas()
    mine = after[after["case_id"] == case_id]
    assert person_id not in mine["person_id"].tolist()
    expected = before.loc[before["case_id"] == case_id, "person_id"].tolist()
    expected.remove(person_id)
    assert mine["person_id"].tolist()[:len(expected)] == expected
    others_before = before[before["case_id"] != case_id][["case_id", "person_id", "rank"]]
    others_after = after[(after["case_id"] != case_id) & (after["rank"] <= TOP_K)][["case_id", "person_id", "rank"]]
    assert others_after.reset_index(drop=True).equals(others_before.reset_index(drop=True))


def test_dataframes_and_files_give_the_same_ranking(
    clean: SynthData, result: ScreenResult, tmp_path: Path
) -> None:
    paths = write(clean, tmp_path)
    from_files = screen(paths.cases, paths.candidates, top_k=TOP_K)
    columns = ["case_id", "rank", "person_id", "score", "probability", "reasons"]
    pd.testing.assert_frame_equal(from_files.to_pandas()[columns], result.to_pandas()[columns])
    out = from_files.to_csv(tmp_path / "ranked.csv")
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["case_id"], int(r["rank"]), r["person_id"]) for r in rows] == list(
        result.to_pandas()[["case_id", "rank", "person_id"]].itertuples(index=False, name=None)
    )


def test_chunks_and_threads_do_not_change_the_result(
    frames: tuple[pd.DataFrame, pd.DataFrame], result: ScreenResult
) -> None:
    small_chunks = screen(*frames, top_k=TOP_K, blocking=BlockingSpec(chunk_pairs=50), workers=3)
    one_thread = screen(*frames, top_k=TOP_K, workers=1)
    for other in (small_chunks, one_thread):
        pd.testing.assert_frame_equal(other.to_pandas(), result.to_pandas())
    assert small_chunks.pairs_compared == result.pairs_compared
