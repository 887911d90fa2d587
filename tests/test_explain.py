"""explain(): every cell's worked expansion comes to the trace's own value, in words people read."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from bythand import Problem, ProblemError, builtin_example, walk
from bythand.explain import MAX_WORK_CELLS, Cell, count_worked_cells, explain, parse_cell
from bythand.numbers import Number, cell
from bythand.problem import Options

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
def test_every_cell_explains_to_the_trace_value(key: str) -> None:
    trace = walk(PROBLEMS[key]())
    checked = 0
    for name, m in trace.matrices.items():
        for i in range(m.shape[0]):
            for j in range(m.shape[1]):
                got = explain(trace, Cell(name, i, j))
                assert same(got.value, cell(m, i, j)), (name, i, j, got.text)
                assert got.lines and got.lines[0].startswith(f"{name}[")
                checked += 1
    assert checked == sum(m.size for m in trace.matrices.values())


@pytest.mark.parametrize(
    ("target", "text"),
    [
        ("Q[1,1]", "Q[1,1] = (row 1 of W_Q)·x1 = 1·2 + 1·0 + 0·0 + 0·0 + 0·2 + 0·1 = 2"),
        ("KT[2,1]", "KT[2,1] = K[1,2] = 2 (Kᵀ: K transposed)"),
        ("S[2,4]", "S[2,4] = k2·q4 = 2·2 + 1·1 + 0·1 = 5"),
        ("scaled[2,4]", "scaled[2,4] = ⌊S[2,4]/2⌋ = ⌊5/2⌋ = 2"),
        ("scaled[3,1]", "scaled[3,1] = ⌊S[3,1]/2⌋ = ⌊-1/2⌋ = -1"),
        ("E[2,4]", "E[2,4] = 3^scaled[2,4] = 3^2 = 9"),
        ("E[3,1]", "E[3,1] = 3^scaled[3,1] = 3^-1 = 1/3"),
        ("sums[1]", "sums[1] = 3 + 9 + 1/3 + 3 = 46/3"),
        ("sums[1,4]", "sums[4] = 1 + 9 + 1 + 1 = 12"),
        ("A[2,1]", "A[2,1] = E[2,1] / sums[1] = 9 / (46/3) = 27/46"),
        ("Z[1,1]", "Z[1,1] = Σ_i V[1,i]·A[i,1] = 20·9/46 + 0·27/46 + 0·1/46 + 20·9/46 = 180/23"),
        ("X[6,1]", "X[6,1] = 1 (given)"),
        (" A [ 2 , 1 ] ", "A[2,1] = E[2,1] / sums[1] = 9 / (46/3) = 27/46"),
    ],
)
def test_builtin_example_expansions(target: str, text: str) -> None:
    assert explain(walk(builtin_example()), target).text == text


def test_decimal_expansions_say_approximately() -> None:
    trace = walk(builtin_example().with_options(approx=False))
    assert explain(trace, "scaled[2,4]").text == "scaled[2,4] = S[2,4]/√3 = 5/√3 ≈ 2.89"
    assert explain(trace, "E[2,4]").text == "E[2,4] = e^scaled[2,4] = e^2.89 ≈ 17.93"
    assert explain(trace, "E[2,4]", precision=4).text == "E[2,4] = e^scaled[2,4] = e^2.8868 ≈ 17.9350"
    assert explain(trace, "A[2,1]").text == "A[2,1] = E[2,1] / sums[1] = 10.07 / 21.93 ≈ 0.46"


def test_fractional_exponents_are_bracketed() -> None:
    p = Problem(X=[[1, 2]], WQ=[[1], [1], [1], [1]], WK=[[1], [0], [0], [0]], WV=[[1]])
    trace = walk(p.with_options(scale="sqrt", exp="3"))  # d_k = 4: S/2 stays exact, 3^(1/2) does not
    assert explain(trace, "scaled[1,1]").text == "scaled[1,1] = S[1,1]/√4 = 1/√4 = 1/2"
    assert explain(trace, "E[1,1]").text == "E[1,1] = 3^scaled[1,1] = 3^(1/2) ≈ 1.73"


def test_rows_convention_writes_q_i_dot_k_j() -> None:
    trace = walk(builtin_example().in_convention("rows"))
    assert explain(trace, "S[4,2]").text == "S[4,2] = q4·k2 = 2·2 + 1·1 + 1·0 = 5"
    assert (
        explain(trace, "Q[1,1]").text
        == "Q[1,1] = x1·(column 1 of W_Q) = 2·1 + 0·1 + 0·0 + 0·0 + 2·0 + 1·0 = 2"
    )
    assert explain(trace, "A[1,2]").text == "A[1,2] = E[1,2] / sums[1] = 9 / (46/3) = 27/46"
    assert explain(trace, "sums[1]").text == "sums[1] = 3 + 9 + 1/3 + 3 = 46/3"
    assert explain(trace, "Z[1,1]").text == (
        "Z[1,1] = Σ_k A[1,k]·V[k,1] = 9/46·20 + 27/46·0 + 1/46·0 + 9/46·20 = 180/23"
    )


def test_masked_cells_say_so() -> None:
    trace = walk(builtin_example().with_options(mask="causal"))
    assert explain(trace, "scaled[2,1]").text == (
        "scaled[2,1] = −∞: key 2 comes after query 1, so the causal mask hides it"
    )
    assert explain(trace, "E[2,1]").text == "E[2,1] = 3^−∞ = 0: scaled[2,1] is masked"
    assert explain(trace, "A[2,1]").text == (
        "A[2,1] = E[2,1] / sums[1] = 0 / 3 = 0 (key 2 comes after query 1, so the causal mask hides it)"
    )


def test_heads_concat_and_output_projection() -> None:
    trace = walk(two_heads())
    assert explain(trace, "h2.S[2,3]").text == "h2.S[2,3] = k2·q3 = 1·2 + 1·2 = 4"
    assert explain(trace, "h2.A[1,1]").text.startswith("h2.A[1,1] = h2.E[1,1] / h2.sums[1] = ")
    assert explain(trace, "h1.Q[2,3]").text == "h1.Q[2,3] = (row 2 of h1.W_Q)·x3 = 0·2 + 1·1 + 1·0 = 1"
    z = trace["h2.Z"]
    assert explain(trace, "concat[3,2]").text == (
        f"concat[3,2] = h2.Z[1,2] = {cell(z, 0, 1)} (the heads' Z one under the other)"
    )
    o = explain(trace, "O[2,1]")
    assert o.text.startswith("O[2,1] = (row 2 of W_O)·(column 1 of concat) = 0·")
    assert o.value == trace["O"][1, 0]
    rows = walk(two_heads().in_convention("rows"))
    assert explain(rows, "concat[2,3]").text.startswith("concat[2,3] = h2.Z[2,1] = ")
    assert "side by side" in explain(rows, "concat[2,3]").text


def test_cross_attention_uses_the_context() -> None:
    trace = walk(cross())
    assert explain(trace, "K[2,3]").text == "K[2,3] = (row 2 of W_K)·c3 = 1·1 + (-1)·0 = 1"
    assert explain(trace, "S[3,2]").text == "S[3,2] = k3·q2 = 1·1 + 1·1 = 2"
    assert explain(trace, "Q[1,2]").text == "Q[1,2] = (row 1 of W_Q)·x2 = 1·0 + 1·1 = 1"


def test_explain_from_other_operands() -> None:
    """The checker asks for the work done from a student's own earlier numbers."""
    trace = walk(builtin_example())
    E = trace["E"].copy()
    E[1, 0] = F(3)  # a student's slip: 3 instead of 9
    sums = trace["sums"].copy()
    sums[0, 0] = F(28, 3)
    got = explain(trace, "A[2,1]", matrices={"E": E, "sums": sums})
    assert got.text == "A[2,1] = E[2,1] / sums[1] = 3 / (28/3) = 9/28"
    assert got.value == F(9, 28)
    assert got.operands == ("E", "sums", "scaled")
    own = explain(trace, "sums[1]", matrices={"E": E})
    assert own.text == "sums[1] = 3 + 3 + 1/3 + 3 = 28/3" and own.value == F(28, 3)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("S[5,1]", "S[5,1] is outside S, which is 4×4 (cells S[1..4,1..4])"),
        ("S[1,0]", "S[1,0] is outside S, which is 4×4 (cells S[1..4,1..4])"),
        ("sums[5]", "sums[5] is outside sums, which has cells sums[1..4]"),
        ("sums[2,1]", "sums[2,1] is outside sums, which has cells sums[1..4]"),
        ("S[1]", "S needs a row and a column, like S[1,2]; its cells are S[1..4,1..4]"),
    ],
)
def test_bad_cells_name_the_valid_range(target: str, message: str) -> None:
    with pytest.raises(ProblemError) as info:
        parse_cell(walk(builtin_example()), target)
    assert str(info.value) == message


