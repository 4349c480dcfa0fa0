"""Pruned screening (windows counted by cells, reunite.matching.prune) equals exhaustive screening: the
same ranked rows, scores, reasons, pair counts and probabilities, whatever the model and the data."""

from __future__ import annotations

import dataclasses
import datetime
import functools
from fractions import Fraction

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.matching.cells import cell_index, counted_factor_sums
from reunite.matching.comparisons import registration
from reunite.matching.engine import DEFAULT_LIMITS, EngineLimits
from reunite.matching.exact import OFFSET, factor_sums
from reunite.matching.kinds import CASE_KINDS
from reunite.matching.learn import all_case_patterns
from reunite.matching.model import FellegiSunter, default_model
from reunite.matching.prepare import Prepared, prepare
from reunite.matching.prune import prunable
from reunite.matching.shards import excluded_keys
from reunite.matching.spec import BlockingSpec
from reunite.normalize import RecordTable
from reunite.normalize.dates import from_days, lunar_digits_as_solar, lunar_leap_twin, parse_date, to_days
from reunite.pipeline import load_side, screen
from reunite.synth import generate

COMPARED = ("case_id", "rank", "person_id", "score", "probability", "case_probability", "reasons", "name",
            "pairs_compared", "_case_rest")


def _roughen(table: RecordTable, rng: np.random.Generator) -> RecordTable:
    """Some births known only to the month, the year, a span of years or not at all, some sexes unknown,
    some places unknown."""
    n = len(table)
    lo, hi, known = table.birth_lo.copy(), table.birth_hi.copy(), table.birth_known.copy()
    year = rng.random(n) < 0.1
    hi[year] = lo[year] + 364
    month = ~year & (rng.random(n) < 0.1)
    first = lo[month].astype("datetime64[D]").astype("datetime64[M]")
    lo[month] = first.astype("datetime64[D]").astype(np.int64)
    hi[month] = (first + 1).astype("datetime64[D]").astype(np.int64) - 1
    span = ~year & ~month & (rng.random(n) < 0.03)
    lo[span] -= 365
    hi[span] += 365
    gone = rng.random(n) < 0.03
    known[gone] = False
    sex = table.sex.copy()
    sex[rng.random(n) < 0.05] = 0
    level = table.region_level.copy()
    level[rng.random(n) < 0.05] = 0
    return dataclasses.replace(table, birth_lo=lo, birth_hi=hi, birth_known=known, sex=sex, region_level=level)


def _leapen(cases: RecordTable, candidates: RecordTable, rng: np.random.Generator) -> tuple[RecordTable, RecordTable]:
    """Half of the cases born on a lunar day (or in a lunar month) whose month has a leap twin that
    year, and a fifth of the candidates born on or a few days around such a twin."""
    days = np.arange(to_days(datetime.date(1980, 1, 1)), to_days(datetime.date(2000, 1, 1)))
    twins = [(int(d), lunar_leap_twin(int(d), int(d))) for d in days]
    open_ = [(d, t) for d, t in twins if t is not None]
    n, m = len(cases), len(candidates)
    lo, hi = cases.birth_lo.copy(), cases.birth_hi.copy()
    known, lunar = cases.birth_known.copy(), cases.birth_lunar.copy()
    chosen = [open_[int(k)] for k in rng.integers(len(open_), size=n)]
    for i in np.flatnonzero(rng.random(n) < 0.5).tolist():
        day, _ = chosen[i]
        lo[i] = hi[i] = day
        known[i], lunar[i] = True, True
        digits = lunar_digits_as_solar(day, day)
        if rng.random() < 0.2 and digits is not None:  # the whole lunar month of that day
            written = from_days(digits[0])
            month = parse_date(f"农历{written.year}年{written.month}月", "")
            assert month is not None
            lo[i], hi[i] = to_days(month.lo), to_days(month.hi)
    c_lo, c_hi, c_known = candidates.birth_lo.copy(), candidates.birth_hi.copy(), candidates.birth_known.copy()
    for j in np.flatnonzero(rng.random(m) < 0.2).tolist():
        twin = chosen[int(rng.integers(n))][1]
        assert twin is not None
        c_lo[j] = c_hi[j] = twin[0] + int(rng.integers(-40, 41)) * int(rng.random() < 0.6)
        c_known[j] = True
    return (dataclasses.replace(cases, birth_lo=lo, birth_hi=hi, birth_known=known, birth_lunar=lunar),
            dataclasses.replace(candidates, birth_lo=c_lo, birth_hi=c_hi, birth_known=c_known))


