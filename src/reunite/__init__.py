"""reunite: rank candidate persons for cold missing-child cases, so the true child is sampled first.

The public face: read and normalize inputs, screen them, evaluate a ranking, and the model and
specifications that configure a run. Everything else lives in the stage subpackages.

Names are imported when first used (PEP 562): ``import reunite`` and ``reunite --help`` do not
load pandas, SQLAlchemy or the pinyin dictionaries until a command needs them.
"""

from __future__ import annotations

import importlib
import sys
import types
import typing

if typing.TYPE_CHECKING:
    from reunite.errors import (
        ConcurrentRunError,
        ConfigError,
        EncodingError,
        InputError,
        MissingColumnsError,
        MissingFileError,
        NotFittedError,
        OutputError,
        ReuniteError,
        StoreError,
    )
    from reunite.evaluate import Evaluation, evaluate
    from reunite.ingest import IngestReport, RawTable, read_table
    from reunite.matching.model import FellegiSunter, default_model
    from reunite.matching.spec import BlockingSpec, ComparisonSpec
    from reunite.normalize import RecordTable, normalize
    from reunite.pipeline import (
        Explanation,
        ScreenResult,
        explain,
        load_side,
        prepare_table,
        screen,
        screen_preview,
        train,
    )
    from reunite.rescreen import RescreenReport, rescreen
    from reunite.run_config import RunConfig
    from reunite.store import Store, build_plan

__version__ = "0.1.0"

# public name -> the module it is imported from on first use
_EXPORTS: dict[str, str] = {
    "BlockingSpec": "reunite.matching.spec",
    "ComparisonSpec": "reunite.matching.spec",
    "ConcurrentRunError": "reunite.errors",
    "ConfigError": "reunite.errors",
    "EncodingError": "reunite.errors",
    "Evaluation": "reunite.evaluate",
    "Explanation": "reunite.pipeline",
    "FellegiSunter": "reunite.matching.model",
    "IngestReport": "reunite.ingest",
    "InputError": "reunite.errors",
    "MissingColumnsError": "reunite.errors",
    "MissingFileError": "reunite.errors",
    "NotFittedError": "reunite.errors",
    "OutputError": "reunite.errors",
    "RawTable": "reunite.ingest",
    "RecordTable": "reunite.normalize",
    "RescreenReport": "reunite.rescreen",
    "ReuniteError": "reunite.errors",
    "RunConfig": "reunite.run_config",
    "ScreenResult": "reunite.pipeline",
    "Store": "reunite.store",
    "StoreError": "reunite.errors",
    "build_plan": "reunite.store",
    "default_model": "reunite.matching.model",
    "evaluate": "reunite.evaluate",
    "explain": "reunite.pipeline",
    "load_side": "reunite.pipeline",
    "prepare_table": "reunite.pipeline",
    "normalize": "reunite.normalize",
    "read_table": "reunite.ingest",
    "rescreen": "reunite.rescreen",
    "screen": "reunite.pipeline",
    "screen_preview": "reunite.pipeline",
    "train": "reunite.pipeline",
}

__all__ = [
    "BlockingSpec",
    "ComparisonSpec",
    "ConcurrentRunError",
    "ConfigError",
    "EncodingError",
    "Evaluation",
    "Explanation",
    "FellegiSunter",
    "IngestReport",
    "InputError",
    "MissingColumnsError",
    "MissingFileError",
    "NotFittedError",
    "OutputError",
    "RawTable",
    "RecordTable",
    "RescreenReport",
    "ReuniteError",
    "RunConfig",
    "ScreenResult",
    "Store",
    "StoreError",
    "__version__",
    "build_plan",
    "default_model",
    "evaluate",
    "explain",
    "load_side",
    "normalize",
    "prepare_table",
    "read_table",
    "rescreen",
    "screen",
    "screen_preview",
    "train",
]


def __getattr__(name: str) -> object:
    """Import a public name from its module on first use (later lookups find it in the package)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'reunite' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


class _Package(types.ModuleType):
    """The package, keeping ``reunite.evaluate``, ``.normalize`` and ``.rescreen`` the functions:
    the import system sets every submodule it loads on its package, and these three submodules share
    their name with the function they export."""

    def __setattr__(self, name: str, value: object) -> None:
        if not (name in _EXPORTS and isinstance(value, types.ModuleType)):
            super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