def test_unknown_matrix_lists_every_valid_cell() -> None:
    with pytest.raises(ProblemError) as info:
        parse_cell(walk(two_heads()), "h3.A[1,1]")
    message = str(info.value)
    assert message.startswith(
        "no matrix 'h3.A' in this problem (did you mean h2.A?). Valid cells: X[1..3,1..3]"
    )
    assert "h2.sums[1..3]" in message and "concat[1..4,1..3]" in message and message.endswith("O[1..2,1..3]")


def test_explain_command(cli: Runner) -> None:
    result = cli("explain", "A[2,1]")
    assert (result.code, result.out, result.err) == (
        0,
        "A[2,1] = E[2,1] / sums[1]: column q1 of E divided by its sum, so that it sums to 1\n"
        "  E[2,1] / sums[1] = 9 / (46/3)\n"
        "                   = 9·3/46\n"
        "                   = 27/46\n",
        "",
    )
    result = cli("explain", "S[2,4]", "--convention", "rows")
    assert result.out == (
        "S[2,4] = q2·k4: how well key 4 matches query 2\n"
        "  q2 = (1, 1, 2), row 2 of Q\n"
        "  k4 = (0, 0, 1), column 4 of Kᵀ (row 4 of K)\n"
        "  q2·k4 = 1·0 + 1·0 + 2·1\n"
        "        = 0 + 0 + 2\n"
        "        = 2\n"
    )
    result = cli("explain", "scaled[2,4]", "--no-approx", "--precision", "3")
    assert result.out == (
        "scaled[2,4] = S[2,4]/√3: S divided by √d_k, with d_k = 3\n"
        "  S[2,4]/√3 = 5/√3\n"
        "            ≈ 5/1.732\n"
        "            ≈ 2.887\n"
    )
    result = cli("explain", "E[4,1]", "--mask", "causal")
    assert result.out == "E[4,1] = 3^−∞ = 0: scaled[4,1] is masked\n"
    result = cli("explain", "h2.Q[1,1]", "--heads", "3")
    assert result.out.splitlines()[0] == (
        "h2.Q[1,1] = (row 1 of h2.W_Q)·x1: entry 1 of the query of token 1 in head 2"
    )
    assert result.out.splitlines()[1:3] == [
        "  row 1 of h2.W_Q = (0, 1, 0, 1, 0, 0)",
        "  x1 = (2, 0, 0, 0, 2, 1), column 1 of X",
    ]
    assert result.out.endswith("                       = 0\n")


