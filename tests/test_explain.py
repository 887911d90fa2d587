"""explain(): every cell's worked expansion comes to the reference's value; cells and errors.

The exact wording of explanations is pinned in one place, tests/test_explain_text.py.
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from bythand import Problem, ProblemError, builtin_example, walk
from bythand.explain import (
    MAX_WORK_CELLS,
    Cell,
    count_worked_cells,
    explain,
    parse_cell,
    step_cells,
    worked_names,
)
from bythand.numbers import Number
from bythand.problem import Convention, Options

import reference as ref
from conftest import Runner

F = Fraction


def two_heads() -> Problem:
    """Two heads split from one projection, with an output projection W_O."""
    return Problem(
        X=[[1, 0, 2], [0, 1, 1], [1, 1, 0]],
        WQ=[[1, 0, 0], [0, 1, 1], [1, 0, -1], [0, 2, 0]],
        WK=[[0, 1, 0], [1, 0, 1], [1, 1, 0], [0, 0, 1]],
        WV=[[2, 0, 0], [0, 1, 0], [1, 1, 1], [0, 0, 3]],
        heads=2,
        WO=[[1, 0, 0, 1], [0, 1, -1, 0]],
        options=Options(scale="floor-half", exp="2"),
    )


def cross() -> Problem:
    """Cross-attention: 2 queries from X, 3 keys and values from the context C."""
    return Problem(
        X=[[1, 0], [0, 1]],
        C=[[1, 0, 1], [1, 1, 0]],
        WQ=[[1, 1], [0, 1]],
        WK=[[1, 0], [1, -1]],
        WV=[[3, 0]],
        options=Options(scale="none", exp="3"),
    )


PROBLEMS = {
    "classic": builtin_example,
    "no-approx": lambda: builtin_example().with_options(approx=False),
    "rows": lambda: builtin_example().in_convention("rows"),
    "causal": lambda: builtin_example().with_options(mask="causal"),
    "causal-rows-e": lambda: builtin_example().with_options(mask="causal", exp="e").in_convention("rows"),
    "two-heads-wo": two_heads,
    "two-heads-wo-rows": lambda: two_heads().in_convention("rows"),
    "cross": cross,
}


def same(a: Number, b: Number) -> bool:
    """Exactly equal: the same Fraction, or the same float (−∞ equals −∞)."""
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("key", list(PROBLEMS))
def test_every_cell_explains_to_the_reference_value(key: str) -> None:
    """Each explanation's value is the independent reference's number for that cell (exact or close)."""
    p = PROBLEMS[key]()
    trace, expected = walk(p), ref.of(p)
    checked = 0
    for name, m in trace.matrices.items():
        for i in range(m.shape[0]):
            for j in range(m.shape[1]):
                got = explain(trace, Cell(name, i, j))
                assert ref.same(got.value, expected[name][i][j]), (name, i, j, got.text)
                assert got.lines and got.lines[0].startswith(f"{name}[")
                checked += 1
    assert checked == sum(m.size for m in trace.matrices.values())


def test_explain_from_other_operands() -> None:
    """The checker asks for the work done from a student's own earlier numbers: the reference agrees."""
    trace = walk(builtin_example())
    E = trace["E"].copy()
    E[1, 0] = F(3)  # a student's slip: 3 instead of 9
    sums = trace["sums"].copy()
    sums[0, 0] = F(28, 3)
    got = explain(trace, "A[2,1]", matrices={"E": E, "sums": sums})
    assert got.value == ref.normalise(ref.plain(E), ref.plain(sums), columns=True)[1][0] == F(9, 28)
    assert got.operands == ("E", "sums", "scaled")
    own = explain(trace, "sums[1]", matrices={"E": E})
    assert own.value == ref.sums(ref.plain(E), columns=True)[0][0] == F(28, 3)
    rows = walk(builtin_example().in_convention("rows"))
    Q = rows["Q"].copy()
    Q[0, 0] = F(3)  # q1 written with a slip; S[1,2] = q1·k2 from their own q1
    got = explain(rows, "S[1,2]", matrices={"Q": Q})
    assert got.value == ref.scores(ref.plain(Q), ref.plain(rows["KT"]), columns=False)[0][1] == F(6)


