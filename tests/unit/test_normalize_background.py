"""normalize's forked second process: the result, or the exception, comes back as if run here."""

from __future__ import annotations

import importlib
import multiprocessing
import os

import numpy as np
import pytest

from reunite.errors import InputError

table = importlib.import_module("reunite.normalize.table")  # the module, not the function it exports

forks = pytest.mark.skipif(
    len(os.sched_getaffinity(0)) < 2 or "fork" not in multiprocessing.get_all_start_methods(),
    reason="the second process needs two cores and fork")

_BIG = [f"王{i % 977}芳" for i in range(50_000)]  # read by the child from shared memory, not pickled to it


def _names(values: list[str]) -> tuple[int, np.ndarray]:
    return os.getpid(), np.array(sorted(set(values)))


def _refuse(value: str) -> None:
    raise InputError(f"column 'name': expected a name, got {value!r}")


@forks
def test_a_forked_result_equals_the_result_here() -> None:
    with table._Background(True) as background:
        pid, there = background.run(_names, _BIG)()
    with table._Background(False) as background:
        here_pid, here = background.run(_names, _BIG)()
    assert pid != os.getpid() and here_pid == os.getpid()
    np.testing.assert_array_equal(there, here)


@forks
def test_an_error_in_the_forked_process_is_raised_here() -> None:
    with table._Background(True) as background, pytest.raises(InputError, match="got '3'"):
        background.run(_refuse, "3")()


@forks
def test_leaving_without_the_result_stops_the_process() -> None:
    with table._Background(True) as background:
        background.run(_names, _BIG)
        process = background._processes[0]
    assert not process.is_alive()
