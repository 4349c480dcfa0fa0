"""Synthetic cold cases with known answers: :func:`generate` and :func:`write`.

The data imitates what the ingest stage meets in real postings and register extracts (DESIGN.md,
"What real records look like"): babies given away without a name, dates in many written forms and
calendars, addresses with historical county names, corrupted and adoptive names, shifted birth dates,
late registrations, broken ID numbers, and a candidate pool that collides with the cases the way a real
population does.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from reunite.errors import ConfigError, OutputError
from reunite.export.files import atomic_output
from reunite.synth.candidates import (
    CANDIDATE_COLUMNS,
    concat,
    near_twins,
    population,
    render_candidates,
    true_copies,
)
from reunite.synth.cases import CASE_COLUMNS, draw_case_plan, draw_people, render_cases
from reunite.synth.config import SynthConfig
from reunite.synth.names import load_name_pools
from reunite.synth.regions import load_regions

__all__ = ["TRUTH_COLUMNS", "SynthData", "SynthPaths", "generate", "write"]

TRUTH_COLUMNS: tuple[str, ...] = ("case_id", "person_id", "tags")
Columns = dict[str, list[str]]


@dataclass(frozen=True, slots=True)
class SynthData:
    """The three tables as columns of cell text (in the CSV contract's column order) and how they were made.

    ``truth`` has one row per case: ``person_id`` is empty when the case has no true candidate, and
    ``tags`` lists (``;``-separated, sorted) what is known about the case and what was corrupted in its
    true pair.
    """

    cases: Columns
    candidates: Columns
    truth: Columns
    config: SynthConfig
    seed: int

    @property
    def n_cases(self) -> int:
        """Number of cases."""
        return len(self.cases["case_id"])

    @property
    def n_candidates(self) -> int:
        """Number of candidates."""
        return len(self.candidates["person_id"])


class SynthPaths(NamedTuple):
    """Where :func:`write` put the three files."""

    cases: Path
    candidates: Path
    truth: Path


def generate(
    n_cases: int, n_candidates: int, *, seed: int = 0, config: SynthConfig | None = None
) -> SynthData:
    """Generate cases, candidates and the truth linking them.

    Parameters
    ----------
    n_cases
        Missing-child reports to generate.
    n_candidates
        Size of the candidate pool: the true candidates of the matched cases, near-twins of the cases,
        and people drawn from the population. Must be at least the number of matched cases.
    seed
        Seed of the only random generator used (same seed and config, same tables).
    config
        Rates of every corruption; defaults to ``SynthConfig()``.

    Returns
    -------
    SynthData

    Raises
    ------
    ConfigError
        When a count is negative or the pool is smaller than the number of matched cases.

    Examples
    --------
    >>> data = generate(20, 200, seed=1)
    >>> data.n_cases, data.n_candidates, list(data.truth)
    (20, 200, ['case_id', 'person_id', 'tags'])
    >>> sum(1 for p in data.truth["person_id"] if not p)  # round(20 * 0.15)
    3
    """
    cfg = config if config is not None else SynthConfig()
    for label, value in (("n_cases", n_cases), ("n_candidates", n_candidates), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise ConfigError(f"generate: expected {label} to be a non-negative integer, got {value!r}")
    rng = np.random.default_rng(seed)
    pools = load_name_pools()
    regions = load_regions()

    children = draw_people(rng, pools, regions, n_cases, female_share=cfg.case_female_share,
                           surname_region_strength=cfg.surname_region_strength)
    has_match = np.ones(n_cases, dtype=bool)
    has_match[rng.permutation(n_cases)[: round(n_cases * cfg.no_match_rate)]] = False
    matched = np.flatnonzero(has_match).astype(np.int64)
    if matched.shape[0] > n_candidates:
        raise ConfigError(
            f"generate: n_candidates={n_candidates} cannot hold the {matched.shape[0]} true candidates of "
            f"{n_cases} cases (no_match_rate={cfg.no_match_rate}); "
            f"expected n_candidates >= {matched.shape[0]}"
        )
    plan = draw_case_plan(rng, cfg, children)
    case_columns, case_tags = render_cases(rng, children, plan, pools, regions)

    truth_pairs = true_copies(rng, cfg, children, plan, matched, pools, regions)
    room = n_candidates - matched.shape[0]
    counts = rng.poisson(cfg.near_twins_per_case, size=n_cases).astype(np.int64)
    if counts.sum() > room:  # keep the first twins in case order so the cut is deterministic
        counts = np.diff(np.minimum(np.concatenate([[0], np.cumsum(counts)]), room))
    twins = near_twins(rng, children, counts, pools, regions)
    rest = population(rng, cfg, room - len(twins), children.county, pools, regions)
    pool = concat([truth_pairs, twins, rest])
    order = rng.permutation(len(pool)).astype(np.int64)
    candidate_columns, person_id = render_candidates(rng, cfg, pool, order, regions)

    truth: Columns = {c: [] for c in TRUTH_COLUMNS}
    true_row = {int(i): j for j, i in enumerate(matched.tolist())}
    for i, case_id in enumerate(case_columns["case_id"]):
        j = true_row.get(i)
        tags = case_tags[i] + (pool.tags[j] if j is not None else [])
        truth["case_id"].append(case_id)
        truth["person_id"].append(person_id[j] if j is not None else "")
        truth["tags"].append(";".join(sorted(set(tags))))
    return SynthData(case_columns, candidate_columns, truth, cfg, int(seed))


def _write_table(path: Path, header: tuple[str, ...], columns: Columns) -> None:
    with atomic_output(path) as tmp, tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(zip(*(columns[c] for c in header), strict=True))


def write(data: SynthData, directory: str | Path) -> SynthPaths:
    """Write ``cases.csv``, ``candidates.csv`` and ``truth.csv`` (UTF-8, header row, CSV contract columns).

    Parameters
    ----------
    data
        What :func:`generate` returned.
    directory
        Created if missing (its parent must exist); existing files of these names are replaced,
        each only once it is written whole.

    Raises
    ------
    OutputError
        The folder cannot be created or a file cannot be written.

    Returns
    -------
    SynthPaths

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = write(generate(5, 50), tmp)
    ...     paths.cases.read_text(encoding="utf-8").splitlines()[0]
    'case_id,name,alias,sex,birth_date,birth_calendar,missing_date,missing_region,marks'
    """
    out = Path(directory)
    try:
        out.mkdir(exist_ok=True)
    except OSError as exc:
        raise OutputError(f"--out-dir {out}: expected a folder that exists or can be created "
                          f"in an existing one, got {exc.strerror or exc}") from exc
    paths = SynthPaths(out / "cases.csv", out / "candidates.csv", out / "truth.csv")
    _write_table(paths.cases, CASE_COLUMNS, data.cases)
    _write_table(paths.candidates, CANDIDATE_COLUMNS, data.candidates)
    _write_table(paths.truth, TRUTH_COLUMNS, data.truth)
    return paths