def test_explain_takes_the_givens_on_the_command_line_like_run(cli: Runner) -> None:
    givens = ("--x", "[[1, 2], [3, 4]]", "--wq", "1 0", "--wk", "0 1", "--wv", "1 1")
    result = cli("explain", "S[2,1]", *givens)
    assert result.code == 0  # k2 = W_K·x2 = 4, q1 = W_Q·x1 = 1
    assert result.out.splitlines()[1:] == [
        "  k2 = (4), row 2 of Kᵀ (column 2 of K)",
        "  q1 = (1), column 1 of Q",
        "  k2·q1 = 4·1",
        "        = 4",
    ]
    result = cli("explain", "S[1,1]", *givens[:6])
    assert (result.code, result.err) == (2, "Error: missing WV: give --wv, or a problem file\n")


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
    assert "  sums[1] = 3 + 9 + 1/3 + 3 = 46/3\n" in out
    assert "  Z[3,4] = Σ_i V[3,i]·A[i,4] = 0·1/12 + 10·3/4 + 0·1/12 + 0·1/12 = 15/2\n" in out
    explained = [line for line in out.splitlines() if line.startswith("  ") and "] = " in line]
    assert len(explained) == count_worked_cells(trace)
    step8 = out.split("Step 8")[1].split("Step 9")[0]
    assert "  A[2,1] = E[2,1] / sums[1] = 9 / (46/3) = 27/46" in step8
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
    assert "S[2,4] = k2·q4 = 2·2 + 1·1 + 0·1 = 5" in target.read_text(encoding="utf-8")


def test_show_work_in_markdown_is_a_code_block_per_step(cli: Runner) -> None:
    out = cli("run", "--show-work", "-f", "markdown").out
    trace = walk(builtin_example())
    assert out.count("\n**Work:**\n\n```text\n") == 8 and out.count("\n```\n") == 8
    blocks = [b.split("\n```", 1)[0] for b in out.split("```text\n")[1:]]
    assert sum(len(b.splitlines()) for b in blocks) == count_worked_cells(trace)
    step7 = out.split("## Step 7")[1].split("## Step 8")[0]
    assert (
        "| Σ | 46/3 | 28/3 | 22/3 | 12 |\n\n**Work:**\n\n```text\nsums[1] = 3 + 9 + 1/3 + 3 = 46/3\n" in step7
    )
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