def _arrivals(cases: RecordTable, candidates: RecordTable, rng: np.random.Generator,
              ) -> tuple[RecordTable, RecordTable]:
    """Half of the cases lost as babies, their loss known to the day (0 - 400 days after the birth), and a
    fifth of the candidates born on or a few days around such a loss (registered as born the day they came)."""
    n, m = len(cases), len(candidates)
    lost = np.flatnonzero(cases.birth_known & (rng.random(n) < 0.5))
    event_lo, event_hi, event_known = cases.event_lo.copy(), cases.event_hi.copy(), cases.event_known.copy()
    event_lo[lost] = cases.birth_lo[lost] + rng.integers(0, 401, size=lost.size)
    event_hi[lost], event_known[lost] = event_lo[lost], True
    if lost.size == 0:
        return cases, candidates
    c_lo, c_hi, c_known = candidates.birth_lo.copy(), candidates.birth_hi.copy(), candidates.birth_known.copy()
    for j in np.flatnonzero(rng.random(m) < 0.2).tolist():
        c_lo[j] = c_hi[j] = event_lo[lost[int(rng.integers(lost.size))]] + int(rng.integers(-3, 4))
        c_known[j] = True
    return (dataclasses.replace(cases, event_lo=event_lo, event_hi=event_hi, event_known=event_known),
            dataclasses.replace(candidates, birth_lo=c_lo, birth_hi=c_hi, birth_known=c_known))


@functools.cache
def _data(seed: int, rough: bool, leap: bool = False) -> tuple[RecordTable, RecordTable]:
    data = generate(40, 3000, seed=seed)
    cases = load_side(pd.DataFrame(data.cases), "cases")
    candidates = load_side(pd.DataFrame(data.candidates), "candidates")
    if rough:
        rng = np.random.default_rng(seed)
        cases, candidates = _roughen(cases, rng), _roughen(candidates, rng)
    if leap:
        cases, candidates = _leapen(cases, candidates, np.random.default_rng(seed + 1))
    else:
        cases, candidates = _arrivals(cases, candidates, np.random.default_rng(seed + 2))
    return cases, candidates


def _increasing(rng: np.random.Generator, high: int) -> tuple[int, int]:
    """Two increasing positive days below ``high``."""
    first = int(rng.integers(1, high - 1))
    return first, int(rng.integers(first + 1, high))


