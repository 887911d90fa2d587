"""Named bad inputs, big inputs and a fuzz suite: a clear sentence every time, never a traceback."""

from __future__ import annotations

import os
import string
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Runner
from fuzz import assert_clean, call

GOOD = "X = [[1, 2], [3, 4]]\nWQ = [[1, 1]]\nWK = [[1, -1]]\nWV = [[2, 0]]\n"


def write(folder: Path, name: str, data: str | bytes) -> Path:
    path = folder / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


# Start-up: each command loads only what it needs (the timings themselves are in benchmarks/)

XLSX = ("openpyxl", "xlsxwriter", "bythand.render.xlsx", "bythand.xlsx_answers")  # only for workbooks
LOADED_BY = (
    "import sys\nfrom bythand.cli import main\ntry:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
    "print(' '.join(sorted(sys.modules)))"
)


@pytest.mark.parametrize(
    ("args", "never"),
    [
        (["--help"], {"numpy", "rich", "typst", "textual", "textual_serve", *XLSX}),
        (
            ["run"],
            {
                "typst",
                "json",
                "csv",
                "tempfile",
                "bythand.explain",
                "bythand.check",
                "textual",
                "textual_serve",
                "bythand.practice",
                "bythand.answers",
                "bythand.roster",
                *XLSX,
            },
        ),
        (["check", "--help"], {"typst", "numpy", "bythand.check", "bythand.roster", *XLSX}),
        (["check", "--template"], {"typst", "rich", *XLSX}),
        (
            ["worksheet", "--random", "-f", "typ", "-o", "/dev/null/x.typ"],
            {"typst", "bythand.check", "bythand.roster", *XLSX},
        ),
        (["run", "-f", "json"], {"typst", "rich", "bythand.render.terminal", *XLSX}),
        (["run", "-f", "markdown", "--show-work"], {"typst", "rich", "bythand.render.terminal", *XLSX}),
        (["run", "-f", "json"], {"bythand.layout", "bythand.render.canvas", "bythand.api", "bythand.steps"}),
        (["run", "--layout", "steps"], {"bythand.layout", "bythand.render.canvas", "bythand.api"}),
        (["run", "--layout", "sheet"], {"typst", "bythand.explain", "bythand.check", "bythand.api", *XLSX}),
        (["explain", "S[2,4]"], {"typst", "bythand.check", "bythand.layout", "rich"}),
        (["run", "-f", "numpy"], {"torch", "typst", "rich", "bythand.render.terminal", "bythand.frameworks"}),
        (["run", "-f", "pytorch"], {"torch", "typst", "rich", "bythand.render.terminal", "bythand.explain"}),
        (["--help"], {"numpy", "rich", "typst", "textual", "textual_serve", *XLSX}),
    ],
)
def test_a_command_loads_only_what_it_needs(args: list[str], never: set[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", LOADED_BY.format(args=args)], check=True, capture_output=True, text=True
    )
    loaded = set(done.stdout.split("\n")[-2].split())
    assert "bythand.cli" in loaded and not never & loaded, never & loaded


def test_the_practice_model_never_loads_textual() -> None:
    """The model, storage and grading of practice are plain Python; only the app imports Textual."""
    code = (
        "import sys\nimport bythand.practice.model, bythand.practice.storage, bythand.practice.geometry\n"
        "import bythand.practice.grading, bythand.practice.hints\n"
        "print(sorted(m for m in sys.modules if m.startswith(('textual', 'rich'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert done.stdout.strip() == "[]"


# Named bad inputs


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "X = [[nan, 1]]\nWQ = [[1, 1]]\nWK = [[1, 1]]\nWV = [[1, 1]]\n",
            "X row 1, column 1: nan is not allowed",
        ),
        (
            "X = [[1, inf]]\nWQ = [[1, 1]]\nWK = [[1, 1]]\nWV = [[1, 1]]\n",
            "X row 1, column 2: inf is not allowed",
        ),
        ("X = [[]]\nWQ = [[1]]\nWK = [[1]]\nWV = [[1]]\n", "X row 1 is empty"),
        (
            'X = [["two", 1]]\nWQ = [[1, 1]]\nWK = [[1, 1]]\nWV = [[1, 1]]\n',
            "X row 1, column 1: 'two' is not a number",
        ),
        (
            "X = [[true, 1]]\nWQ = [[1, 1]]\nWK = [[1, 1]]\nWV = [[1, 1]]\n",
            "X row 1, column 1: true is not a number",
        ),
        (
            'X = "1 2"\nWQ = [[1, 1]]\nWK = [[1, 1]]\nWV = [[1, 1]]\n',
            "X is a str; write it as a list of rows",
        ),
        ("title = 3\n" + GOOD, "title must be text, not 3"),
        (
            GOOD + "heads = 1.5\n",
            "heads must be a number (to split WQ, WK, WV) or a list of [[heads]] tables",
        ),
        (GOOD + "[options]\napprox = 1\n", "options.approx must be true or false, not 1"),
    ],
)
def test_named_bad_problem_files(cli: Runner, tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "p.toml", text)
    result = cli("run", str(path))
    assert result.code == 2
    assert result.err.startswith(f"Error: {path}: {message}"), result.err
    assert result.err.count("\n") == 1


