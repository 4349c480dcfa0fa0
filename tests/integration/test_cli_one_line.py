"""One clear line, never a traceback, for a user's mistake (issue 10); run arguments checked once."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import reunite
from reunite.cli import main
from reunite.errors import ConfigError
from reunite.run_config import DEFAULT_TOP_K


def test_evaluate_with_a_missing_ranked_file(data: Path, tmp_path: Path, one_line: Callable[..., str]) -> None:
    assert main(["evaluate", "--truth", str(data / "truth.csv"), "--ranked", str(tmp_path / "nope.csv")]) == 2
    one_line("nope.csv", "cannot read it")


@pytest.mark.parametrize("garbage", [b"\x00\x01\x02binary\xff\xfe", b"\xff\xfe\xfa\x80\x81 not text", b"a,b\n1,2\n",
                                     b'"unclosed,quote\n'])
def test_evaluate_with_a_garbage_file(data: Path, tmp_path: Path, garbage: bytes,
                                      one_line: Callable[..., str]) -> None:
    ranked = tmp_path / "garbage.csv"
    ranked.write_bytes(garbage)
    assert main(["evaluate", "--truth", str(data / "truth.csv"), "--ranked", str(ranked)]) == 2
    one_line("garbage.csv")


def test_train_checks_its_output_before_fitting(data: Path, one_line: Callable[..., str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import reunite.pipeline

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("train ran before its output was checked")

    monkeypatch.setattr(reunite.pipeline, "train", fail)
    assert main(["train", "--cases", str(data / "cases.csv"), "--candidates", str(data / "candidates.csv"),
                 "--out", "/nonexistent/m.json"]) == 2
    one_line("--out /nonexistent/m.json", "does not exist")


def test_generate_into_an_unwritable_folder(one_line: Callable[..., str]) -> None:
    assert main(["generate", "--out-dir", "/proc/x", "--cases", "2", "--candidates", "20"]) == 2
    one_line("--out-dir /proc/x")


def test_a_bad_option_value_is_one_line(data: Path, one_line: Callable[..., str]) -> None:
    assert main(["screen", "--cases", str(data / "cases.csv"), "--candidates", "x.csv", "--top-k", "five"]) == 2
    one_line("--top-k", "invalid int value")
    assert main(["screen", "--cases", str(data / "cases.csv"), "--candidates", str(data / "candidates.csv"),
                 "--top-k", "0", "--preview"]) == 2
    one_line("top_k: expected a whole number >= 1, got 0")


@pytest.mark.parametrize("top_k", ["5", None, 2.5, 0, True])
def test_screen_refuses_a_top_k_that_is_not_a_whole_number(data: Path, top_k: object) -> None:
    with pytest.raises(ConfigError, match="top_k: expected a whole number >= 1"):
        reunite.screen(data / "cases.csv", data / "candidates.csv", top_k=top_k)  # type: ignore[arg-type]


def test_screen_takes_a_model_path_as_the_cli_does(data: Path, tmp_path: Path) -> None:
    model = reunite.default_model()
    path = model.save(tmp_path / "m.json")
    by_path = reunite.screen(data / "cases.csv", data / "candidates.csv", top_k=3, model=str(path))
    by_object = reunite.screen(data / "cases.csv", data / "candidates.csv", top_k=3, model=model)
    assert by_path.to_pandas().equals(by_object.to_pandas())
    with pytest.raises(ConfigError, match="model: expected a FellegiSunter, a path"):
        reunite.screen(data / "cases.csv", data / "candidates.csv", model=3)  # type: ignore[arg-type]


def test_one_default_top_k_for_screen_rescreen_and_plan() -> None:
    from reunite.cli import _parser

    parser = _parser()
    assert parser.parse_args(["screen", "--cases", "a.csv", "--candidates", "b.csv"]).top_k == DEFAULT_TOP_K
    # rescreen keeps the store's top-k (a night run without --top-k re-screened everything at the
    # default's depth); a first run takes DEFAULT_TOP_K (test_rescreen_hostile.py)
    assert parser.parse_args(["rescreen", "--db", "sqlite:///x.db"]).top_k is None
    # plan and export read the stored ranking: by default as deep as the last re-screen kept it
    assert parser.parse_args(["plan", "--db", "sqlite:///x.db", "--out", "p.csv"]).top_k is None
    assert parser.parse_args(["export", "--db", "sqlite:///x.db", "--out", "r.csv"]).top_k is None
    assert reunite.RunConfig().top_k == DEFAULT_TOP_K


def test_explain_one_pair(data: Path, capsys: pytest.CaptureFixture[str], one_line: Callable[..., str]) -> None:
    truth = pd.read_csv(data / "truth.csv", dtype=str).dropna()
    case_id, person_id = truth.iloc[0]["case_id"], truth.iloc[0]["person_id"]
    assert main(["explain", "--cases", str(data / "cases.csv"), "--candidates", str(data / "candidates.csv"),
                 "--case", case_id, "--person", person_id]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"case {case_id} / person {person_id}: score")
    result = reunite.screen(data / "cases.csv", data / "candidates.csv")
    assert str(result.explain(case_id, person_id)) == out.strip()
    assert main(["explain", "--cases", str(data / "cases.csv"), "--candidates", str(data / "candidates.csv"),
                 "--case", case_id, "--person", person_id, "--lang", "zh"]) == 0
    chinese = capsys.readouterr().out.splitlines()
    assert chinese[0].startswith(f"案件 {case_id} / 人员 {person_id}：得分")
    assert chinese[1].split()[0] == "名字" and len(chinese) == len(out.strip().splitlines())
    assert main(["explain", "--cases", str(data / "cases.csv"), "--candidates", str(data / "candidates.csv"),
                 "--case", case_id, "--person", "nobody"]) == 2
    one_line("person_id 'nobody' is not in the screened data")


def test_mapping_option_maps_a_header(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      one_line: Callable[..., str]) -> None:
    cases = pd.read_csv(data / "cases.csv", dtype=str, keep_default_na=False).rename(columns={"birth_date": "生辰"})
    renamed = tmp_path / "cases.csv"
    cases.to_csv(renamed, index=False)
    argv = ["screen", "--cases", str(renamed), "--candidates", str(data / "candidates.csv"), "--preview"]
    assert main(argv) == 2
    one_line("missing required cases column(s) 'birth_date'", "--mapping 'your header=column'")
    assert main([*argv, "--mapping", "生辰=birth_date"]) == 0
    assert "birth_window" in capsys.readouterr().out


def test_a_closed_pipe_ends_the_report_quietly(data: Path, tmp_path: Path) -> None:
    # `reunite screen ... | head -1`: the ranking is still written, no traceback
    out = tmp_path / "ranked.csv"
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; from reunite.cli import main; sys.exit(main(sys.argv[1:]))",
         "screen", "--cases", str(data / "cases.csv"), "--candidates", str(data / "candidates.csv"),
         "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader goes away before the first line
    with process.stderr:
        err = process.stderr.read().decode("utf-8")
    assert process.wait(timeout=120) == 0, err
    assert "Traceback" not in err and "BrokenPipe" not in err
    assert out.exists()


def test_plan_and_train_check_their_arguments_with_the_run_config(data: Path, tmp_path: Path,
                                                                   one_line: Callable[..., str]) -> None:
    assert main(["plan", "--db", f"sqlite:///{tmp_path}/r.db", "--top-k", "0", "--out", str(tmp_path / "p.csv")]) == 2
    one_line("top_k: expected a whole number >= 1, got 0")
    with pytest.raises(ConfigError, match="seed: expected a whole number >= 0, got -1"):
        reunite.train(data / "cases.csv", data / "candidates.csv", seed=-1)


def test_generate_does_not_replace_a_folder_s_data_unless_told(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """`reunite generate --out-dir data/` replaced the real cases.csv there with synthetic cases, exit 0."""
    real = tmp_path / "cases.csv"
    real.write_text("case_id,name\nREAL1,王芳\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["generate", "--out-dir", str(tmp_path), "--cases", "2", "--candidates", "20"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--overwrite" in err[0] and "cases.csv" in err[0]
    assert real.read_text(encoding="utf-8") == "case_id,name\nREAL1,王芳\n"
    assert not (tmp_path / "candidates.csv").exists()
    assert main(["generate", "--out-dir", str(tmp_path), "--cases", "2", "--candidates", "20", "--overwrite"]) == 0
    assert "REAL1" not in real.read_text(encoding="utf-8")


def test_demo_replaces_only_a_folder_it_wrote(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`reunite demo --out-dir data/` replaced the real cases.csv there, as generate did."""
    real = tmp_path / "real"
    real.mkdir()
    (real / "cases.csv").write_text("case_id,name\nREAL1,王芳\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["demo", "--out-dir", str(real), "--cases", "10", "--candidates", "200"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cases.csv" in err[0] and "did not write" in err[0]
    assert (real / "cases.csv").read_text(encoding="utf-8") == "case_id,name\nREAL1,王芳\n"
    assert not (real / "candidates.csv").exists()
    demo = tmp_path / "demo"
    for _ in range(2):  # its own folder: run again, it replaces its files
        assert main(["demo", "--out-dir", str(demo), "--cases", "10", "--candidates", "200"]) == 0
    assert (demo / "ranked.csv").exists()


def test_a_top_k_beyond_the_bound_is_refused_in_one_line(data: Path, tmp_path: Path,
                                                        one_line: Callable[..., str]) -> None:
    """`--top-k 1000000000` was taken: every pair of every birth window kept, in memory, and written."""
    from reunite.run_config import MAX_TOP_K

    assert reunite.RunConfig(top_k=MAX_TOP_K).top_k == 1_000
    out = tmp_path / "r.csv"
    files = ["--cases", str(data / "cases.csv"), "--candidates", str(data / "candidates.csv")]
    assert main(["screen", *files, "--out", str(out), "--top-k", str(10**9)]) == 2
    one_line("top_k: expected a whole number from 1 to 1,000", "got 1,000,000,000")
    assert not out.exists()
    assert main(["demo", "--out-dir", str(tmp_path / "demo"), "--top-k", "1001"]) == 2
    one_line("got 1,001")
    assert not (tmp_path / "demo").exists()
    db = tmp_path / "r.db"
    assert main(["rescreen", "--db", f"sqlite:///{db}", *files, "--top-k", "5000"]) == 2
    one_line("got 5,000")
    assert not db.exists()
    with pytest.raises(ConfigError, match="from 1 to 1,000"):
        reunite.screen(data / "cases.csv", data / "candidates.csv", top_k=MAX_TOP_K + 1)


def test_a_seed_the_store_cannot_hold_is_refused_before_the_store_is_made(data: Path, tmp_path: Path,
                                                                         one_line: Callable[..., str]) -> None:
    """`reunite rescreen --seed 9223372036854775808` made the database, stored the rows, then died on
    "OverflowError: Python int too large to convert to SQLite INTEGER" (a traceback)."""
    db = tmp_path / "r.db"
    files = ["--cases", str(data / "cases.csv"), "--candidates", str(data / "candidates.csv")]
    assert main(["rescreen", "--db", f"sqlite:///{db}", *files, "--seed", str(2**63)]) == 2
    one_line("seed: expected a whole number from 0 to 9,223,372,036,854,775,807")
    assert not db.exists()
    assert main(["screen", *files, "--out", str(tmp_path / "r.csv"), "--seed", str(2**63)]) == 2
    one_line("seed: expected a whole number")


def test_generate_and_demo_refuse_counts_beyond_the_machine_s_memory(tmp_path: Path,
                                                                     one_line: Callable[..., str],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """`reunite generate --cases 1000000000` was killed by the system (or printed numpy's "Unable to allocate
    7.45 GiB" traceback under a memory limit)."""
    out = tmp_path / "g"
    assert main(["generate", "--out-dir", str(out), "--cases", str(10**12), "--candidates", "10"]) == 2
    one_line("--cases 1,000,000,000,000 and --candidates 10", "GiB of memory", "ask for fewer")
    assert main(["demo", "--out-dir", str(out), "--cases", "10", "--candidates", str(10**12)]) == 2
    one_line("GiB of memory")
    assert not out.exists()
    import reunite.synth

    def no_memory(*args: object, **kwargs: object) -> None:
        raise MemoryError("Unable to allocate 7.45 GiB")

    monkeypatch.setattr(reunite.synth, "generate", no_memory)  # a count that fits, in a process that does not
    assert main(["generate", "--out-dir", str(out), "--cases", "10", "--candidates", "100"]) == 2
    one_line("reunite generate: error: not enough memory")


def test_a_mapping_that_would_misread_or_map_nothing_is_refused(data: Path, tmp_path: Path,
                                                                one_line: Callable[..., str]) -> None:
    """Silent before: `--mapping name=case_id` ranked the cases under their names (the case_id column dropped,
    unnamed cases quarantined as "empty id"), `name=id_number` (meant for the candidates) dropped the cases'
    names, and a header no input has (`nosuch=marks`, a typo) changed nothing -- all exit 0."""
    out = tmp_path / "r.csv"
    files = ["--cases", str(data / "cases.csv"), "--candidates", str(data / "candidates.csv")]
    for entry, needle in (("name=case_id", "header 'case_id' is already read as 'case_id'"),
                          ("name=id_number", "this cases file would lose its 'name' column"),
                          ("nosuch=marks", "--mapping 'nosuch=marks') maps nothing: cases.csv, candidates.csv")):
        assert main(["screen", *files, "--out", str(out), "--mapping", entry]) == 2
        one_line(needle)
        assert not out.exists()
    for command in (["train", "--out", str(tmp_path / "m.json")],
                    ["explain", "--case", "C000001", "--person", "P0000001"]):
        assert main([command[0], *files, *command[1:], "--mapping", "nosuch=marks"]) == 2
        one_line("maps nothing")
    prepared = tmp_path / "p.parquet"
    assert main(["prepare", "--candidates", str(data / "candidates.csv"), "--out", str(prepared),
                 "--mapping", "登记日=registration_date"]) == 2
    one_line("maps nothing: candidates.csv has no header '登记日'")
    assert main(["prepare", "--candidates", str(data / "candidates.csv"), "--out", str(prepared),
                 "--mapping", "marks=missing_date"]) == 2  # a cases column: the candidates would lose their marks
    one_line("candidates file would lose its 'marks' column")
    assert not prepared.exists()
    db = tmp_path / "r.db"
    assert main(["rescreen", "--db", f"sqlite:///{db}", *files, "--mapping", "nosuch=marks"]) == 2
    one_line("maps nothing")
    from reunite.store import Store

    with Store.open(f"sqlite:///{db}") as store:
        assert store.read_rows("cases") == [] and store.last_run_id() is None
    # one mapping file for every night: a night that brings only candidates leaves the cases' entries alone
    assert main(["rescreen", "--db", f"sqlite:///{db}", *files, "--top-k", "2"]) == 0
    assert main(["rescreen", "--db", f"sqlite:///{db}", "--candidates", str(data / "candidates.csv"),
                 "--mapping", "走失日期=missing_date"]) == 0
    cases = pd.read_csv(data / "cases.csv", dtype=str, keep_default_na=False)
    with pytest.raises(ConfigError, match="maps nothing"):
        reunite.screen(cases, data / "candidates.csv", mapping={"Nmae": "name"})


def test_train_says_which_confirmed_pairs_it_could_not_use(data: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """A confirmed pair of a case or person not in the files (a typo, a case since removed) was left out of the
    fit without a word; only a file of which no pair was in the data was refused."""
    truth = pd.read_csv(data / "truth.csv", dtype=str).dropna()
    good = truth.iloc[:2][["case_id", "person_id"]].values.tolist()
    confirmed = tmp_path / "confirmed.csv"
    lines = ["case_id,person_id", *(f"{c},{p}" for c, p in good), "C999999,P0000001", ",P0000002"]
    confirmed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["train", "--cases", str(data / "cases.csv"), "--candidates", str(data / "candidates.csv"),
                 "--confirmed", str(confirmed), "--out", str(tmp_path / "m.json")]) == 0
    out = capsys.readouterr().out
    assert "confirmed.csv: 2 of 4 confirmed pairs are not in these cases and candidates and were not used " \
           "(rows 4, 5)" in out