def _random_model(rng: np.random.Generator, style: str, tf_adjust: bool, kinds: bool,
                  some: bool = False) -> FellegiSunter:
    """A model with random m and u: ``flat`` (every weight 0: every pair ties, nothing can be pruned),
    ``steps`` (weights in whole bits: many ties at the k-th score), or ``random`` (any sign, with or without
    contamination and scales). ``some``: of a random part of the comparisons (the cells' classes are made of the
    candidate facts those declare)."""
    base = default_model()
    names = base.spec.comparisons
    if some:
        names = tuple(name for name in names if rng.random() < 0.5) or names[:1]
    month_days = int(rng.integers(2, 200))
    first_band = int(rng.integers(month_days + 1, 900))  # the birthday reads "near" only beyond it
    spec = dataclasses.replace(  # the day-bound parameters too: windows are cut where levels change
        base.spec, comparisons=names, tf_adjust=tf_adjust, birth_month_days=month_days,
        birth_band_days=(first_band, first_band + int(rng.integers(1, 500)), first_band + 1000),
        birthday_min_gap_days=int(rng.integers(1, 800)),
        birthday_near_days=int(rng.integers(2, 183)), timeline_grace_days=int(rng.integers(0, 2000)),
        registration_after_loss_days=_increasing(rng, 2000))
    model = FellegiSunter(spec, prior=float(rng.uniform(0.05, 0.95)), temperature=float(rng.uniform(0.3, 1.5)))
    sizes = spec.n_levels()

    def draw() -> list[np.ndarray]:
        out = []
        for size in sizes:
            if style == "flat":
                p = np.ones(size)
            elif style == "steps":
                p = np.exp2(rng.integers(-3, 4, size).astype(np.float64))
            else:
                p = rng.dirichlet(np.full(size, 0.7)) + 1e-3
            out.append(p / p.sum())
        return out

    model.u_ = [np.ones(s) / s for s in sizes] if style != "random" else draw()
    model.m_ = draw()
    model.lambda_ = 0.01
    if kinds:
        model.kind_m_ = {kind: draw() for kind in CASE_KINDS}
    if style == "random":  # m mixed with u in the weights (the shipped model's contamination), or not
        model.contamination = float(rng.choice([0.0, rng.uniform(0.0, 0.9)]))
        # and a multiplier for some comparisons' weights and term frequencies (the shipped model's scale)
        model.scale = {name: float(rng.uniform(0.1, 3.0)) for name in names if rng.random() < 0.5}
    return model


@settings(max_examples=30, deadline=None)
@given(
    seed=st.sampled_from([3, 5]),
    rough=st.booleans(),
    style=st.sampled_from(["flat", "steps", "random"]),
    tf_adjust=st.booleans(),
    kinds=st.booleans(),
    top_k=st.integers(1, 25),
    late=st.booleans(),
    excluded=st.integers(0, 30),
    model_seed=st.integers(0, 2**32 - 1),
    some=st.booleans(),
    leap=st.booleans(),
)
def test_pruned_screen_equals_exhaustive_screen(
    seed: int, rough: bool, style: str, tf_adjust: bool, kinds: bool, top_k: int, late: bool, excluded: int,
    model_seed: int, some: bool, leap: bool,
) -> None:
    cases, candidates = _data(seed, rough, leap)
    rng = np.random.default_rng(model_seed)
    model = _random_model(rng, style, tf_adjust, kinds, some)
    blocking = BlockingSpec() if late else BlockingSpec(passes=("birth_window", "given_pinyin"),
                                                        birth_margin_days=int(rng.integers(200, 1500)))
    pairs = [(str(cases.ids[rng.integers(len(cases))]), str(candidates.ids[rng.integers(len(candidates))]))
             for _ in range(excluded)]
    # DNA-excluded pairs inside the windows too: a case's best candidates
    whole = screen(cases, candidates, model=model, fit_to_data=False, top_k=top_k, blocking=blocking, prune=False)
    pairs += list(zip(whole.columns["case_id"][::7].tolist(), whole.columns["person_id"][::7].tolist(), strict=True))
    pruned = screen(cases, candidates, model=model, fit_to_data=False, top_k=top_k, blocking=blocking,
                    exclude=pairs, prune=True)
    exhaustive = screen(cases, candidates, model=model, fit_to_data=False, top_k=top_k, blocking=blocking,
                        exclude=pairs, prune=False)
    assert pruned.pairs_compared == exhaustive.pairs_compared
    for name in COMPARED:
        assert pruned.columns[name].tolist() == exhaustive.columns[name].tolist(), name
    np.testing.assert_allclose(pruned.columns["probability"].astype(float),
                               exhaustive.columns["probability"].astype(float), rtol=0, atol=1e-9)
    if style != "flat":
        assert pruned.pairs_scored <= exhaustive.pairs_scored