def test_json_that_is_not_a_table(cli: Runner, tmp_path: Path) -> None:
    path = write(tmp_path, "p.json", "[1, 2]")
    result = cli("run", str(path))
    assert (
        result.err == f"Error: {path}: a problem file must hold a table of keys (title, X, WQ, WK, WV, ...)\n"
    )


def test_zero_sized_and_object_npy(cli: Runner, tmp_path: Path) -> None:
    np.save(tmp_path / "empty.npy", np.zeros((0, 3)))
    result = cli("run", "--x", str(tmp_path / "empty.npy"), "--wq", "1", "--wk", "1", "--wv", "1")
    assert (result.code, result.err) == (2, f"Error: {tmp_path / 'empty.npy'}: X is empty (shape 0×3)\n")
    np.save(tmp_path / "cube.npy", np.zeros((2, 2, 2)))
    result = cli("run", "--x", str(tmp_path / "cube.npy"), "--wq", "1", "--wk", "1", "--wv", "1")
    assert (
        result.err == f"Error: {tmp_path / 'cube.npy'}: X must be 2-dimensional, but it has 3 dimension(s)\n"
    )
    np.save(tmp_path / "nan.npy", np.array([[1.0, np.nan]]))
    result = cli("run", "--x", str(tmp_path / "nan.npy"), "--wq", "1", "--wk", "1", "--wv", "1")
    assert result.err == f"Error: {tmp_path / 'nan.npy'}: X row 1, column 2: nan is not allowed\n"
    write(tmp_path, "junk.npy", b"\x93NUMPY garbage")
    result = cli("run", "--x", str(tmp_path / "junk.npy"), "--wq", "1", "--wk", "1", "--wv", "1")
    assert result.code == 2 and result.err.startswith(
        f"Error: {tmp_path / 'junk.npy'}: not a valid .npy file"
    )


def test_file_beyond_the_size_limit(cli: Runner, tmp_path: Path) -> None:
    path = write(tmp_path, "big.toml", "# " + "x" * 2_000_001 + "\n" + GOOD)
    size = path.stat().st_size
    result = cli("run", str(path))
    assert result.err == f"Error: {path}: the file is {size:,} bytes; problem files are at most 2,000,000\n"


def test_binary_garbage(cli: Runner, tmp_path: Path) -> None:
    path = write(tmp_path, "p.toml", bytes(range(256)))
    result = cli("run", str(path))
    assert result.err == f"Error: {path}: not a text file (it is not valid UTF-8)\n"


