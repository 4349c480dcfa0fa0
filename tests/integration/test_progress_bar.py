"""``screen(progress=True)`` shows tqdm's bar on standard error; without it tqdm is not loaded at all
(a nightly re-screen from cron has no terminal)."""

from __future__ import annotations

import pandas as pd
import pytest

from reunite.pipeline import screen
from reunite.synth import generate


def test_the_bar_is_shown_only_when_asked_and_changes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    data = generate(12, 600, seed=5)
    cases, candidates = pd.DataFrame(data.cases), pd.DataFrame(data.candidates)
    quiet = screen(cases, candidates, top_k=5, fit_to_data=False)
    assert capsys.readouterr().err == ""
    shown = screen(cases, candidates, top_k=5, fit_to_data=False, progress=True)
    err = capsys.readouterr().err
    assert "screening" in err and "12/12" in err
    assert shown.to_pandas().equals(quiet.to_pandas())