def test_pruning_scores_few_pairs_with_the_shipped_model() -> None:
    cases, candidates = _data(3, False)
    pruned = screen(cases, candidates, model=default_model(), fit_to_data=False, top_k=10)
    exhaustive = screen(cases, candidates, model=default_model(), fit_to_data=False, top_k=10, prune=False)
    assert exhaustive.pairs_scored == exhaustive.pairs_compared
    assert pruned.pairs_scored * 3 < exhaustive.pairs_compared
    assert pruned.to_pandas().equals(exhaustive.to_pandas())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.floats(-60, 60, width=32), st.integers(1, 5000)), max_size=60))
def test_counted_sums_equal_the_sums_of_repeated_terms(cells: list[tuple[int, float, int]]) -> None:
    group = np.array([g for g, _, _ in cells], dtype=np.int64)
    score = np.array([s for _, s, _ in cells], dtype=np.float32)
    count = np.array([c for _, _, c in cells], dtype=np.int64)
    assert counted_factor_sums(group, score, count, 5) == factor_sums(np.repeat(group, count),
                                                                      np.repeat(score, count), 5)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.floats(-60, 60, width=32), st.integers(1, 5000)), max_size=60))
def test_counted_sums_of_groups_far_apart_equal_the_sums_of_repeated_terms(cells: list[tuple[int, float, int]]) -> None:
    # groups numbered up to 6,000,000: more (group, exponent) bins than are counted directly, so the
    # occupied ones are sorted (a span's few cases take the direct bins, the test above)
    group = np.array([g for g, _, _ in cells], dtype=np.int64) * 1_500_000
    score = np.array([s for _, s, _ in cells], dtype=np.float32)
    count = np.array([c for _, _, c in cells], dtype=np.int64)
    n_groups = 4 * 1_500_000 + 1
    expected = factor_sums(np.repeat(group, count), np.repeat(score, count), n_groups)
    got = counted_factor_sums(group, score, count, n_groups)
    assert [(g, t) for g, t in enumerate(got) if t] == [(g, t) for g, t in enumerate(expected) if t]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.floats(-60, 60, width=32), st.integers(1, 2**32 - 1)), max_size=60))
def test_counted_sums_are_exact_for_counts_of_2_16_and_more(cells: list[tuple[int, float, int]]) -> None:
    # counts (below 2**32) are summed in two 16-bit halves: each term exactly, against Fractions
    group = np.array([g for g, _, _ in cells], dtype=np.int64)
    score = np.array([s for _, s, _ in cells], dtype=np.float32)
    count = np.array([c for _, _, c in cells], dtype=np.int64)
    expected = [0] * 5
    for g, s, c in zip(group.tolist(), score.tolist(), count.tolist(), strict=True):
        expected[g] += int(Fraction(float(np.exp2(np.float64(s)))) * c * 2**OFFSET)
    assert counted_factor_sums(group, score, count, 5) == expected


def test_windows_without_candidates_known_to_the_day_are_counted_as_empty() -> None:
    cases = pd.DataFrame({"case_id": ["c1", "c2", "c3"], "name": ["王小红", "", "李强"], "sex": ["女", "男", ""],
                          "birth_date": ["1960-03-02", "1991", ""], "missing_date": ["1961", "1993-05-06", ""]})
    people = pd.DataFrame({"person_id": ["p1", "p2", "p3"], "name": ["王小红", "赵强", "李强"], "sex": ["F", "F", "M"],
                           "birth_date": ["2001-05-20", "1991", "1988-01-01"], "registration_date": ["2005", "", ""]})
    for chosen in (cases, cases.iloc[:1]):  # c1 alone: no window holds a candidate known to the day
        pruned = screen(chosen, people, top_k=2, fit_to_data=False)
        exhaustive = screen(chosen, people, top_k=2, fit_to_data=False, prune=False)
        assert pruned.to_pandas().equals(exhaustive.to_pandas())
        assert pruned.pairs_compared == exhaustive.pairs_compared


