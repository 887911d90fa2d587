"""`bythand practice` on the command line: which problem, which answers file, resuming, refusing, --web."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from practice_helpers import check_verdicts

from bythand.explain import Cell

from conftest import Runner


@pytest.fixture
def no_screen(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Any]:
    """Run the command in tmp_path with the app replaced by one that types a few keys' worth and quits."""
    from bythand.practice import app as practice_app

    opened: list[Any] = []

    def run(self: Any) -> None:
        opened.append(self.session)
        if self.session.editable(Cell("Q", 0, 0)):
            self.session.set(Cell("Q", 0, 0), "2")  # what typing "2" does, then saved as the screen saves
            from bythand.practice import storage

            self.saver(storage.dump(self.session))

    monkeypatch.setattr(practice_app.PracticeApp, "run", run)
    monkeypatch.chdir(tmp_path)
    return opened


def test_help_lists_the_options(cli: Runner) -> None:
    r = cli("practice", "--help")
    assert r.code == 0
    for flag in (
        "--example",
        "--sheet",
        "--random",
        "--mode",
        "--exam",
        "--fill",
        "--answers",
        "--web",
        "--port",
    ):
        assert flag in r.out


def test_a_new_session_is_saved_and_check_reads_it(cli: Runner, no_screen: list[Any], tmp_path: Path) -> None:
    r = cli("practice")
    assert r.code == 0, r.err
    path = tmp_path / "self-attention-6x4-answers.toml"
    assert r.out == (
        f"Saved {path.name}: 1 correct, 0 carried, 0 wrong, 127 blank of 128 cells. "
        f"Check it: bythand check {path.name}\n"
    )
    assert check_verdicts(path)[Cell("Q", 0, 0)] == "correct"
    checked = cli("check", str(path), "-f", "plain")
    assert checked.code == 1 and "1 correct, 0 carried, 0 wrong, 127 blank of 128 cells" in checked.out
    assert not (tmp_path / ".self-attention-6x4-answers.toml.lock").exists()


def test_resuming_by_the_file_and_by_the_same_problem(
    cli: Runner, no_screen: list[Any], tmp_path: Path
) -> None:
    assert cli("practice", "--example", "masked-6x4", "--mode", "steps").code == 0
    path = tmp_path / "masked-6x4-answers.toml"
    assert cli("practice", str(path)).code == 0
    resumed = no_screen[-1]
    assert resumed.mode == "steps" and resumed.text(Cell("Q", 0, 0)) == "2"
    assert cli("practice", "--example", "masked-6x4").code == 0  # the same problem: its own file again
    assert no_screen[-1].text(Cell("Q", 0, 0)) == "2"
    r = cli("practice", str(path), "--example", "masked-6x4")
    assert (r.code, r.err) == (
        2,
        f"Error: {path}: resuming saved answers, which name their problem and method; leave out --example\n",
    )


def test_never_writes_over_another_file(cli: Runner, no_screen: list[Any], tmp_path: Path) -> None:
    other = tmp_path / "self-attention-6x4-answers.toml"
    other.write_text("my notes\n", encoding="utf-8")
    r = cli("practice")
    assert r.code == 2 and "is not a bythand answers file" in r.err
    assert other.read_text(encoding="utf-8") == "my notes\n"
    assert cli("practice", "--example", "masked-6x4", "--answers", "mine.toml").code == 0
    before = (tmp_path / "mine.toml").read_text(encoding="utf-8")
    r = cli("practice", "--example", "cross-attention-6x4", "--answers", "mine.toml")
    assert r.code == 2 and "already holds answers to another problem or method" in r.err
    r = cli("practice", "--example", "masked-6x4", "--answers", "mine.toml", "--no-approx")
    assert r.code == 2 and "already holds answers to another problem or method" in r.err
    assert (tmp_path / "mine.toml").read_text(encoding="utf-8") == before


