"""Issue 10: a stored candidate that the current code reads differently. The stored sums hold each
candidate's terms as the code of the night that scored it read the row; a night merges by scoring a
changed candidate's *stored* previous version again to take its old terms out, and keeps every
unchanged candidate's terms as they are. Both are exact only while the code reads a stored row as it
read it then. After an upgrade of the reader or the normalizer (their code, tables or pypinyin: the
fingerprint :func:`reunite.stored_records.fingerprint`), a stored row may read differently or not at
all, so the first night after it must screen every open case in full, as a full run would."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import update

from reunite import pipeline, stored_records
from reunite.errors import StoreError
from reunite.normalize import RecordTable
from reunite.rescreen import rescreen, verify
from reunite.store import Store
from reunite.store.models import Run
from reunite.synth import generate

_DATA = generate(6, 400, seed=11)
CASES, CANDIDATES = pd.DataFrame(_DATA.cases), pd.DataFrame(_DATA.candidates)


def _upgrade(monkeypatch: pytest.MonkeyPatch) -> None:
    """Another version of the normalizer: it reads every candidate's birth date a year later."""
    original = pipeline.normalize

    def normalize(raw: object, **options: object) -> RecordTable:
        table = original(raw, **options)  # type: ignore[arg-type]
        if table.side != "candidates":
            return table
        return dataclasses.replace(table, birth_lo=(table.birth_lo + 365).astype(table.birth_lo.dtype),
                                   birth_hi=(table.birth_hi + 365).astype(table.birth_hi.dtype))

    monkeypatch.setattr(pipeline, "normalize", normalize)
    monkeypatch.setattr(stored_records, "fingerprint", lambda: "an-upgraded-normalizer")


def test_the_first_night_after_a_normalizer_upgrade_screens_in_full(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    assert rescreen(store, cases=CASES, candidates=CANDIDATES.iloc[:300], top_k=3).kind == "full"
    _upgrade(monkeypatch)
    with pytest.raises(StoreError, match="normalizer changed"):  # the stored ranking was read by other code
        verify(store)
    edited = CANDIDATES.iloc[:320].copy()
    edited.loc[0, "name"] = str(edited.loc[0, "name"]) + "华"  # a changed one: its old version is read again
    report = rescreen(store, candidates=edited, top_k=3)
    assert report.kind == "full" and "normalizer" in report.reason
    check = verify(store)
    assert check.equal, check.differences[:5]
    # the next night, under the same code, is incremental again and still equals a full screen
    assert rescreen(store, candidates=CANDIDATES.iloc[:340], top_k=3).kind == "incremental"
    assert verify(store).equal


def test_a_store_whose_model_does_not_record_its_normalizer_is_screened_in_full_once(store: Store) -> None:
    assert rescreen(store, cases=CASES, candidates=CANDIDATES.iloc[:300], top_k=3).kind == "full"
    stored = store.fitted_model()
    assert stored is not None
    assert store.run_info(stored.run_id)["input_counts"]["normalized_with"] == stored_records.fingerprint()
    # as a store written by a reunite that did not record it: a night cannot know how its rows were read
    with store.engine.begin() as connection:
        counts = dict(store.run_info(stored.run_id)["input_counts"])
        del counts["normalized_with"]
        connection.execute(update(Run).where(Run.c.id == stored.run_id).values(input_counts=counts))
    report = rescreen(store, candidates=CANDIDATES.iloc[:310], top_k=3)
    assert report.kind == "full" and "normalizer" in report.reason
    assert rescreen(store, candidates=CANDIDATES.iloc[:320], top_k=3).kind == "incremental"
    assert np.isfinite([r.probability for r in store.current_topk()]).all()