def test_only_windows_that_come_first_are_counted() -> None:
    assert prunable(BlockingSpec())
    assert prunable(BlockingSpec(passes=("birth_window", "given_pinyin")))
    assert not prunable(BlockingSpec(passes=("given_pinyin", "birth_window")))
    assert not prunable(BlockingSpec(passes=("birth_window", "given_pinyin", "late_window")))


# The bookkeeping helpers take a table or a sort by the size of what they are given; both ways must give
# what their definitions say, for values near and far apart, negative ones included.
_values = st.lists(st.one_of(st.integers(-5, 60), st.integers(-10**9, 10**9)), max_size=80).map(
    lambda v: np.array(v, dtype=np.int64))


@given(_values, _values)
def test_tally_is_the_difference_of_the_two_counts_at_the_values_present(added: np.ndarray, taken: np.ndarray) -> None:
    from reunite.matching.prune import _tally

    values, counted = _tally(added, taken)
    present = sorted(set(added.tolist()) | set(taken.tolist()))
    assert values.tolist() == present
    assert counted.tolist() == [added.tolist().count(v) - taken.tolist().count(v) for v in present]


@given(_values, _values)
def test_at_or_before_is_the_last_sorted_value_not_above(ordered: np.ndarray, values: np.ndarray) -> None:
    from reunite.matching.prune import _at_or_before

    ordered = np.unique(ordered)
    found = _at_or_before(ordered, values)
    assert found.tolist() == [sum(1 for o in ordered.tolist() if o <= v) - 1 for v in values.tolist()]


@functools.cache
def _best_pairs(seed: int, rough: bool, late: bool) -> list[tuple[str, str]]:
    """Each case's best two candidates under the shipped model: pairs inside the windows."""
    cases, candidates = _data(seed, rough)
    blocking = BlockingSpec() if late else BlockingSpec(passes=("birth_window", "given_pinyin"))
    best = screen(cases, candidates, fit_to_data=False, top_k=2, blocking=blocking)
    return list(zip(best.columns["case_id"].tolist(), best.columns["person_id"].tolist(), strict=True))


@settings(max_examples=30, deadline=None)
@given(
    seed=st.sampled_from([3, 5]),
    rough=st.booleans(),
    late=st.booleans(),
    excluded=st.integers(0, 40),
    model_seed=st.integers(0, 2**32 - 1),
    leap=st.booleans(),
)
def test_the_fit_s_patterns_counted_by_cells_are_those_of_every_pair_compared(
    seed: int, rough: bool, late: bool, excluded: int, model_seed: int, leap: bool,
) -> None:
    """The fit of m counts its windows by cells (only the hits compared one by one): the same
    (case, pattern, count) keys as comparing every blocked pair, DNA-excluded pairs left out, for any
    day-bound parameters of the comparisons."""
    cases, candidates = _data(seed, rough, leap)
    rng = np.random.default_rng(model_seed)
    model = _random_model(rng, "random", False, False)
    blocking = BlockingSpec() if late else BlockingSpec(passes=("birth_window", "given_pinyin"),
                                                        birth_margin_days=int(rng.integers(200, 1500)))
    prep = prepare(cases, candidates)
    pairs = [(str(cases.ids[rng.integers(len(cases))]), str(candidates.ids[rng.integers(len(candidates))]))
             for _ in range(excluded)]
    pairs += _best_pairs(seed, rough, late)[excluded % 3::3]  # DNA-excluded pairs inside the windows too
    exclude = excluded_keys(prep, cases, candidates, pairs)
    index = cell_index(prep, model.spec, blocking)
    assert index is not None
    every = all_case_patterns(prep, model, blocking, excluded=exclude)
    counted = all_case_patterns(prep, model, blocking, excluded=exclude, index=index)
    order_every, order_counted = np.argsort(every[0]), np.argsort(counted[0])
    assert np.array_equal(every[0][order_every], counted[0][order_counted])
    assert np.array_equal(every[1][order_every], counted[1][order_counted])
    assert every[1].sum() > 0