@pytest.mark.parametrize(("name", "index"), [("Q", 0), ("K", 1), ("V", 2)])
def test_q_k_and_v_are_worked_from_the_students_own_x(name: str, index: int) -> None:
    """A student's own X (worked in step 0 of an embedding problem) gives their own Q, K and V."""
    trace = walk(builtin_example())
    X = trace["X"].copy()
    X[:, 0] = [F(5), F(3), F(4), F(1), F(2), F(7)]  # token 1 written differently
    WQ, WK, WV = (ref.plain(trace[w]) for w in ("WQ", "WK", "WV"))
    own = ref.project(ref.plain(X), ref.plain(X), WQ, WK, WV, columns=True)
    for row in range(trace[name].shape[0]):
        got = explain(trace, Cell(name, row, 0), matrices={"X": X})
        assert got.value == own[index][row][0]
        assert got.operands == ("X", "WQ", "WK", "WV")
    assert any(own[index][r][0] != trace[name][r, 0] for r in range(trace[name].shape[0]))


def test_a_students_score_too_large_to_exponentiate_names_its_head() -> None:
    trace = walk(two_heads())
    scaled = trace["h2.scaled"].copy()
    scaled[0, 0] = F(5000)
    with pytest.raises(ProblemError) as info:
        explain(trace, "h2.E[1,1]", matrices={"h2.scaled": scaled})
    assert str(info.value) == (
        "h2.scaled[1,1] = 5000: 2^5000 is too large to compute or write down; use smaller inputs"
    )


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("S[5,1]", "S[5,1] is outside S, which is 4×4 (cells S[1..4,1..4])"),
        ("S[1,0]", "S[1,0] is outside S, which is 4×4 (cells S[1..4,1..4])"),
        ("sums[5]", "sums[5] is outside sums, which has cells sums[1..4]"),
        ("sums[2,1]", "sums[2,1] is outside sums, which has cells sums[1..4]"),
        ("S[1]", "S needs a row and a column, like S[1,2]; its cells are S[1..4,1..4]"),
        ("S[q1,q2]", "S[q1,q2]: q1 and q2 are both cols of S; give a row and a column"),
    ],
)
def test_bad_cells_name_the_valid_range(target: str, message: str) -> None:
    with pytest.raises(ProblemError) as info:
        parse_cell(walk(builtin_example()), target)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("convention", "written", "cell"),
    [("columns", "S[q2,1]", Cell("S", 0, 1)), ("columns", "A[q3,k1]", Cell("A", 0, 2)),
     ("rows", "S[k2,1]", Cell("S", 0, 1)), ("rows", "S[1,q3]", Cell("S", 2, 0))],
)  # fmt: skip
def test_a_column_label_written_first_is_read_as_the_column(
    convention: Convention, written: str, cell: Cell
) -> None:
    """S[q2,1] in columns (the queries are S's columns) is S[1,2]: the label says which index it is."""
    assert parse_cell(walk(builtin_example().in_convention(convention)), written) == cell


def test_unknown_matrix_lists_every_valid_cell() -> None:
    with pytest.raises(ProblemError) as info:
        parse_cell(walk(two_heads()), "h3.A[1,1]")
    message = str(info.value)
    assert message.startswith(
        "no matrix 'h3.A' in this problem (did you mean h2.A?). Valid cells: X[1..3,1..3]"
    )
    assert "h2.sums[1..3]" in message and "concat[1..4,1..3]" in message and message.endswith("O[1..2,1..3]")


def test_explain_command_errors(cli: Runner) -> None:
    result = cli("explain", "Z[9,1]")
    assert (result.code, result.out) == (2, "")
    assert result.err == "Error: Z[9,1] is outside Z, which is 3×4 (cells Z[1..3,1..4])\n"
    result = cli("explain", "W[1,1]")
    assert result.code == 2 and result.err.startswith(
        "Error: no matrix 'W' in this problem (did you mean WV?). Valid cells: X[1..6"
    )
    assert cli("explain", "Q[1,1]", "missing.toml").err == "Error: missing.toml: no such file\n"


def test_run_show_work_explains_every_computed_cell(cli: Runner) -> None:
    out = cli("run", "--show-work", "-f", "plain").out
    trace = walk(builtin_example())
    assert count_worked_cells(trace) == 36 + 12 + 16 * 4 + 4 + 12
    assert out.count("\nWork:\n") == 8  # every step but the givens
    explained = [line for line in out.splitlines() if line.startswith("  ") and "] = " in line]
    assert len(explained) == count_worked_cells(trace)
    step8 = out.split("Step 8")[1].split("Step 9")[0]
    assert step8.count("\n  A[") == 16 and "\n  sums[" not in step8
    assert "Work:" not in cli("run", "-f", "plain").out


