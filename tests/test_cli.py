"""The command line as a user meets it: output, formats, exit codes and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bythand.render.palette import ROLES

from conftest import Runner

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
SHEET = str(ROOT / "worksheets" / "self-attention-6x4.toml")
UPDATE = os.environ.get("BYTHAND_UPDATE_SNAPSHOTS") == "1"


def snapshot(name: str, text: str) -> None:
    """Compare with tests/snapshots/NAME (BYTHAND_UPDATE_SNAPSHOTS=1 rewrites it after a review)."""
    path = SNAPSHOTS / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def strict_json(text: str) -> Any:
    def refuse(token: str) -> None:
        raise AssertionError(f"non-standard JSON token {token}")

    return json.loads(text, parse_constant=refuse)


def test_default_run_plain_snapshot(cli: Runner) -> None:
    result = cli("run", "--format", "plain")
    assert result.code == 0, result.err
    assert result.err == ""
    snapshot("classic-plain.txt", result.out)
    assert all(ord(ch) < 128 or ch in "·⌊⌋√ᵀ×Σ∞−" for ch in result.out if ch not in "─│")
    assert max(len(line) for line in result.out.splitlines()) <= 80


def test_default_run_truecolor_snapshot_pins_the_palette(
    cli: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("COLORTERM", "truecolor")
    result = cli("run")
    assert result.code == 0, result.err
    snapshot("classic-truecolor.txt", result.out)
    for role in ("features", "weights", "qkv", "matmul", "scaled", "softmax", "attention", "output"):
        r, g, b = (int(ROLES[role][i : i + 2], 16) for i in (1, 3, 5))
        assert f"38;2;{r};{g};{b}m" in result.out, role


def test_piped_and_no_color_output_has_no_ansi_codes(cli: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "\x1b[" not in cli("run").out  # captured output is not a terminal
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("NO_COLOR", "1")
    out = cli("run").out
    assert "\x1b[" not in out
    assert "Step 9 · MatMul" in out and "180/23" in out


def test_problem_file_gives_the_same_output_as_the_builtin_example(cli: Runner) -> None:
    assert cli("run", SHEET).out == cli("run").out
    assert cli("run", SHEET, "-f", "json").out == cli("run", "-f", "json").out


def test_cross_layout_puts_operands_left_and_above(cli: Runner) -> None:
    out = cli("run", "--step", "9", "-f", "plain").out.splitlines()
    top = next(i for i, line in enumerate(out) if line.strip() == "A")
    left = next(i for i, line in enumerate(out) if "Z = V·A" in line and line.lstrip().startswith("V"))
    assert top < left
    row = next(line for line in out if "180/23" in line)
    assert row.startswith("|  1      20       0       0      20  |  |  1  180/23    90/7  180/11    10/3  |")


def test_step_selection(cli: Runner) -> None:
    out = cli("run", "--step", "4").out
    assert "Step 4 · MatMul" in out and "S = Kᵀ·Q" in out
    assert "Step 3" not in out and "Step 5" not in out
    out = cli("run", "--step", "4-6").out
    assert [n for n in range(1, 10) if f"Step {n} ·" in out] == [4, 5, 6]
    out = cli("run", "--step", "2,7-8").out
    assert [n for n in range(1, 10) if f"Step {n} ·" in out] == [2, 7, 8]


def test_json_contract(cli: Runner) -> None:
    result = cli("run", "--format", "json")
    assert result.code == 0
    data = strict_json(result.out)
    assert set(data) == {"version", "convention", "options", "exact", "output", "steps", "matrices"}
    assert data["convention"] == "columns"
    assert data["options"] == {"scale": "floor-half", "exp": "3", "mask": "none"}
    assert data["exact"] is True and data["output"] == "Z"
    assert data["steps"][0] == {"number": 1, "title": "Given", "matrices": ["X", "WQ", "WK", "WV"]}
    assert [s["number"] for s in data["steps"]] == list(range(1, 10))
    names = {"X", "WQ", "WK", "WV", "Q", "K", "V", "KT", "S", "scaled", "E", "sums", "A", "Z"}
    assert set(data["matrices"]) == names
    q = data["matrices"]["Q"]
    assert q == {
        "shape": [3, 4],
        "values": [[2.0, 1.0, 0.0, 2.0], [0.0, 1.0, 1.0, 1.0], [3.0, 2.0, 2.0, 1.0]],
        "exact": [["2", "1", "0", "2"], ["0", "1", "1", "1"], ["3", "2", "2", "1"]],
    }
    sums = data["matrices"]["sums"]
    assert sums["shape"] == [1, 4] and sums["exact"] == [["46/3", "28/3", "22/3", "12"]]
    a = data["matrices"]["A"]
    assert a["exact"][0][0] == "9/46" and a["values"][0][0] == pytest.approx(9 / 46)
    assert data["matrices"]["Z"]["exact"][0][0] == "180/23"


def test_json_rows_convention_and_decimals(cli: Runner) -> None:
    data = strict_json(cli("run", "--convention", "rows", "--no-approx", "-f", "json").out)
    assert data["convention"] == "rows" and data["exact"] is False
    assert data["options"] == {"scale": "sqrt", "exp": "e", "mask": "none"}
    assert data["matrices"]["sums"]["shape"] == [4, 1]
    assert data["matrices"]["X"]["shape"] == [4, 6]
    # the trace is not exact, so no matrix carries exact strings (the contract), even S
    assert all(m["exact"] is None for m in data["matrices"].values())
    assert data["matrices"]["scaled"]["values"][3][1] == pytest.approx(5 / 3**0.5)


def test_json_masked_cells_are_null_and_minus_inf(cli: Runner) -> None:
    data = strict_json(cli("run", "--mask", "causal", "-f", "json").out)
    scaled = data["matrices"]["scaled"]
    assert scaled["values"][1][0] is None and scaled["exact"][1][0] == "-inf"
    assert data["matrices"]["E"]["exact"][1][0] == "0"
    assert data["options"]["mask"] == "causal"


def test_masked_cells_are_shown(cli: Runner) -> None:
    out = cli("run", "--mask", "causal", "--step", "5", "-f", "plain").out
    assert "a key after its query is masked with −∞" in out
    assert "| k2  -∞   1   0   2  |" in out
    assert "| k4  -∞  -∞  -∞   0  |" in out
    assert out.count("-∞") == 6


def test_rows_convention_output(cli: Runner) -> None:
    out = cli("run", "--convention", "rows", "-f", "plain").out
    assert "Q = X·W_Q, K = X·W_K, V = X·W_V" in out
    assert "S = Q·Kᵀ; S[i,j] = q_i·k_j" in out
    assert "Z = A·V; z_i = Σ_j A[i,j]·v_j" in out
    assert "| z1  180/23   50/23  135/23  |" in out


def test_no_approx_decimals_and_precision(cli: Runner) -> None:
    out = cli("run", "--no-approx", "--step", "5", "-f", "plain").out
    assert "S / √d_k = S / √3" in out
    assert "2.89" in out  # 5/√3
    assert "Note: √3 is irrational, so the trace is worked in decimals from step 5" in out
    out = cli("run", "--no-approx", "--step", "5", "--precision", "4", "-f", "plain").out
    assert "2.8868" in out
    out = cli("run", "--numbers", "decimal", "--step", "8", "-f", "plain").out
    assert "0.20" in out and "9/46" not in out  # 9/46 = 0.1957 rounds to 0.20


def test_inline_matrices(cli: Runner) -> None:
    result = cli(
        "run",
        "--x",
        "1 0; 0 1",
        "--wq",
        "1 1",
        "--wk",
        "1, -1",
        "--wv",
        "2 0",
        "--scale",
        "none",
        "--exp",
        "2",
        "-f",
        "json",
    )
    assert result.code == 0, result.err
    data = strict_json(result.out)
    assert data["matrices"]["S"]["exact"] == [["1", "1"], ["-1", "-1"]]
    assert data["matrices"]["A"]["exact"] == [["4/5", "4/5"], ["1/5", "1/5"]]


def test_npy_and_csv_flags(cli: Runner, tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.array([[1, 0], [0, 1]]))
    (tmp_path / "wq.csv").write_text("1,1\n", encoding="utf-8")
    result = cli(
        "run",
        "--x",
        str(tmp_path / "x.npy"),
        "--wq",
        str(tmp_path / "wq.csv"),
        "--wk",
        "1 -1",
        "--wv",
        "2 0",
        "--scale",
        "none",
        "--exp",
        "2",
        "-f",
        "json",
    )
    assert result.code == 0, result.err
    assert strict_json(result.out)["matrices"]["A"]["exact"] == [["4/5", "4/5"], ["1/5", "1/5"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("run", "--scale", "foo"), "Error: --scale: unknown scale 'foo' (choose sqrt, floor-half or none)"),
        (
            ("run", "--exp", "x"),
            "Error: --exp: unknown exp 'x' (choose e, or an integer base such as 3 or 2)",
        ),
        (
            ("run", "--convention", "col"),
            "Error: --convention: unknown convention 'col' (choose columns or rows)",
        ),
        (("run", "--mask", "future"), "Error: --mask: unknown mask 'future' (choose none or causal)"),
        (
            ("run", "--format", "pdf"),
            "Error: --format: unknown value 'pdf' "
            "(choose terminal, plain, json, markdown, latex, html, svg, csv, numpy, pytorch, xlsx)",
        ),
        (("run", "--step", "0"), "Error: --step: this problem has steps 1 to 9"),
        (("run", "--step", "12"), "Error: --step: '12' is outside the steps 0 to 11"),
        (("run", "--step", "10"), "Error: --step: this problem has steps 1 to 9"),
        (("run", "--step", "four"), "Error: --step: 'four' is not a step or range (write 4, 4-6 or 2,4-6)"),
        (("run", "missing.toml"), "Error: missing.toml: no such file"),
        (
            ("run", "--x", "1 2; 3", "--wq", "1", "--wk", "1", "--wv", "1"),
            "Error: --x: X row 2 has 1 entry, but row 1 has 2 entries",
        ),
        (
            ("run", "--x", "1 2", "--wq", "1 a", "--wk", "1", "--wv", "1"),
            "Error: --wq: WQ row 1, column 2: 'a' is not a number",
        ),
        (("run", "--x", "1 2", "--wq", "1 1"), "Error: missing WK, WV: give --wk, --wv, or a problem file"),
        (
            ("run", "--x", "1; 2", "--wq", "1", "--wk", "1", "--wv", "1"),
            "Error: command line: WQ is 1×1, but X is 2×1 with 2 features (its rows), so WQ needs 2 columns",
        ),
        (("run", "--bogus"), "Error: No such option: --bogus"),
        (("run", "--precision", "many"), "Error: --precision: 'many' is not a whole number from 0 to 15"),
        (("run", "--precision", "16"), "Error: --precision: '16' is not a whole number from 0 to 15"),
        (("run", "--heads", "0"), "Error: --heads: '0' is not a whole number from 1 to 64"),
        (("walk",), "Error: No such command 'walk'."),
    ],
)
def test_bad_input_is_one_line_and_exit_2(cli: Runner, args: tuple[str, ...], message: str) -> None:
    result = cli(*args)
    assert result.code == 2, result.out
    assert result.err == message + "\n"
    assert result.out == ""


def test_bad_problem_files_exit_2_without_traceback(cli: Runner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("X = [[1, 2], [3, 4]\nWQ = 1\n", encoding="utf-8")
    result = cli("run", str(bad))
    assert result.code == 2
    assert result.err == f"Error: {bad}: TOML syntax error: Unclosed array (at line 2, column 1)\n"
    result = cli("run", str(tmp_path))
    assert (result.code, result.err) == (2, f"Error: {tmp_path}: is a folder, not a file\n")


def test_overflow_is_a_clear_error(cli: Runner) -> None:
    result = cli(
        "run", "--x", "100", "--wq", "100", "--wk", "100", "--wv", "1", "--scale", "none", "--exp", "3"
    )
    assert result.code == 2
    assert result.err.startswith("Error: scaled[1,1] = 100000000: 3^100000000 is too large")


def test_internal_errors_are_one_line_unless_debug(cli: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    import bythand.cli

    def broken(_: object) -> None:
        raise RuntimeError("boom")

    # the module, not the function of the same name that `bythand.walk` also names
    monkeypatch.setattr(sys.modules["bythand.walk"], "walk", broken)
    result = cli("run")
    assert result.code == 3
    assert result.err == (
        "Error: internal error (RuntimeError: boom); this is a bug in bythand, please report "
        "it with the output of the same command run with --debug\n"
    )
    with pytest.raises(RuntimeError, match="boom"):
        bythand.cli.main(["run", "--debug"])


def test_new_writes_a_template_that_runs_and_never_overwrites(cli: Runner, tmp_path: Path) -> None:
    target = tmp_path / "mine.toml"
    result = cli("new", str(target))
    assert result.code == 0, result.err
    assert result.out == f"Wrote {target}: fill in the numbers, then run: bythand run {target}\n"
    assert cli("run", str(target)).out == cli("run").out.replace(
        "Self-attention by hand: 6 features, 4 tokens, d_k = 3", "My attention exercise"
    )
    target.write_text("mine", encoding="utf-8")
    result = cli("new", str(target))
    assert (result.code, result.err) == (2, f"Error: {target}: already exists; use --force to overwrite it\n")
    assert target.read_text(encoding="utf-8") == "mine"
    assert cli("new", str(target), "--force").code == 0
    assert "[options]" in target.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["mine.toml"]  # no temporary file left behind
    missing = tmp_path / "no" / "such.toml"
    result = cli("new", str(missing))
    assert (result.code, result.err) == (2, f"Error: {missing}: the folder {missing.parent} does not exist\n")


def test_help_and_version(cli: Runner) -> None:
    result = cli("-h")
    assert result.code == 0 and "run" in result.out and "new" in result.out
    result = cli("run", "--help")
    assert result.code == 0 and "--convention" in result.out and "--approx" in result.out
    from bythand import __version__

    assert cli("--version").out == f"bythand {__version__}\n"


def test_python_dash_m_runs_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bythand", "run", "--step", "7", "-f", "plain"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "80"},
    )
    assert done.returncode == 0, done.stderr
    assert "46/3" in done.stdout and "Step 7 · Softmax: Σ" in done.stdout


def test_bythand_alone_shows_the_help(cli: Runner) -> None:
    result = cli()
    assert (result.code, result.err) == (0, "")
    assert result.out.startswith("Usage: bythand [OPTIONS] COMMAND [ARGS]...")
    for command in ("run", "explain", "check", "worksheet", "examples", "new"):
        assert f"\n  {command} " in result.out


def test_a_missing_matrix_file_names_its_flag(cli: Runner) -> None:
    result = cli("run", "--x", "nothere.csv", "--wq", "1", "--wk", "1", "--wv", "1")
    assert (result.code, result.err) == (2, "Error: nothere.csv: no such file (given for X)\n")