def test_a_screen_that_fits_m_fits_the_same_model_pruned_or_not() -> None:
    data = generate(200, 6000, seed=11)
    cases = load_side(pd.DataFrame(data.cases), "cases")
    candidates = _roughen(load_side(pd.DataFrame(data.candidates), "candidates"), np.random.default_rng(11))
    pruned = screen(cases, candidates, top_k=10, seed=2)
    exhaustive = screen(cases, candidates, top_k=10, seed=2, prune=False)
    assert pruned.fit_report is not None and pruned.fit_report.accepted
    assert pruned.model.to_dict() == exhaustive.model.to_dict()
    assert pruned.to_pandas().equals(exhaustive.to_pandas())


def _registered_around_the_reach(cases: RecordTable, candidates: RecordTable, rng: np.random.Generator,
                                 ) -> tuple[RecordTable, RecordTable]:
    """A third of the candidates born around a lost case's reach (its loss less late_registration_days[0],
    183 days), on the 1st of the reach's month or 1 January of its year (a register on time for the month
    or the year may follow the loss), or in the days before the loss (around 21 days before it, where the
    cells begin to read "on time"), registered on time before or after the loss; some registered vaguer
    than the day, or before their birth."""
    lost = np.flatnonzero(cases.event_known)
    m = len(candidates)
    lo, hi, known = candidates.birth_lo.copy(), candidates.birth_hi.copy(), candidates.birth_known.copy()
    r_lo, r_hi, r_known = candidates.event_lo.copy(), candidates.event_hi.copy(), candidates.event_known.copy()
    for j in np.flatnonzero(rng.random(m) < 0.35).tolist():
        loss = int(cases.event_lo[lost[int(rng.integers(lost.size))]])
        reach = from_days(loss - 183)
        born = [to_days(reach.replace(day=1)), to_days(reach.replace(month=1, day=1)),
                loss - 183 + int(rng.integers(-2, 3)), loss - int(rng.integers(1, 183)),
                loss - int(rng.integers(18, 25))][int(rng.integers(5))]  # where cells read it "before": 21 days
        lo[j] = hi[j] = born
        known[j] = True
        year_end = to_days(from_days(born).replace(month=12, day=31))
        last = year_end if from_days(born).month == 1 and from_days(born).day == 1 else born + 30
        r_lo[j] = born + int(rng.integers(0, last - born + 183))  # on time for the day, month or year
        r_hi[j] = r_lo[j] + (int(rng.integers(1, 40)) if rng.random() < 0.1 else 0)
        if rng.random() < 0.05:
            r_lo[j] = r_hi[j] = born - int(rng.integers(1, 300))
        r_known[j] = True
    return cases, dataclasses.replace(candidates, birth_lo=lo, birth_hi=hi, birth_known=known,
                                      event_lo=r_lo, event_hi=r_hi, event_known=r_known)


def _assert_counted_as_compared(prep: Prepared, model: FellegiSunter, blocking: BlockingSpec,
                                limits: EngineLimits = DEFAULT_LIMITS) -> None:
    """The fit's patterns counted through the cell index are the patterns of every pair compared."""
    index = cell_index(prep, model.spec, blocking, limits=limits)
    assert index is not None
    every = all_case_patterns(prep, model, blocking)
    counted = all_case_patterns(prep, model, blocking, index=index)
    order_every, order_counted = np.argsort(every[0]), np.argsort(counted[0])
    assert np.array_equal(every[0][order_every], counted[0][order_counted])
    assert np.array_equal(every[1][order_every], counted[1][order_counted])