def test_givens_on_the_command_line_get_a_problem_file(
    cli: Runner, no_screen: list[Any], tmp_path: Path
) -> None:
    r = cli("practice", "--x", "1 0; 0 1", "--wq", "1 1", "--wk", "1 -1", "--wv", "2 0", "--scale", "none")
    assert r.code == 0, r.err
    answers, problem = tmp_path / "practice-answers.toml", tmp_path / "practice-answers-problem.toml"
    assert 'problem = "practice-answers-problem.toml"' in answers.read_text(encoding="utf-8")
    assert check_verdicts(answers)[Cell("Q", 0, 0)] == "wrong"  # Q = [1, 1]: the 2 typed is wrong
    assert cli("run", str(problem), "-f", "json").code == 0


def test_a_random_sheet_and_the_method_flags(cli: Runner, no_screen: list[Any], tmp_path: Path) -> None:
    r = cli("practice", "--random", "--seed", "7", "--difficulty", "easy")
    assert r.code == 0, r.err
    (path,) = tmp_path.glob("*-answers.toml")
    sheet = path.name.removesuffix("-answers.toml")
    assert f'sheet = "{sheet}"' in path.read_text(encoding="utf-8")
    assert cli("check", str(path)).code == 1  # graded against the sheet it names
    assert cli("practice", "--random", "--seed", "7", "--difficulty", "easy").code == 0  # same sheet, resumed
    rows = cli(
        "practice", "--example", "self-attention-6x4", "--convention", "rows", "--answers", "rows.toml"
    )
    assert rows.code == 0
    assert 'convention = "rows"' in (tmp_path / "rows.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mode", "fast"], "Error: --mode: unknown value 'fast' (choose free, steps)"),
        (["--port", "9000"], "Error: --host and --port are for --web"),
        (["--seed", "3"], "Error: --seed makes a random sheet; add --random"),
        (
            ["--random", "--example", "masked-6x4"],
            "Error: --random makes its own problem; leave out --example",
        ),
        (["--fill", "W"], "Error: --fill: unknown step 'W'"),
        (
            ["--answers", "a.json"],
            "Error: --answers a.json: practice saves TOML; give a name ending in .toml",
        ),
        (["--web", "--port", "0"], "Error: --port: '0' is not a whole number from 1 to 65535"),
    ],
)
def test_bad_flags_are_one_line(
    cli: Runner, no_screen: list[Any], args: list[str], message: str, tmp_path: Path
) -> None:
    (tmp_path / "answers.json").write_text('{"Q": [[1]]}', encoding="utf-8")
    r = cli("practice", *args)
    assert r.code == 2 and r.err.startswith(message) and r.err.count("\n") == 1, r.err


def test_one_file_one_session(cli: Runner, no_screen: list[Any], tmp_path: Path) -> None:
    from bythand.cli.practice import _lock

    held = _lock(tmp_path / "self-attention-6x4-answers.toml")
    try:
        r = cli("practice")
        assert r.code == 2 and "is open in another bythand practice" in r.err
    finally:
        held.close()


def test_web_serves_on_this_computer_unless_told(
    cli: Runner, no_screen: list[Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual_serve import server

    served: list[tuple[str, str, int]] = []
    monkeypatch.setattr(
        server.Server, "serve", lambda self, debug=False: served.append((self.command, self.host, self.port))
    )
    r = cli("practice", "--web")
    assert r.code == 0 and r.err == ""
    assert r.out.startswith("Serving bythand practice at http://127.0.0.1:8000")
    command, host, port = served[-1]
    assert (host, port) == ("127.0.0.1", 8000)
    assert command.endswith(f"-m bythand practice {tmp_path / 'self-attention-6x4-answers.toml'}")
    r = cli("practice", "--web", "--host", "0.0.0.0", "--port", "8123")
    assert r.err.startswith("Warning: serving on 0.0.0.0: anyone who can reach this computer")
    assert served[-1][1:] == ("0.0.0.0", 8123)