def test_unreadable_file(cli: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "p.toml", GOOD)

    real_open = os.open

    def refuse(name: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if str(name) == str(path):
            raise PermissionError(13, "Permission denied")
        return real_open(name, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)  # root reads anything, so chmod cannot show this
    result = cli("run", str(path))
    assert (result.code, result.err) == (2, f"Error: {path}: permission denied\n")


def test_huge_exponents_are_refused_quickly(cli: Runner) -> None:
    big = ["--x", "1000", "--wq", "1000", "--wk", "1000", "--wv", "1"]
    result = cli("run", *big, "--exp", "3", "--scale", "none")
    assert result.code == 2 and "scaled[1,1] = 1000000000000: 3^1000000000000 is too large" in result.err
    result = cli(
        "run", "--x", "40", "--wq", "1", "--wk", "1", "--wv", "1", "--exp", "3", "--scale", "floor-half"
    )
    assert (
        result.code == 2 and "3^800 is too large" in result.err
    )  # past the float range: refused, not computed
    result = cli("run", "--x", "60", "--wq", "1", "--wk", "1", "--wv", "1", "--exp", "e", "--scale", "none")
    assert result.code == 2 and "e^3600 is too large" in result.err


def test_big_exact_integers_are_shown_short(cli: Runner) -> None:
    args = ["run", "--x", "20", "--wq", "1", "--wk", "1", "--wv", "1", "--exp", "3", "--scale", "floor-half"]
    result = cli(*args, "--step", "6", "-f", "plain")
    assert result.code == 0, result.err
    assert "2.66e95" in result.out  # 3^200, exact in the trace, short on screen
    assert max(len(line) for line in result.out.splitlines()) <= 80
    assert f'"exact": [["{3**200}"]]' in cli(*args, "-f", "json").out


# Big inputs


def test_big_matrices_are_elided_unless_full(cli: Runner, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    np.save(tmp_path / "x.npy", rng.integers(-2, 3, size=(4, 20)))
    np.save(tmp_path / "w.npy", rng.integers(-1, 2, size=(4, 4)))
    args = ["run", "--x", str(tmp_path / "x.npy")] + [
        a for f in ("--wq", "--wk", "--wv") for a in (f, str(tmp_path / "w.npy"))
    ]
    out = cli(*args, "--step", "8", "-f", "plain").out
    assert "⋯" in out and "q5" in out and "q20" in out and "q10" not in out and "k10" not in out
    assert "Note: ⋯ marks rows and columns left out; --full shows every cell" in out
    full = cli(*args, "--step", "8", "-f", "plain", "--full").out
    assert "⋯" not in full and "q10" in full and "k10" in full


def test_a_64_by_64_float_problem_runs(cli: Runner, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    np.save(tmp_path / "x.npy", rng.normal(size=(64, 64)))
    np.save(tmp_path / "w.npy", rng.normal(size=(64, 64)) / 8)
    args = ["run", "--x", str(tmp_path / "x.npy")] + [
        a for f in ("--wq", "--wk", "--wv") for a in (f, str(tmp_path / "w.npy"))
    ]
    result = cli(*args, "-f", "plain")
    assert result.code == 0, result.err
    assert "k64" in result.out and "⋯" in result.out
    assert max(len(line) for line in result.out.splitlines()) <= 80  # columns kept to fit the width


# The fuzz suite: short here, long with `pytest -m slow` (see README)

MATRIX_TEXT = st.text(alphabet=string.digits + " ,;\n-./ae" + "x[]", max_size=30)
OPTION_VALUES = st.one_of(st.sampled_from(["sqrt", "floor-half", "none", "e", "3", "2", "causal", "rows"]),
                          st.text(max_size=8))  # fmt: skip
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LONG = settings(max_examples=5000, deadline=None, suppress_health_check=list(HealthCheck))


def _inline(x: str, wq: str, wk: str, wv: str, scale: str, exp: str) -> None:
    assert_clean(*call("run", "--x", x, "--wq", wq, "--wk", wk, "--wv", wv, "--scale", scale, "--exp", exp))


def _file_text(text: str, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"p{suffix}"
        path.write_text(text, encoding="utf-8")
        assert_clean(*call("run", str(path), "-f", "json"))


def _file_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.toml"
        path.write_bytes(data)
        assert_clean(*call("run", str(path)))


def _options(flag: str, value: str) -> None:
    assert_clean(*call("run", flag, value, "-f", "json"))


TOML_PIECES = st.lists(
    st.sampled_from([
        "X = [[1, 2], [3, 4]]\n", "X = [[1, 2], [3]]\n", "WQ = [[1, 1]]\n", "WK = [[1, -1]]\n",
        "WV = [[2, 0]]\n",
        "WQ = [[1, 1, 1]]\n", 'WV = [["1/3", "x"]]\n', "C = [[1], [0]]\n", "heads = 2\n", "WO = [[1]]\n",
        "[options]\n", 'scale = "floor-half"\n', 'exp = "3"\n', 'mask = "causal"\n', 'convention = "rows"\n',
        "[[heads]]\n", "heads = [1]\n", "X = [[1e400]]\n", "WQ = [[0.5, -2]]\n", "= broken\n",
        "X = [[99, 99], [99, 99]]\n",
    ]),
    max_size=12,
).map("".join)  # fmt: skip
ANSWER_PIECES = st.lists(
    st.sampled_from([
        'name = "Ada"\n', "Q = [[2, 1, 0, 2], [0, 1, 1, 1], [3, 2, 2, 1]]\n", 'Q = [["?", "x"]]\n',
        'sums = ["46/3", 9.33, "?", 12]\n', 'A = [["9/46", 0.2, "1/0", "-inf"]]\n', 'S = [[1, 2], [3]]\n',
        'E = [["1e400"]]\n', "Z = 3\n", '[h1]\nQ = [[1]]\n', 'problem = "nowhere.toml"\n',
        'sheet = "11PVR6TRH"\n', 'sheet = "ZZZ"\n', 'example = "masked-6x4"\n', 'example = "nope"\n',
        "Qs = [[1]]\n", "scaled = [[]]\n",
        '"h9.A" = [[1]]\n', "= broken\n", 'KT = [["-0.5", "2/3", "+1"]]\n', "sums = [[0, 0, 0, 0]]\n",
    ]),
    max_size=10,
).map("".join)  # fmt: skip
CELL_NAMES = st.one_of(
    st.text(max_size=12),
    st.builds("{}[{},{}]".format, st.sampled_from(["S", "A", "h2.A", "sums", "Z", "concat", "q", "KT"]),
              st.integers(-2, 12), st.integers(-2, 12)),
    st.builds("{}[{}]".format, st.sampled_from(["sums", "S"]), st.text(max_size=4)),
)  # fmt: skip
SHEET_IDS = st.one_of(st.text(alphabet=string.ascii_uppercase + string.digits + "-", max_size=18),
                      st.just("11PVR6TRH"), st.text(max_size=18))  # fmt: skip
OPTION_FLAGS = st.sampled_from(
    [
        "--scale",
        "--exp",
        "--mask",
        "--convention",
        "--numbers",
        "--step",
        "--format",
        "--precision",
        "--heads",
    ]
)


@FUZZ
@given(MATRIX_TEXT, MATRIX_TEXT, MATRIX_TEXT, MATRIX_TEXT, OPTION_VALUES, OPTION_VALUES)
def test_fuzz_inline_matrices(x: str, wq: str, wk: str, wv: str, scale: str, exp: str) -> None:
    _inline(x, wq, wk, wv, scale, exp)


@FUZZ
@given(TOML_PIECES, st.sampled_from([".toml", ".json"]))
def test_fuzz_problem_files(text: str, suffix: str) -> None:
    _file_text(text, suffix)


@FUZZ
@given(st.binary(max_size=200))
def test_fuzz_binary_files(data: bytes) -> None:
    _file_bytes(data)


@FUZZ
@given(OPTION_FLAGS, OPTION_VALUES)
def test_fuzz_option_values(flag: str, value: str) -> None:
    _options(flag, value)


def _answers(text: str, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"answers{suffix}"
        path.write_text(text, encoding="utf-8")
        assert_clean(*call("check", str(path), "-f", "json"), graded=True)


def _cell(name: str) -> None:
    assert_clean(*call("explain", name))


def _sheet(sheet_id: str) -> None:
    assert_clean(*call("run", "--sheet", sheet_id, "--step", "9", "-f", "json"))


@FUZZ
@given(ANSWER_PIECES, st.sampled_from([".toml", ".json"]))
def test_fuzz_answer_files(text: str, suffix: str) -> None:
    _answers(text, suffix)


@FUZZ
@given(CELL_NAMES)
def test_fuzz_cell_names(name: str) -> None:
    _cell(name)


@FUZZ
@given(SHEET_IDS)
def test_fuzz_sheet_ids(sheet_id: str) -> None:
    _sheet(sheet_id)


@pytest.mark.slow
@LONG
@given(ANSWER_PIECES, st.sampled_from([".toml", ".json"]))
def test_fuzz_answer_files_long(text: str, suffix: str) -> None:
    _answers(text, suffix)


@pytest.mark.slow
@LONG
@given(CELL_NAMES)
def test_fuzz_cell_names_long(name: str) -> None:
    _cell(name)


@pytest.mark.slow
@LONG
@given(SHEET_IDS)
def test_fuzz_sheet_ids_long(sheet_id: str) -> None:
    _sheet(sheet_id)


@pytest.mark.slow
@LONG
@given(MATRIX_TEXT, MATRIX_TEXT, MATRIX_TEXT, MATRIX_TEXT, OPTION_VALUES, OPTION_VALUES)
def test_fuzz_inline_matrices_long(x: str, wq: str, wk: str, wv: str, scale: str, exp: str) -> None:
    _inline(x, wq, wk, wv, scale, exp)


@pytest.mark.slow
@LONG
@given(st.one_of(TOML_PIECES, st.text(max_size=200)), st.sampled_from([".toml", ".json"]))
def test_fuzz_problem_files_long(text: str, suffix: str) -> None:
    _file_text(text, suffix)


@pytest.mark.slow
@LONG
@given(st.binary(max_size=400))
def test_fuzz_binary_files_long(data: bytes) -> None:
    _file_bytes(data)


@pytest.mark.slow
@LONG
@given(OPTION_FLAGS, OPTION_VALUES)
def test_fuzz_option_values_long(flag: str, value: str) -> None:
    _options(flag, value)


def test_float_overflow_is_a_sentence_not_a_warning(cli: Runner, tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.array([[1e300, 1.0]]))
    result = cli("run", "--x", str(tmp_path / "x.npy"), "--wq", "1e-300", "--wk", "1e-300", "--wv", "1e10")
    assert (result.code, result.err) == (
        2,
        "Error: V[1,1] is beyond the floating-point range; use smaller inputs\n",
    )
    np.save(tmp_path / "y.npy", np.array([[1e200, -1e200]]))
    result = cli("run", "--x", str(tmp_path / "y.npy"), "--wq", "1e200", "--wk", "1e200", "--wv", "1")
    assert result.err == "Error: scaled[1,1] is beyond the floating-point range; use smaller inputs\n"


def test_a_usage_slip_is_one_line_even_with_debug(cli: Runner) -> None:
    result = cli("explain", "--debug")  # the cell is missing: nothing in typer's parser to report
    assert (result.code, result.out, result.err) == (2, "", "Error: Missing argument 'cell'.\n")


def test_debug_as_an_option_value_is_just_a_value(cli: Runner) -> None:
    result = cli("run", "--step", "--debug", "-f", "json")
    assert (result.code, result.err) == (
        2,
        "Error: --step: '--debug' is not a step or a range (write 4, 4-6, A, S-A or 2,7-8)\n",
    )
