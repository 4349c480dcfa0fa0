"""No input may cost data or leak an ID (issue 10): outputs never overwrite inputs, are written whole,
and carry no unmasked resident ID number unless ``--reveal-ids``."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest
from stdnum.cn import ric

from reunite.cli import main
from reunite.errors import OutputError
from reunite.export import write_csv
from reunite.pipeline import screen

_ID_RUN = re.compile(r"(?<![0-9])[0-9]{17}[0-9X](?![0-9X])")


def _resident_id(birth: str, sequence: int) -> str:
    first17 = f"110105{birth}{sequence:03d}"
    return first17 + str(ric.calc_check_digit(first17 + "0"))


def _valid_ids(text: str) -> list[str]:
    return [found for found in _ID_RUN.findall(text) if ric.is_valid(found)]


def _write(path: Path, header: list[str], rows: list[list[str]], ragged: str = "") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
        handle.write(ragged)
    return path


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path, list[str]]:
    """Cases and candidates where person_id is the ID number itself, with a ragged row and a
    second person_id carrying an ID number already used."""
    ids = [_resident_id("19880503", 2), _resident_id("19900211", 4), _resident_id("19880612", 6),
           _resident_id("19891101", 8)]
    cases = _write(tmp_path / "cases.csv", ["case_id", "name", "sex", "birth_date", "missing_region"],
                   [["C1", "王小红", "女", "1988年5月", "110105"], ["C2", "李芳", "2", "1990", "110105"]])
    candidates = _write(
        tmp_path / "candidates.csv",
        ["person_id", "name", "sex", "birth_date", "id_number", "region"],
        [[ids[0], "王小红", "F", "1988-05-03", ids[0], "110105"],
         [ids[1], "李芳", "F", "1990-02-30", ids[1], "110105"],
         ["P-dup", "李芳", "F", "1990-02-11", ids[1], "110105"]],
        ragged=f"{ids[2]},张三,F,1988-06-12,{ids[2]},110105,extra cell\n",
    )
    return cases, candidates, ids


def test_no_file_the_run_writes_holds_an_unmasked_id(
    inputs: tuple[Path, Path, list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases, candidates, _ids = inputs
    assert _valid_ids(candidates.read_text(encoding="utf-8"))  # the check below can find them
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code = main(["screen", "--cases", str(cases), "--candidates", str(candidates), "--top-k", "3",
                 "--out", str(out_dir / "ranked.csv"), "--quarantine-dir", str(out_dir)])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    written = sorted(out_dir.iterdir())
    assert [p.name for p in written] == ["candidates.quarantine.csv", "ranked.csv"]
    for path in written:
        text = path.read_text(encoding="utf-8-sig")
        assert _valid_ids(text) == [], path.name
    assert _valid_ids(printed.out + printed.err) == []
    quarantine = (out_dir / "candidates.quarantine.csv").read_text(encoding="utf-8-sig")
    assert "wrong number of cells" in quarantine and "110105********" in quarantine
    assert "likely duplicate record" in quarantine  # P-dup carries ids[1], flagged and kept
    ranked = (out_dir / "ranked.csv").read_text(encoding="utf-8-sig")
    assert "P-dup" in ranked


def test_reveal_ids_writes_them(inputs: tuple[Path, Path, list[str]], tmp_path: Path) -> None:
    cases, candidates, ids = inputs
    out = tmp_path / "ranked.csv"
    assert main(["screen", "--cases", str(cases), "--candidates", str(candidates), "--out", str(out),
                 "--reveal-ids"]) == 0
    assert ids[0] in _valid_ids(out.read_text(encoding="utf-8-sig"))


def test_repr_of_a_result_holds_no_id(inputs: tuple[Path, Path, list[str]]) -> None:
    cases, candidates, ids = inputs
    result = screen(cases, candidates, top_k=2)
    assert ids[0] in result.columns["person_id"].tolist()
    assert _valid_ids(repr(result)) == []
    assert _valid_ids(repr(result.candidates)) == []
    assert all(_valid_ids(str(p)) == [] for p in result.candidates.report.problems)


def test_a_likely_duplicate_is_flagged_not_dropped(inputs: tuple[Path, Path, list[str]]) -> None:
    cases, candidates, _ = inputs
    report = screen(cases, candidates).candidates.report
    flagged = [p for p in report.problems if "likely duplicate" in p.reason]
    assert [(p.row, p.fatal) for p in flagged] == [(4, False)]
    assert report.read == report.accepted + report.quarantined == 4


@pytest.mark.parametrize("which", ["cases", "candidates", "link"])
def test_output_that_is_an_input_is_refused(inputs: tuple[Path, Path, list[str]], tmp_path: Path, which: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    cases, candidates, _ = inputs
    target = {"cases": cases, "candidates": candidates, "link": tmp_path / "link.csv"}[which]
    if which == "link":
        target.symlink_to(cases)
    before = cases.read_bytes(), candidates.read_bytes()
    code = main(["screen", "--cases", str(cases), "--candidates", str(candidates), "--out", str(target)])
    err = capsys.readouterr().err
    assert code == 2
    assert "expected a new file, got the input" in err and len(err.strip().splitlines()) == 1
    assert (cases.read_bytes(), candidates.read_bytes()) == before


def test_train_refuses_an_input_as_output_before_fitting(inputs: tuple[Path, Path, list[str]],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    cases, candidates, _ = inputs
    before = cases.read_bytes()
    assert main(["train", "--cases", str(cases), "--candidates", str(candidates), "--out", str(cases)]) == 2
    assert "expected a new file, got the input" in capsys.readouterr().err
    assert cases.read_bytes() == before


def test_missing_quarantine_dir_is_refused(inputs: tuple[Path, Path, list[str]], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    cases, candidates, _ = inputs
    missing = tmp_path / "nonexistent"
    code = main(["screen", "--cases", str(cases), "--candidates", str(candidates),
                 "--out", str(tmp_path / "ranked.csv"), "--quarantine-dir", str(missing)])
    assert code == 2
    assert f"--quarantine-dir {missing}: expected an existing folder" in capsys.readouterr().err
    assert not missing.exists() and not (tmp_path / "ranked.csv").exists()


def test_header_only_cases_file_is_refused(inputs: tuple[Path, Path, list[str]], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    _, candidates, _ = inputs
    empty = _write(tmp_path / "empty.csv", ["case_id", "name", "sex", "birth_date"], [])
    out = tmp_path / "ranked.csv"
    assert main(["screen", "--cases", str(empty), "--candidates", str(candidates), "--out", str(out)]) == 2
    assert "no cases to screen" in capsys.readouterr().err
    assert not out.exists()


def test_a_failed_write_leaves_the_old_file_and_no_half_file(tmp_path: Path) -> None:
    out = write_csv(tmp_path / "ranked.csv", ["a"], [["old"]])
    before = out.read_bytes()

    def rows() -> object:
        yield ["new"]
        raise OSError(28, "No space left on device")

    with pytest.raises(OutputError, match="No space left on device"):
        write_csv(out, ["a"], rows())  # type: ignore[arg-type]
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ranked.csv"]


def test_library_screen_refuses_empty_cases() -> None:
    people = pd.DataFrame({"person_id": ["P1"], "sex": ["F"], "birth_date": ["1988"]})
    cases = pd.DataFrame({"case_id": pd.Series([], dtype=str), "sex": pd.Series([], dtype=str),
                          "birth_date": pd.Series([], dtype=str)})
    with pytest.raises(ValueError, match="no cases to screen"):
        screen(cases, people)


def test_the_sampling_plan_holds_no_unmasked_id(inputs: tuple[Path, Path, list[str]], tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    cases, candidates, ids = inputs
    db = f"sqlite:///{tmp_path / 'r.db'}"
    assert main(["rescreen", "--db", db, "--cases", str(cases), "--candidates", str(candidates)]) == 0
    plan = tmp_path / "plan.csv"
    assert main(["plan", "--db", db, "--out", str(plan)]) == 0
    printed = capsys.readouterr()
    text = plan.read_text(encoding="utf-8-sig")
    assert "110105********" in text  # the persons are there, masked
    assert _valid_ids(text) == [] and _valid_ids(printed.out + printed.err) == []
    quarantine = sorted(tmp_path.glob("*.quarantine.csv"))
    assert quarantine and all(_valid_ids(q.read_text(encoding="utf-8-sig")) == [] for q in quarantine)
    assert main(["plan", "--db", db, "--out", str(plan), "--reveal-ids"]) == 0
    assert ids[0] in _valid_ids(plan.read_text(encoding="utf-8-sig"))


@pytest.mark.parametrize("option", ["--report", "--model-out"])
def test_an_output_named_like_a_quarantine_file_is_refused_not_overwritten(
    inputs: tuple[Path, Path, list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    """`screen ... --model-out candidates.quarantine.csv` wrote the fitted model, then the quarantine file
    over it, exit 0: the model was gone without a word (--out was checked, the other outputs not)."""
    cases, candidates, _ = inputs
    taken = tmp_path / "candidates.quarantine.csv"
    capsys.readouterr()
    assert main(["screen", "--cases", str(cases), "--candidates", str(candidates), "--out",
                 str(tmp_path / "ranked.csv"), option, str(taken)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"quarantine file {taken}: expected a new file" in err[0]
    assert not taken.exists() and not (tmp_path / "ranked.csv").exists()
