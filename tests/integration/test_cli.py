"""The command line end to end: files in, files out, one clear line for a user's mistake."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from reunite.cli import main
from reunite.matching.model import FellegiSunter
from reunite.synth import generate, write


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("synth")
    write(generate(60, 3_000, seed=11), directory)
    return directory


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_screen_writes_a_spreadsheet_safe_ranked_csv(data: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ranked.csv"
    code = main(["screen", "--cases", str(data / "cases.csv"), "--candidates", str(data / "candidates.csv"),
                 "--top-k", "5", "--out", str(out)])
    assert code == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = _rows(out)
    assert {"case_id", "rank", "person_id", "score", "probability", "reasons"} <= set(rows[0])
    per_case: dict[str, list[int]] = {}
    for row in rows:
        per_case.setdefault(row["case_id"], []).append(int(row["rank"]))
    assert all(ranks == list(range(1, len(ranks) + 1)) and len(ranks) <= 5 for ranks in per_case.values())
    ids = [row["id_number"] for row in rows if row["id_number"]]
    assert ids and all("*" in value for value in ids)
    assert "ranked candidates" in capsys.readouterr().out


def test_exhaustive_screen_writes_the_same_bytes(data: Path, tmp_path: Path) -> None:
    args = ["screen", "--cases", str(data / "cases.csv"), "--candidates", str(data / "candidates.csv"),
            "--top-k", "5", "--seed", "2"]
    assert main([*args, "--out", str(tmp_path / "pruned.csv")]) == 0
    assert main([*args, "--out", str(tmp_path / "all.csv"), "--exhaustive"]) == 0
    assert (tmp_path / "pruned.csv").read_bytes() == (tmp_path / "all.csv").read_bytes()


def test_reveal_ids_writes_them_in_full(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "ranked.csv"
    main(["screen", "--cases", str(data / "cases.csv"), "--candidates", str(data / "candidates.csv"),
          "--top-k", "3", "--out", str(out), "--reveal-ids"])
    ids = [row["id_number"] for row in _rows(out) if row["id_number"]]
    assert ids and not any("*" in value for value in ids)


def test_preview_counts_pairs_without_writing(data: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["screen", "--cases", str(data / "cases.csv"), "--candidates", str(data / "candidates.csv"),
                 "--preview"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "birth_window" in printed and "total" in printed


def test_bad_rows_are_quarantined_and_counted(data: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    cases = tmp_path / "cases.csv"
    lines = (data / "cases.csv").read_text(encoding="utf-8").splitlines()
    header, first = lines[0], lines[1].split(",")
    first[0], first[3], first[4] = "BAD1", "3", "1990-02-30"
    cases.write_text("\n".join([header, ",".join(first), *lines[1:]]) + "\n", encoding="utf-8")
    out = tmp_path / "ranked.csv"
    assert main(["screen", "--cases", str(cases), "--candidates", str(data / "candidates.csv"),
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"read {len(lines)}, accepted {len(lines) - 1}, quarantined 1" in printed
    quarantine = _rows(tmp_path / "cases.quarantine.csv")
    assert [(r["row"], r["column"]) for r in quarantine] == [("2", "sex")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"case_id,name\nc1,x\n", "missing"),
        (b"", "empty"),
        (b"case_id,sex,birth_date\n\xff\xfe\xfa\xfb\x81\x30\x81\x30\xff\n", "byte"),
    ],
)
def test_a_users_mistake_is_one_line_and_exit_2(tmp_path: Path, data: Path, content: bytes, message: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    cases = tmp_path / "cases.csv"
    cases.write_bytes(content)
    code = main(["screen", "--cases", str(cases), "--candidates", str(data / "candidates.csv"),
                 "--out", str(tmp_path / "r.csv")])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err and message in err.lower()
    assert len(err.strip().splitlines()) <= 3


def test_missing_input_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["screen", "--cases", str(tmp_path / "nope.csv"), "--candidates", str(tmp_path / "no.csv"),
                 "--out", str(tmp_path / "r.csv")])
    assert code == 2
    assert "nope.csv" in capsys.readouterr().err


def test_an_output_folder_that_does_not_exist_is_one_line_before_any_work(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["screen", "--cases", str(data / "cases.csv"), "--candidates", str(data / "candidates.csv"),
                 "--out", str(tmp_path / "missing" / "r.csv")])
    captured = capsys.readouterr()
    assert code == 2
    assert "does not exist" in captured.err and "Traceback" not in captured.err
    assert "read" not in captured.out  # it stopped before reading the inputs


def test_train_from_confirmed_pairs_writes_a_loadable_model(data: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    truth = _rows(data / "truth.csv")
    confirmed = tmp_path / "confirmed.csv"
    with confirmed.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["case_id", "person_id"])
        writer.writerows((r["case_id"], r["person_id"]) for r in truth if r["person_id"])
    out = tmp_path / "model.json"
    assert main(["train", "--cases", str(data / "cases.csv"), "--candidates", str(data / "candidates.csv"),
                 "--confirmed", str(confirmed), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert all(f"cases of kind {kind}" in printed for kind in ("unknown", "baby", "child"))
    assert main(["train", "--cases", str(data / "cases.csv"), "--candidates", str(data / "candidates.csv"),
                 "--confirmed", str(confirmed), "--out", str(tmp_path / "zh.json"), "--lang", "zh"]) == 0
    chinese = capsys.readouterr().out
    assert "权重（比特），婴儿案件：" in chinese and "  出生日期" in chinese
    assert chinese.splitlines()[-1].startswith("模型 ")
    model = FellegiSunter.load(out)
    assert model.version != FellegiSunter.from_dict(model.to_dict() | {"m": {
        name: [1.0 / len(m)] * len(m) for name, m in zip(model.spec.comparisons, model.m_, strict=True)
    }}).version
    ranked = tmp_path / "ranked.csv"
    assert main(["screen", "--cases", str(data / "cases.csv"), "--candidates", str(data / "candidates.csv"),
                 "--model", str(out), "--out", str(ranked)]) == 0


def test_demo_runs_screens_and_evaluates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["demo", "--out-dir", str(tmp_path / "demo"), "--cases", "40", "--candidates", "2000"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "recall@10" in printed and "MRR" in printed
    assert (tmp_path / "demo" / "ranked.csv").exists()


def test_screen_learns_m_by_default_and_writes_the_fitted_model(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    from reunite.matching.model import default_model

    paths = write(generate(300, 6_000, seed=5), tmp_path / "data")
    shipped = default_model()
    fitted_path, kept_path = tmp_path / "fitted.json", tmp_path / "kept.json"
    base = ["screen", "--cases", str(paths.cases), "--candidates", str(paths.candidates), "--top-k", "3"]
    assert main([*base, "--out", str(tmp_path / "a.csv"), "--model-out", str(fitted_path)]) == 0
    assert "m fitted on 300 cases" in capsys.readouterr().out
    assert main([*base, "--out", str(tmp_path / "b.csv"), "--model-out", str(kept_path), "--no-fit"]) == 0
    assert "m fitted on" not in capsys.readouterr().out
    fitted, kept = FellegiSunter.load(fitted_path), FellegiSunter.load(kept_path)
    for kind in ("baby", "child"):
        assert any(abs(a - b).max() > 1e-3 for a, b in zip(fitted.m_of(kind), shipped.m_of(kind), strict=True))
        # --no-fit keeps the shipped m but for the levels that follow the data's rounded births and its
        # cases' shares of births known only to the month or year
        expected = FellegiSunter.from_dict(shipped.to_dict()).fit_rounded_share(kept.rounded_share or 0.0) \
            .fit_precision_shares(kept.precision_shares or {})
        assert all(abs(a - b).max() < 1e-6 for a, b in zip(kept.m_of(kind), expected.m_of(kind), strict=True))
    # u is refitted to the screened data either way
    assert any(abs(a - b).max() > 1e-3 for a, b in zip(kept.u_, shipped.u_, strict=True))


def test_model_out_may_not_overwrite_an_input(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["screen", "--cases", str(data / "cases.csv"), "--candidates", str(data / "candidates.csv"),
                 "--out", str(data / "out.csv"), "--model-out", str(data / "cases.csv")])
    assert code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_screen_today_reads_the_dates_as_on_that_day(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--today`` is the day dates are read against, so a screen can be repeated as it was: a birth
    in 2025-03 is in the future (flagged, read as unknown) as on 2025-01-15 and a month as on 2025-06-01;
    a prepared table read as on another day than it was prepared on is refused in one line."""
    cases = tmp_path / "cases.csv"
    cases.write_text("case_id,name,sex,birth_date\nC1,王红,F,2024-12\n", encoding="utf-8")
    people = tmp_path / "people.csv"
    people.write_text("person_id,name,sex,birth_date\nP1,王红,F,2025-03\nP2,王丽,F,2024-11-20\n", encoding="utf-8")
    for day, flagged in (("2025-01-15", True), ("2025-06-01", False)):
        out = tmp_path / f"ranked-{day}.csv"
        assert main(["screen", "--cases", str(cases), "--candidates", str(people), "--out", str(out),
                     "--today", day]) == 0
        printed = capsys.readouterr().out
        assert ("in the future" in printed) is flagged, printed
        with out.open(encoding="utf-8-sig") as handle:
            ranked = {row["person_id"]: row["birth_date"] for row in csv.DictReader(handle)}
        assert ranked["P2"] == "2024-11-20"
        assert ("P1" in ranked) is not flagged  # an unknown birth is outside every birth window
    prepared = tmp_path / "people.parquet"
    assert main(["prepare", "--candidates", str(people), "--out", str(prepared), "--today", "2025-06-01"]) == 0
    capsys.readouterr()
    assert main(["screen", "--cases", str(cases), "--candidates", str(prepared), "--out",
                 str(tmp_path / "again.csv"), "--today", "2025-06-01"]) == 0
    capsys.readouterr()
    assert main(["screen", "--cases", str(cases), "--candidates", str(prepared), "--out",
                 str(tmp_path / "other.csv"), "--today", "2025-01-15"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "prepared as on 2025-06-01, not --today 2025-01-15" in err[0], err
    assert not (tmp_path / "other.csv").exists()
