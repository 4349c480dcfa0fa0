"""Metrics of reunite.evaluate on hand-made rankings whose answers are worked out by hand."""

from __future__ import annotations

import csv
import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from reunite.errors import InputError, MissingColumnsError
from reunite.evaluate import evaluate, top_score_auc

TRUTH = [
    ("c1", "p1", "baby;homophone"),
    ("c2", "p2", "baby"),
    ("c3", "p3", "dialect"),
    ("c4", "", ""),
    ("c5", "", "baby"),
    ("c6", "p6", "unnamed"),  # nobody proposed for c6
]


def _ranked() -> list[tuple[str, int, str, float]]:
    rows = [("c1", 1, "p1", 9.0), ("c1", 2, "x", 1.0)]
    rows += [("c2", r, "p2" if r == 7 else f"d{r}", 8.0 - r) for r in range(1, 9)]  # p2 at rank 7; top 7.0
    rows += [("c3", r, "p3" if r == 12 else f"e{r}", 9.0 - r / 2) for r in range(1, 13)]  # top 8.5
    rows += [("c4", 1, "x", 5.0), ("c4", 2, "y", 4.0)]
    rows += [("c5", 1, "x", 7.0)]  # ties with c2's top score
    return rows


def _write(path: Path, header: tuple[str, ...], rows: list[tuple[object, ...]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture()
def files(tmp_path: Path) -> tuple[Path, Path]:
    truth = _write(tmp_path / "truth.csv", ("case_id", "person_id", "tags"), list(TRUTH))
    ranked = _write(tmp_path / "ranked.csv", ("case_id", "rank", "person_id", "score", "reasons"),
                    [(*r, "name") for r in _ranked()])
    return truth, ranked


def test_metrics_match_hand_computation(files: tuple[Path, Path]) -> None:
    result = evaluate(*files, pairs_compared=30, n_candidates=100)
    # Matched cases c1 (rank 1), c2 (rank 7), c3 (rank 12), c6 (not ranked).
    assert result.n_cases == 6
    assert result.n_with_match == 4
    assert result.n_found == 3
    assert result.recall == {1: 0.25, 5: 0.25, 10: 0.5, 20: 0.75}
    assert result.mrr == pytest.approx((1 + 1 / 7 + 1 / 12 + 0) / 4)
    assert result.mean_rank == pytest.approx((1 + 7 + 12) / 3)
    # Top scores: matched 9, 7, 8.5, -inf; unmatched 5, 7. Wins: 9 beats both (2), 7 beats 5 and ties 7
    # (1.5), 8.5 beats both (2), -inf beats none: 5.5 of 8 pairs.
    assert result.auc == pytest.approx(5.5 / 8)
    assert result.recall10_by_tag == {
        "baby": (1.0, 2), "dialect": (0.0, 1), "homophone": (1.0, 1), "unnamed": (0.0, 1),
    }
    assert result.pairs_compared == 30
    assert result.reduction_ratio == pytest.approx(1 - 30 / (6 * 100))


def test_rows_give_the_same_result_as_files(files: tuple[Path, Path]) -> None:
    truth_rows = [dict(zip(("case_id", "person_id", "tags"), t, strict=True)) for t in TRUTH]
    ranked_rows = [
        {"case_id": c, "rank": str(r), "person_id": p, "score": str(s)} for c, r, p, s in _ranked()
    ]
    assert evaluate(truth_rows, ranked_rows).as_dict() == evaluate(*files).as_dict()


def test_format_and_as_dict(files: tuple[Path, Path]) -> None:
    result = evaluate(*files, pairs_compared=30, n_candidates=100)
    text = result.format()
    assert "recall@10 0.500" in text and "reduction ratio 0.950000" in text and "dialect" in text
    values = result.as_dict()
    assert values["recall@20"] == 0.75
    assert values["recall@10_by_tag"]["baby"] == {"recall@10": 1.0, "n": 2}


def test_auc_equals_pairwise_count_with_ties() -> None:
    rng = np.random.default_rng(4)
    pos = rng.integers(0, 6, size=40).astype(float)
    neg = rng.integers(0, 6, size=30).astype(float)
    pos[:3] = -math.inf
    pairs = [1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg)]
    assert top_score_auc(pos, neg) == pytest.approx(sum(pairs) / len(pairs))
    assert math.isnan(top_score_auc([1.0], []))


def test_bad_input_is_reported_with_context(tmp_path: Path, files: tuple[Path, Path]) -> None:
    truth, _ = files
    unknown = _write(tmp_path / "r1.csv", ("case_id", "rank", "person_id", "score"), [("zz", 1, "p", 1.0)])
    with pytest.raises(InputError, match=r"r1\.csv row 2: case_id 'zz' is not in the truth"):
        evaluate(truth, unknown)
    header = ("case_id", "rank", "person_id", "score")
    bad_rank = _write(tmp_path / "r2.csv", header, [("c1", "first", "p", 1)])
    with pytest.raises(InputError, match="expected an integer rank"):
        evaluate(truth, bad_rank)
    nan_score = _write(tmp_path / "r4.csv", header, [("c1", 1, "p", "nan")])
    with pytest.raises(InputError, match=r"r4\.csv row 2: expected a numeric score, got 'nan'"):
        evaluate(truth, nan_score)
    no_score = _write(tmp_path / "r3.csv", ("case_id", "rank", "person_id"), [("c1", 1, "p")])
    with pytest.raises(MissingColumnsError, match=r"missing column\(s\) score; expected case_id, rank, person_id"):
        evaluate(truth, no_score)
    twice = [{"case_id": "a", "person_id": "", "tags": ""}] * 2
    with pytest.raises(InputError, match="appears twice"):
        evaluate(twice, [])


def test_no_reduction_ratio_without_pool_size(files: tuple[Path, Path]) -> None:
    result = evaluate(*files, pairs_compared=30)
    assert result.reduction_ratio is None
    assert "reduction ratio n/a" in result.format()


def test_the_evaluation_table_in_chinese() -> None:
    from reunite.evaluate import evaluate

    e = evaluate([{"case_id": "a", "person_id": "p", "tags": "baby"}],
                 [{"case_id": "a", "rank": "2", "person_id": "p", "score": "1"}])
    lines = e.format("zh").splitlines()
    assert lines[0] == "案件 1 个（有真实候选人 1 个，排名中找到 1 个）"
    assert lines[2].startswith("MRR 0.500  找到者的平均名次 2.00") and lines[-2].startswith("标签")
    assert e.format().splitlines()[0] == "cases 1 (with a true candidate 1, found in the ranking 1)"
