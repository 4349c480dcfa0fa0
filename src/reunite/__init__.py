"""reunite: rank candidate persons for cold missing-child cases, so the true child is sampled first.

The public face: read and normalize inputs, screen them, evaluate a ranking, and the model and
specifications that configure a run. Everything else lives in the stage subpackages.
"""

from __future__ import annotations

from reunite.errors import (
    ConcurrentRunError,
    ConfigError,
    EncodingError,
    InputError,
    MissingColumnsError,
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
from reunite.pipeline import Explanation, ScreenResult, explain, load_side, screen, screen_preview, train
from reunite.rescreen import RescreenReport, rescreen
from reunite.run_config import RunConfig
from reunite.store import Store, build_plan

__version__ = "0.1.0"

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
    "read_table",
    "rescreen",
    "screen",
    "screen_preview",
    "train",
]