def test_run_show_work_stops_short_on_big_problems(cli: Runner, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 12  # 12 tokens: 708 cells, far more than anyone reads
    X = " ; ".join(" ".join(str(v) for v in row) for row in rng.integers(-1, 2, (4, n)))
    W = "1 0 0 1; 0 1 1 0"
    result = cli("run", "--x", X, "--wq", W, "--wk", W, "--wv", W, "--show-work", "-f", "plain", "--approx")
    assert result.code == 0, result.err
    explained = [line for line in result.out.splitlines() if line.startswith("  ") and "] = " in line]
    assert len(explained) == MAX_WORK_CELLS
    assert result.out.count("--show-work stops here") == 1
    assert f"explains at most {MAX_WORK_CELLS} cells and this problem has 708;" in result.out


def test_show_work_is_for_the_table_formats(cli: Runner, tmp_path: Path) -> None:
    result = cli("run", "--show-work", "-f", "json")
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "Error: --show-work explains cells in the terminal, plain, markdown, latex, html and svg formats, "
        "not in json\n"
    )
    target = tmp_path / "work.html"
    assert cli("run", "--show-work", "--step", "4", "-f", "html", "-o", str(target)).code == 0
    assert len(re.findall(r"S\[\d,\d\] = k\d", target.read_text(encoding="utf-8"))) == 16  # every cell


def test_show_work_in_markdown_is_a_code_block_per_step(cli: Runner) -> None:
    out = cli("run", "--show-work", "-f", "markdown").out
    trace = walk(builtin_example())
    assert out.count("\n**Work:**\n\n```text\n") == 8 and out.count("\n```\n") == 8
    blocks = [b.split("\n```", 1)[0] for b in out.split("```text\n")[1:]]
    assert sum(len(b.splitlines()) for b in blocks) == count_worked_cells(trace)
    step7 = out.split("## Step 7")[1].split("## Step 8")[0]
    assert "| Σ | 46/3 | 28/3 | 22/3 | 12 |\n\n**Work:**\n\n```text\nsums[1] = " in step7
    assert "Work" not in cli("run", "-f", "markdown").out


def test_show_work_that_stops_at_a_step_boundary_is_only_the_note(cli: Runner, tmp_path: Path) -> None:
    # 300 cells are used up exactly by the end of step 5, so step 6 gets the note and no empty work
    path = tmp_path / "p.toml"
    path.write_text(
        "X = [[1,0,1,0,1,0,1,0,1,0],[0,1,0,1,0,1,0,1,0,1]]\nWQ = [[1,0],[0,1],[1,1]]\n"
        'WK = [[1,0],[0,1],[1,1]]\nWV = [[1,1]]\n[options]\nscale = "none"\nexp = "3"\n',
        encoding="utf-8",
    )
    markdown = cli("run", str(path), "--show-work", "-f", "markdown").out
    step6 = markdown.split("## Step 6")[1].split("## Step 7")[0]
    assert "*--show-work stops here: it explains at most 300 cells" in step6
    assert "Work" not in step6 and "```text\n```" not in markdown
    plain = cli("run", str(path), "--show-work", "-f", "plain").out
    step6 = plain.split("Step 6")[1].split("Step 7")[0]
    assert "\n--show-work stops here" in step6 and "Work:" not in step6


def test_readme_explanations_are_real() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Show your work: `explain`", 1)[1].split("\n## ", 1)[0]
    assert f"(up to\n{MAX_WORK_CELLS} cells;" in section
    blocks = [b.split("```", 1)[0].splitlines() for b in section.split("```text\n")[1:]]
    assert len(blocks) == 2
    trace = walk(builtin_example())
    full, one_line = blocks
    assert tuple(full) == explain(trace, "S[2,4]").work
    assert len(one_line) == 7
    for line in one_line:
        assert explain(trace, line.split(" ", 1)[0]).text == line


def test_step_3_works_only_k_transposed() -> None:
    trace = walk(two_heads())
    steps = [s for s in trace.steps if s.number == 3]
    assert [worked_names(s) for s in steps] == [["h1.KT"], ["h2.KT"]]
    assert [c.name for c in step_cells(trace, steps[0])] == ["h1.KT"] * 6
    assert worked_names(trace.steps[0]) == []  # the givens are not worked


@pytest.mark.parametrize("convention", ["columns", "rows"])
def test_a_sum_is_named_as_its_convention_writes_it_in_every_format(cli: Runner, convention: str) -> None:
    """sums[3] is query 3's sum in both conventions: the 1×n row's third cell, the n×1 column's third."""
    import json

    args = ("explain", "sums[3]", "--convention", convention)
    data = json.loads(cli(*args, "-f", "json").out)
    assert data["cell"] == "sums[3]" and data["lines"][0].startswith("sums[3] = ")
    assert cli(*args, "-f", "markdown").out.startswith("**sums[3]**\n")
    other = json.loads(cli("explain", "A[2,4]", "--convention", convention, "-f", "json").out)
    assert other["cell"] == "A[2,4]"
