"""Synthetic cold cases with known answers, for measuring reunite.

``generate(n_cases, n_candidates, seed=..., config=SynthConfig(...))`` returns cases, candidates and the
truth; ``write(data, directory)`` puts them in the CSV contract's three files.
"""

from __future__ import annotations

from reunite.synth.config import TAG_RATES, SynthConfig
from reunite.synth.generator import TRUTH_COLUMNS, SynthData, SynthPaths, generate, write
from reunite.synth.profiles import Profile, random_config, random_profile, real_mix_config, real_mix_profile

__all__ = [
    "TAG_RATES",
    "TRUTH_COLUMNS",
    "Profile",
    "SynthConfig",
    "SynthData",
    "SynthPaths",
    "generate",
    "random_config",
    "random_profile",
    "real_mix_config",
    "real_mix_profile",
    "write",
]
