"""The public face: __all__ lists every public name of the package, sorted, and each one exists;
the names are imported on first use, so ``import reunite`` stays light."""

from __future__ import annotations

import subprocess
import sys
import types

import reunite


def test_all_is_sorted_and_unique() -> None:
    assert reunite.__all__ == sorted(reunite.__all__)
    assert len(set(reunite.__all__)) == len(reunite.__all__)


def test_all_is_complete() -> None:
    public = {name for name in dir(reunite) if not name.startswith("_")
              and not isinstance(getattr(reunite, name), types.ModuleType) and name != "annotations"}
    assert public | {"__version__"} == set(reunite.__all__)


def test_every_listed_name_resolves() -> None:
    for name in reunite.__all__:
        assert getattr(reunite, name) is not None


def test_functions_named_like_their_module_stay_functions() -> None:
    # the submodules evaluate, normalize and rescreen are imported before the names are looked up
    code = ("import reunite.evaluate, reunite.normalize, reunite.rescreen, reunite, types\n"
            "assert all(not isinstance(getattr(reunite, n), types.ModuleType)"
            " for n in ('evaluate', 'normalize', 'rescreen'))\n"
            "from reunite import evaluate, normalize, rescreen\n"
            "assert callable(evaluate) and callable(normalize) and callable(rescreen)")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_command_line_starts_without_the_heavy_imports() -> None:
    code = ("import sys, reunite, reunite.cli\n"
            "heavy = sorted({'pandas', 'sqlalchemy', 'pypinyin', 'rapidfuzz', 'reunite.matching.model'}"
            " & set(sys.modules))\n"
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)