def test_on_time_registers_around_the_reach_are_counted_as_compared() -> None:
    """'Registered before the child went missing' is day-bound for pruning: the cells read it from the birth
    day (an on-time register written to the day of a birth at least 21 days before the loss), and the
    registers they may read wrong -- born within 183 days before the loss, on a 1st whose month or year
    passes that reach, or dated vaguer than the day or before the birth -- are listed, those read wrong
    moved. Counted = compared, pruned = exhaustive."""
    cases, candidates = _data(5, False)
    cases, candidates = _registered_around_the_reach(cases, candidates, np.random.default_rng(7))
    prep = prepare(cases, candidates)
    model = default_model()
    for blocking in (BlockingSpec(), BlockingSpec(passes=("birth_window", "given_pinyin"))):
        _assert_counted_as_compared(prep, model, blocking)
    rng = np.random.default_rng(8)
    for style in ("steps", "random"):
        model = _random_model(rng, style, True, True)
        pruned = screen(cases, candidates, model=model, fit_to_data=False, top_k=15)
        exhaustive = screen(cases, candidates, model=model, fit_to_data=False, top_k=15, prune=False)
        assert pruned.pairs_compared == exhaustive.pairs_compared
        for name in COMPARED:
            assert pruned.columns[name].tolist() == exhaustive.columns[name].tolist(), name


def _registered_at_the_band_edges(cases: RecordTable, candidates: RecordTable, rng: np.random.Generator,
                                  ) -> tuple[RecordTable, RecordTable]:
    """A third of the candidates registered on time a number of days after their birth on either side of
    an edge of the bands the on-time postings are coded by, born so that the register falls a day
    before, on or after a lost case's loss (its first day): the days where a band starts or stops being
    listed."""
    lost = np.flatnonzero(cases.event_known)
    m = len(candidates)
    lo, hi, known = candidates.birth_lo.copy(), candidates.birth_hi.copy(), candidates.birth_known.copy()
    r_lo, r_hi, r_known = candidates.event_lo.copy(), candidates.event_hi.copy(), candidates.event_known.copy()
    on_time = registration._ON_TIME_GAP_EDGES
    for j in np.flatnonzero(rng.random(m) < 0.35).tolist():
        case = lost[int(rng.integers(lost.size))]
        gap = on_time[int(rng.integers(len(on_time)))] - int(rng.integers(2))
        loss = int(cases.event_lo[case])
        lo[j] = hi[j] = loss - gap + int(rng.integers(-1, 3))
        known[j] = True
        r_lo[j] = r_hi[j] = lo[j] + gap
        r_known[j] = True
    return cases, dataclasses.replace(candidates, birth_lo=lo, birth_hi=hi, birth_known=known,
                                      event_lo=r_lo, event_hi=r_hi, event_known=r_known)


def test_registers_at_the_edges_of_their_bands_are_counted_as_compared() -> None:
    """The on-time registration postings are coded by the days from birth to registration, and a row
    lists a band only on the birth days where one of its registers may be read wrong by its cell:
    registers at each band's edges, on the days around the loss, are counted as compared (a band listed
    a day too few leaves its edge register in the wrong cell)."""
    for seed in (5, 6):
        cases, candidates = _data(seed, False)
        cases, candidates = _registered_at_the_band_edges(cases, candidates, np.random.default_rng(seed))
        _assert_counted_as_compared(prepare(cases, candidates), default_model(), BlockingSpec())


