"""What a re-screen did: :class:`RescreenReport`, and the kinds of run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from reunite.i18n import Language, text
from reunite.ingest import IngestReport
from reunite.merge import FullScreenCause

__all__ = ["RescreenKind", "RescreenReport"]

RescreenKind = Literal["full", "incremental", "nothing"]


@dataclass(frozen=True, slots=True)
class RescreenReport:
    """What a re-screen did.

    ``cases_screened_all`` were screened against every candidate, ``cases_screened_delta`` against
    the new and changed candidates only; ``cases_with_new_candidates`` counts open cases whose
    top-k now holds a person it did not hold before the run. An incremental run also says how
    many candidates its delta screens took (``delta_candidates``: new, changed, removed, read
    otherwise today or written outside a run) and why each case screened against every candidate
    was (``screened_all_because``, :func:`reunite.merge.full_screen_causes`).
    """

    kind: RescreenKind
    reason: str
    run_id: int | None
    model_version: str
    top_k: int
    new_cases: int
    changed_cases: int
    new_candidates: int
    changed_candidates: int
    cases_screened_all: int
    cases_screened_delta: int
    pairs_compared: int
    cases_with_new_candidates: int
    ingest: tuple[IngestReport, ...]
    seconds: float
    removed_cases: int = 0
    removed_candidates: int = 0
    restored_cases: int = 0
    restored_candidates: int = 0
    delta_candidates: int = 0
    screened_all_because: Mapping[FullScreenCause, int] = field(default_factory=dict)

    def summary(self, lang: Language = "en") -> str:
        """A few lines a person reads (in ``lang``; a run's reason stays as the run recorded it, a night
        with nothing to do has the one reason, said in ``lang``)."""
        changes = text(lang, "rescreen_changes", new_cases=self.new_cases, changed_cases=self.changed_cases,
                       new_candidates=self.new_candidates, changed_candidates=self.changed_candidates)
        if self.removed_cases or self.removed_candidates:
            changes += text(lang, "rescreen_removed", cases=self.removed_cases, candidates=self.removed_candidates)
        if self.restored_cases or self.restored_candidates:
            changes += text(lang, "rescreen_restored", cases=self.restored_cases,
                            candidates=self.restored_candidates)
        if self.kind == "nothing":
            return text(lang, "rescreen_nothing", changes=changes, top_k=self.top_k,
                        reason=text(lang, "rescreen_nothing_reason"))
        return "\n".join([
            text(lang, "rescreen_run", run=self.run_id, kind=text(lang, f"rescreen_kind_{self.kind}"),
                 reason=self.reason, model=self.model_version),
            changes,
            self._screened(lang),
            text(lang, "rescreen_new_in_top", n=self.cases_with_new_candidates, top_k=self.top_k),
            text(lang, "msg_done", seconds=self.seconds),
        ])

    def _screened(self, lang: Language) -> str:
        if self.kind != "incremental":
            return text(lang, "rescreen_screened", all=self.cases_screened_all, delta=self.cases_screened_delta,
                        pairs=self.pairs_compared)
        why = text(lang, "list_separator").join(
            text(lang, f"rescreen_because_{cause}", n=n) for cause, n in self.screened_all_because.items())
        return text(lang, "rescreen_screened_night" if self.delta_candidates else "rescreen_screened_no_delta",
                    all=self.cases_screened_all, why=text(lang, "rescreen_because", why=why) if why else "",
                    delta=self.cases_screened_delta, candidates=self.delta_candidates, pairs=self.pairs_compared)
