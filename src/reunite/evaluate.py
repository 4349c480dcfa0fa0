"""How good a ranking is, against known answers (the synthetic truth or confirmed reunions).

:func:`evaluate` reads a truth table (``case_id, person_id, tags``; empty person_id = no true candidate)
and a ranked table (``case_id, rank, person_id, score, ...``) and reports recall@k, MRR, the mean rank
of found matches, recall@10 by corruption tag, the AUC of the top score for telling cases that have a
match from those that have none, and the reduction ratio of blocking.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from reunite.errors import InputError, MissingColumnsError
from reunite.i18n import RANKED_HEADERS, Language, text
from reunite.ingest._safe import restore_cell
from reunite.ingest.encoding import decode_text
from reunite.ingest.table import fold_id

__all__ = ["KS", "Evaluation", "evaluate", "top_score_auc"]

KS: tuple[int, ...] = (1, 5, 10, 20)
Rows = Iterable[Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Metrics of one ranking. Recall and MRR are over the cases that have a true candidate."""

    n_cases: int
    n_with_match: int
    recall: dict[int, float]              # k -> share of matched cases whose match has rank <= k
    mrr: float                            # mean of 1/rank (0 when the match is not ranked)
    mean_rank: float                      # mean rank of the matches that were ranked (nan if none)
    n_found: int                          # matched cases whose match appears in the ranking at all
    recall10_by_tag: dict[str, tuple[float, int]] = field(default_factory=dict)  # tag -> (recall@10, n)
    auc: float = math.nan                 # top score: matched vs unmatched cases (nan if one side empty)
    pairs_compared: int | None = None
    reduction_ratio: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain values (JSON-ready; recall keys as ``recall@k``).

        Examples
        --------
        >>> e = evaluate([{"case_id": "a", "person_id": "p", "tags": ""}],
        ...              [{"case_id": "a", "rank": "1", "person_id": "p", "score": "2.0"}])
        >>> e.as_dict()["recall@1"]
        1.0
        """
        out: dict[str, Any] = {"n_cases": self.n_cases, "n_with_match": self.n_with_match}
        out.update({f"recall@{k}": v for k, v in sorted(self.recall.items())})
        out.update({
            "mrr": self.mrr, "mean_rank": self.mean_rank, "n_found": self.n_found, "auc": self.auc,
            "recall@10_by_tag": {
                t: {"recall@10": r, "n": n} for t, (r, n) in sorted(self.recall10_by_tag.items())
            },
            "pairs_compared": self.pairs_compared, "reduction_ratio": self.reduction_ratio,
        })
        return out

    def format(self, lang: Language = "en") -> str:
        """A short table for a terminal or a log (in ``lang``).

        Examples
        --------
        >>> e = evaluate([{"case_id": "a", "person_id": "p", "tags": "baby"}],
        ...              [{"case_id": "a", "rank": "2", "person_id": "p", "score": "1"}])
        >>> print(e.format().splitlines()[0])
        cases 1 (with a true candidate 1, found in the ranking 1)
        """
        lines = [
            text(lang, "eval_cases", n=self.n_cases, with_match=self.n_with_match, found=self.n_found),
            "  ".join(f"recall@{k} {v:.3f}" for k, v in sorted(self.recall.items())),
            text(lang, "eval_mrr", mrr=self.mrr, mean_rank=self.mean_rank, auc=self.auc),
        ]
        if self.pairs_compared is not None:
            ratio = "n/a" if self.reduction_ratio is None else f"{self.reduction_ratio:.6f}"
            lines.append(text(lang, "eval_pairs", pairs=self.pairs_compared, ratio=ratio))
        if self.recall10_by_tag:
            width = max(len(t) for t in self.recall10_by_tag)
            lines.append(f"{text(lang, 'eval_tag'):<{width}}  recall@10      n")
            for tag, (value, n) in sorted(self.recall10_by_tag.items()):
                lines.append(f"{tag:<{width}}  {value:9.3f}  {n:5d}")
        return "\n".join(lines)


_ENGLISH = {chinese: english for english, chinese in RANKED_HEADERS["zh"].items()}


def _rows(
    source: str | Path | Rows, required: tuple[str, ...], label: str
) -> tuple[str, list[Mapping[str, Any]]]:
    if isinstance(source, str | Path):
        path = Path(source)
        where = str(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{where}: cannot read it ({exc.strerror or exc})") from None
        text, _ = decode_text(data, source=where)
        if "\x00" in text:
            raise InputError(f"{where} contains NUL characters: expected CSV text, got a binary file")
        reader = csv.DictReader(io.StringIO(text, newline=""))
        try:
            rows: list[Mapping[str, Any]] = list(reader)
        except csv.Error as exc:
            raise InputError(f"{where} line {reader.line_num}: expected CSV, got {exc}") from None
        found = list(reader.fieldnames or [])
        if any(name in _ENGLISH for name in found):  # a RANKED.csv written with --lang zh
            rows = [{_ENGLISH.get(k, k): v for k, v in row.items()} for row in rows]
            found = [_ENGLISH.get(name, name) for name in found]
        # ids that look like formulas were written as '=1+2 for spreadsheets: read back as the ids, and
        # compared as the cases and candidates were read (ＰＡ００１２３ is PA00123)
        rows = [{k: fold_id(restore_cell(v)) if k in ("case_id", "person_id") and isinstance(v, str) else v
                 for k, v in row.items()} for row in rows]
    else:
        rows = list(source)
        found = list(rows[0].keys()) if rows else list(required)
        where = label
    missing = [c for c in required if c not in found]
    if missing:
        raise MissingColumnsError(
            f"{where}: missing column(s) {', '.join(missing)}; expected {', '.join(required)}, found "
            f"{', '.join(repr(name) for name in found) or 'no header'}"
        )
    return where, rows


def top_score_auc(positive: npt.ArrayLike, negative: npt.ArrayLike) -> float:
    """Probability that a random positive outscores a random negative, ties counted half (Mann-Whitney U).

    Examples
    --------
    >>> top_score_auc([3.0, 2.0], [2.0, 1.0])  # pairs: 3>2, 3>1, 2=2 (half), 2>1
    0.875
    """
    pos = np.asarray(positive, dtype=np.float64)
    neg = np.asarray(negative, dtype=np.float64)
    if pos.size == 0 or neg.size == 0:
        return math.nan
    both = np.concatenate([pos, neg])
    # -inf (no candidate proposed) ranks lowest; finite stand-in keeps the rank arithmetic exact.
    finite = both[np.isfinite(both)]
    floor = (finite.min() - 1.0) if finite.size else 0.0
    both = np.where(np.isneginf(both), floor, both)
    _, inverse, counts = np.unique(both, return_inverse=True, return_counts=True)
    upper = np.cumsum(counts)
    average_rank = upper - (counts - 1) / 2.0  # 1-based average rank of each distinct value
    ranks = average_rank[inverse]
    u_stat = ranks[: pos.size].sum() - pos.size * (pos.size + 1) / 2.0
    return float(u_stat / (pos.size * neg.size))


def evaluate(
    truth: str | Path | Rows,
    ranked: str | Path | Rows,
    *,
    pairs_compared: int | None = None,
    n_candidates: int | None = None,
) -> Evaluation:
    """Score a ranking against known answers.

    Parameters
    ----------
    truth
        Path of truth.csv or rows with ``case_id, person_id, tags`` (empty person_id: no true candidate;
        tags ``;``-separated, may be absent).
    ranked
        Path of the ranked CSV or rows with ``case_id, rank, person_id, score``; rank 1 is best. Cases
        missing from it proposed nobody (their top score counts as lowest).
    pairs_compared
        Pairs the matcher compared, for the reduction ratio.
    n_candidates
        Size of the candidate pool, for the reduction ratio ``1 - pairs / (n_cases * n_candidates)``.

    Returns
    -------
    Evaluation

    Raises
    ------
    MissingColumnsError
        A required column is absent.
    InputError
        A rank or score is not a number, a case id repeats in the truth, or the ranking names a case
        that the truth does not have.

    Examples
    --------
    >>> truth = [{"case_id": "a", "person_id": "p1", "tags": "baby"},
    ...          {"case_id": "b", "person_id": "", "tags": ""}]
    >>> ranked = [{"case_id": "a", "rank": "1", "person_id": "p9", "score": "5"},
    ...           {"case_id": "a", "rank": "2", "person_id": "p1", "score": "4"},
    ...           {"case_id": "b", "rank": "1", "person_id": "p3", "score": "1"}]
    >>> e = evaluate(truth, ranked, pairs_compared=10, n_candidates=100)
    >>> e.recall[1], e.recall[5], e.mrr, e.auc, e.reduction_ratio
    (0.0, 1.0, 0.5, 1.0, 0.95)
    """
    truth_name, truth_rows = _rows(truth, ("case_id", "person_id"), "truth")
    ranked_name, ranked_rows = _rows(ranked, ("case_id", "rank", "person_id", "score"), "ranked")

    answer: dict[str, str] = {}
    tags: dict[str, list[str]] = {}
    for line, row in enumerate(truth_rows, start=2):
        case_id = str(row["case_id"]).strip()
        if case_id in answer:
            raise InputError(
                f"{truth_name} row {line}: case_id {case_id!r} appears twice; expected one row per case"
            )
        answer[case_id] = str(row.get("person_id") or "").strip()
        tags[case_id] = [t for t in str(row.get("tags") or "").split(";") if t.strip()]

    found_rank: dict[str, int] = {}
    top: dict[str, float] = {}
    for line, row in enumerate(ranked_rows, start=2):
        case_id = str(row["case_id"]).strip()
        if case_id not in answer:
            raise InputError(f"{ranked_name} row {line}: case_id {case_id!r} is not in the truth")
        try:
            rank = int(str(row["rank"]).strip())
            score = float(str(row["score"]).strip())
        except ValueError as err:
            raise InputError(
                f"{ranked_name} row {line}: expected an integer rank and a numeric score, "
                f"got rank {row['rank']!r}, score {row['score']!r}"
            ) from err
        if rank < 1:
            raise InputError(f"{ranked_name} row {line}: expected rank >= 1, got {rank}")
        if math.isnan(score):  # a nan would make every comparison false: the AUC from whatever order it met
            raise InputError(f"{ranked_name} row {line}: expected a numeric score, got {row['score']!r}")
        top[case_id] = max(top.get(case_id, -math.inf), score)
        if answer[case_id] and str(row["person_id"]).strip() == answer[case_id]:
            found_rank[case_id] = min(found_rank.get(case_id, rank), rank)

    matched = [c for c, p in answer.items() if p]
    ranks = np.array([found_rank.get(c, 0) for c in matched], dtype=np.int64)  # 0: not ranked
    found = ranks > 0
    n_match = len(matched)
    recall = {k: float(np.mean(found & (ranks <= k))) if n_match else math.nan for k in KS}
    mrr = float(np.mean(np.where(found, 1.0 / np.maximum(ranks, 1), 0.0))) if n_match else math.nan
    mean_rank = float(ranks[found].mean()) if found.any() else math.nan

    by_tag: dict[str, list[bool]] = {}
    for case_id, hit in zip(matched, (found & (ranks <= 10)).tolist(), strict=True):
        for tag in tags[case_id]:
            by_tag.setdefault(tag, []).append(bool(hit))
    recall10_by_tag = {t: (float(np.mean(h)), len(h)) for t, h in sorted(by_tag.items())}

    positive = [top.get(c, -math.inf) for c in matched]
    negative = [top.get(c, -math.inf) for c, p in answer.items() if not p]
    reduction = None
    if pairs_compared is not None and n_candidates is not None and answer and n_candidates > 0:
        reduction = 1.0 - pairs_compared / (len(answer) * n_candidates)
    return Evaluation(
        n_cases=len(answer), n_with_match=n_match, recall=recall, mrr=mrr, mean_rank=mean_rank,
        n_found=int(found.sum()), recall10_by_tag=recall10_by_tag, auc=top_score_auc(positive, negative),
        pairs_compared=pairs_compared, reduction_ratio=reduction,
    )