def _registered_late_around_the_loss(cases: RecordTable, candidates: RecordTable, after_days: tuple[int, ...],
                                     rng: np.random.Generator) -> tuple[RecordTable, RecordTable]:
    """A third of the candidates registered late (183 days to 11 years after their birth), on a lost
    case's last day of loss, or that day plus one of ``after_days`` (the band edges of "registered after
    the child went missing"), or a day either side: the days where a late register moves from band to
    band. Many share those days, so the bands of registration days that count them begin on them too."""
    lost = np.flatnonzero(cases.event_known)
    m = len(candidates)
    lo, hi, known = candidates.birth_lo.copy(), candidates.birth_hi.copy(), candidates.birth_known.copy()
    r_lo, r_hi, r_known = candidates.event_lo.copy(), candidates.event_hi.copy(), candidates.event_known.copy()
    for j in np.flatnonzero(rng.random(m) < 0.35).tolist():
        case = lost[int(rng.integers(lost.size))]
        edge = (0, *after_days)[int(rng.integers(len(after_days) + 1))]
        registered = int(cases.event_hi[case]) + edge + int(rng.integers(-1, 2))
        lo[j] = hi[j] = registered - int(rng.integers(183, 4000))
        known[j] = True
        r_lo[j] = r_hi[j] = registered
        r_known[j] = True
    return cases, dataclasses.replace(candidates, birth_lo=lo, birth_hi=hi, birth_known=known,
                                      event_lo=r_lo, event_hi=r_hi, event_known=r_known)


def test_late_registers_around_the_loss_are_counted_as_compared() -> None:
    """Late registers after the case's loss are counted by bands of their registration day (a table over
    the runs), and those of the bands holding the loss's last day or that day plus a band edge of
    ``registration_after_loss_days`` are listed and moved one by one: registers a day before, on and
    after each edge, with bands of one
    day to a few thousand (``move_cells``), are counted as compared, and the pruned screen is the
    exhaustive one (cells of moved candidates grown when they may reach the top k)."""
    rng = np.random.default_rng(9)
    for seed, move_cells in ((5, 0), (6, 400), (5, DEFAULT_LIMITS.move_cells)):
        limits = dataclasses.replace(DEFAULT_LIMITS, move_cells=move_cells)
        model = default_model()
        base, people = _data(seed, False)
        cases, candidates = _registered_late_around_the_loss(base, people, model.spec.registration_after_loss_days,
                                                             np.random.default_rng(seed))
        _assert_counted_as_compared(prepare(cases, candidates), model, BlockingSpec(), limits)
        model = _random_model(rng, "steps", False, True)
        cases, candidates = _registered_late_around_the_loss(base, people, model.spec.registration_after_loss_days,
                                                             np.random.default_rng(seed))
        for top_k in (3, 40):
            pruned = screen(cases, candidates, model=model, fit_to_data=False, top_k=top_k, limits=limits)
            exhaustive = screen(cases, candidates, model=model, fit_to_data=False, top_k=top_k, prune=False)
            assert pruned.pairs_compared == exhaustive.pairs_compared
            for name in COMPARED:
                assert pruned.columns[name].tolist() == exhaustive.columns[name].tolist(), name


@st.composite
def _windows_and_pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows' windows of runs (some empty or inverted) and (row, run) pairs in and out of them, repeated."""
    n_rows = draw(st.integers(1, 6))
    run_a = np.array(draw(st.lists(st.integers(0, 30), min_size=n_rows, max_size=n_rows)), dtype=np.int64)
    run_b = run_a + np.array(draw(st.lists(st.integers(-2, 12), min_size=n_rows, max_size=n_rows)), dtype=np.int64)
    pairs = draw(st.lists(st.tuples(st.integers(0, n_rows - 1), st.integers(-3, 45)), max_size=60))
    row = np.array([p[0] for p in pairs], dtype=np.int64)
    run = np.array([p[1] for p in pairs], dtype=np.int64)
    return row, run, run_a, run_b


@given(_windows_and_pairs())
def test_breaks_kept_are_the_distinct_pairs_inside_their_windows_in_order(
    drawn: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    from reunite.matching.prune import _distinct_in_windows

    row, run, run_a, run_b = drawn
    kept_row, kept_run = _distinct_in_windows(row, run, run_a, run_b)
    expected = sorted({(r, u) for r, u in zip(row.tolist(), run.tolist(), strict=True) if run_a[r] <= u < run_b[r]})
    assert list(zip(kept_row.tolist(), kept_run.tolist(), strict=True)) == expected
