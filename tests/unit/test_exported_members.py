"""The public face: __all__ lists every public name of the package, sorted, and each one exists."""

from __future__ import annotations

import reunite


def test_all_is_sorted_and_unique() -> None:
    assert reunite.__all__ == sorted(reunite.__all__)
    assert len(set(reunite.__all__)) == len(reunite.__all__)


def test_all_is_complete() -> None:
    public = {
        name for name, value in vars(reunite).items()
        if not name.startswith("_") and not getattr(value, "__name__", "").startswith("reunite.")
        and not isinstance(value, type(reunite)) and name != "annotations"
    }
    assert public | {"__version__"} == set(reunite.__all__)


def test_every_listed_name_resolves() -> None:
    for name in reunite.__all__:
        assert getattr(reunite, name) is not None
