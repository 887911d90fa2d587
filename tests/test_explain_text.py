"""The exact wording of explanations, all in one place: change explain's words here and nowhere else.

A few cells of every matrix in both conventions (masks, cross-attention, heads, concat, W_O, √ and e),
the explain command, run --show-work and the work lines check prints. The values themselves are
checked against the independent reference in tests/test_explain.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from test_code import IDS
from test_embed import words

from bythand import Problem, builtin_example, walk
from bythand.check import check, parse_answers_text
from bythand.explain import explain
from bythand.numbers import cell
from bythand.problem import Convention, Options, parse_problem_text

from conftest import Runner
from student import toml, work
from test_explain import F, cross, two_heads


def small() -> Problem:
    """d = 4 features, n = 3 tokens, d_k = 2: a wrong axis for d_k shows as √3 or √4 instead of √2."""
    return Problem(
        X=[[1, 0, 2], [0, 1, 1], [2, 1, 0], [1, 1, 1]],
        WQ=[[1, 0, 1, 0], [0, 1, 0, 1]],
        WK=[[0, 1, 1, 0], [1, 0, 0, 1]],
        WV=[[1, 2, 0, 0]],
        WO=[[2], [-1]],
        options=Options(scale="sqrt", exp="e"),
    )


SHEET = "11PVR6TRH"  # pinned in test_generate.py to its problem

PROBLEMS: dict[str, Callable[[], Problem]] = {
    "classic-rows": lambda: builtin_example().in_convention("rows"),
    "small": small,
    "small-rows": lambda: small().in_convention("rows"),
    "two": two_heads,
    "two-rows": lambda: two_heads().in_convention("rows"),
    "causal-rows": lambda: builtin_example().with_options(mask="causal").in_convention("rows"),
    "cross-rows": lambda: cross().in_convention("rows"),
}

# fmt: off
CASES = [
    ("classic-rows", "Q[3,2]", "Q[3,2] = x3·(column 2 of W_Q) = 0·0 + 0·1 + 1·0 + 1·1 + 0·0 + 1·0 = 1"),
    ("classic-rows", "K[2,3]", "K[2,3] = x2·(column 3 of W_K) = 0·1 + 1·0 + 2·0 + 0·0 + 0·0 + 0·(-1) = 0"),
    ("classic-rows", "V[4,2]", "V[4,2] = x4·(column 2 of W_V) = 2·0 + 0·0 + 0·0 + 1·10 + 0·0 + 1·0 = 10"),
    ("classic-rows", "KT[3,2]", "KT[3,2] = K[2,3] = 0 (Kᵀ: K transposed)"),
    ("classic-rows", "S[1,2]", "S[1,2] = q1·k2 = 2·2 + 0·1 + 3·0 = 4"),
    ("classic-rows", "scaled[2,4]", "scaled[2,4] = ⌊S[2,4]/2⌋ = ⌊2/2⌋ = 1"),
    ("classic-rows", "E[4,2]", "E[4,2] = 3^scaled[4,2] = 3^2 = 9"),
    ("classic-rows", "sums[2]", "sums[2] = 3 + 3 + 1/3 + 3 = 28/3"),
    ("classic-rows", "sums[2,1]", "sums[2] = 3 + 3 + 1/3 + 3 = 28/3"),
    ("classic-rows", "A[3,2]", "A[3,2] = E[3,2] / sums[3] = 1 / (22/3) = 3/22"),
    ("classic-rows", "Z[2,3]", "Z[2,3] = Σ_k A[2,k]·V[k,3] = 9/28·0 + 9/28·10 + 1/28·0 + 9/28·0 = 45/14"),
    ("small", "scaled[1,3]", "scaled[1,3] = S[1,3]/√2 = 8/√2 ≈ 5.66"),
    ("small", "Z[1,3]", "Z[1,3] = Σ_i V[1,i]·A[i,3] = 1·0.45 + 2·0.11 + 4·0.45 ≈ 2.45"),
    ("small", "O[2,3]", "O[2,3] = (row 2 of W_O)·(column 3 of Z) = (-1)·2.45 ≈ -2.45"),
    ("small-rows", "scaled[3,1]", "scaled[3,1] = S[3,1]/√2 = 8/√2 ≈ 5.66"),
    ("small-rows", "E[3,1]", "E[3,1] = e^scaled[3,1] = e^5.66 ≈ 286.25"),
    ("small-rows", "sums[1]", "sums[1] = 286.25 + 141.14 + 69.59 ≈ 496.98"),
    ("small-rows", "A[1,3]", "A[1,3] = E[1,3] / sums[1] = 69.59 / 496.98 ≈ 0.14"),
    ("small-rows", "Z[3,1]", "Z[3,1] = Σ_k A[3,k]·V[k,1] = 0.45·1 + 0.11·2 + 0.45·4 ≈ 2.45"),
    ("small-rows", "O[3,2]", "O[3,2] = (row 3 of Z)·(column 2 of W_O) = 2.45·(-1) ≈ -2.45"),
    ("two", "h1.Q[2,3]", "h1.Q[2,3] = (row 2 of h1.W_Q)·x3 = 0·2 + 1·1 + 1·0 = 1"),
    ("two", "h2.sums[3]", "h2.sums[3] = 4 + 4 + 8 = 16"),
    ("two", "concat[3,2]", "concat[3,2] = h2.Z[1,2] = 19/9 (the heads' Z one under the other)"),
    ("two", "O[2,1]", "O[2,1] = (row 2 of W_O)·(column 1 of concat) = 0·2 + 1·2/3 + (-1)·7/3 + 0·2 = -5/3"),
    ("two", "O[1,3]", "O[1,3] = (row 1 of W_O)·(column 3 of concat) = 1·5/2 + 0·3/4 + 0·5/2 + 1·3/2 = 4"),
    ("two-rows", "h1.Q[2,1]", "h1.Q[2,1] = x2·(column 1 of h1.W_Q) = 0·1 + 1·0 + 1·0 = 0"),
    ("two-rows", "h2.KT[2,3]", "h2.KT[2,3] = h2.K[3,2] = 0 (Kᵀ: K transposed)"),
    ("two-rows", "h2.sums[3]", "h2.sums[3] = 4 + 4 + 8 = 16"),
    ("two-rows", "concat[2,3]", "concat[2,3] = h2.Z[2,1] = 19/9 (the heads' Z side by side)"),
    ("two-rows", "O[2,1]",
     "O[2,1] = (row 2 of concat)·(column 1 of W_O) = 12/5·1 + 3/5·0 + 19/9·0 + 8/3·1 = 76/15"),
    ("two-rows", "O[3,2]",
     "O[3,2] = (row 3 of concat)·(column 2 of W_O) = 5/2·0 + 3/4·1 + 5/2·(-1) + 3/2·0 = -7/4"),
    ("causal-rows", "scaled[1,2]",
     "scaled[1,2] = −∞: key 2 comes after query 1, so the causal mask hides it"),
    ("causal-rows", "E[1,2]", "E[1,2] = 3^−∞ = 0: scaled[1,2] is masked"),
    ("causal-rows", "A[1,2]",
     "A[1,2] = E[1,2] / sums[1] = 0 / 3 = 0 (key 2 comes after query 1, so the causal mask hides it)"),
    ("causal-rows", "A[2,1]", "A[2,1] = E[2,1] / sums[2] = 3 / 6 = 1/2"),
    ("cross-rows", "K[3,2]", "K[3,2] = c3·(column 2 of W_K) = 1·1 + 0·(-1) = 1"),
    ("cross-rows", "S[2,3]", "S[2,3] = q2·k3 = 1·1 + 1·1 = 2"),
    ("cross-rows", "V[3,1]", "V[3,1] = c3·(column 1 of W_V) = 1·3 + 0·0 = 3"),
]
# fmt: on


@pytest.mark.parametrize(("key", "target", "text"), CASES)
def test_cells_of_every_matrix_in_both_conventions(key: str, target: str, text: str) -> None:
    assert explain(walk(PROBLEMS[key]()), target).text == text


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


def test_explain_command(cli: Runner) -> None:
    """The command prints the full working (the one-line form is what --show-work and check print)."""
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
    assert result.out == (
        "h2.Q[1,1] = (row 1 of h2.W_Q)·x1: entry 1 of the query of token 1 in head 2\n"
        "  row 1 of h2.W_Q = (0, 1, 0, 1, 0, 0)\n"
        "  x1 = (2, 0, 0, 0, 2, 1), column 1 of X\n"
        "  (row 1 of h2.W_Q)·x1 = 0·2 + 1·0 + 0·0 + 1·0 + 0·2 + 0·1\n"
        "                       = 0 + 0 + 0 + 0 + 0 + 0\n"
        "                       = 0\n"
    )


def test_explain_takes_the_givens_on_the_command_line_like_run(cli: Runner) -> None:
    givens = ("--x", "[[1, 2], [3, 4]]", "--wq", "1 0", "--wk", "0 1", "--wv", "1 1")
    result = cli("explain", "S[2,1]", *givens)
    assert (result.code, result.out) == (  # k2 = W_K·x2 = 4, q1 = W_Q·x1 = 1
        0,
        "S[2,1] = k2·q1: how well key 2 matches query 1\n"
        "  k2 = (4), row 2 of Kᵀ (column 2 of K)\n"
        "  q1 = (1), column 1 of Q\n"
        "  k2·q1 = 4·1\n"
        "        = 4\n",
    )
    result = cli("explain", "S[1,1]", *givens[:6])
    assert (result.code, result.err) == (2, "Error: missing WV: give --wv, or a problem file\n")


def test_explain_command_rows_without_approx_takes_d_k_from_the_queries(cli: Runner, tmp_path: Path) -> None:
    path = tmp_path / "small.toml"
    path.write_text(
        "X = [[1, 0, 2], [0, 1, 1], [2, 1, 0], [1, 1, 1]]\nWQ = [[1, 0, 1, 0], [0, 1, 0, 1]]\n"
        "WK = [[0, 1, 1, 0], [1, 0, 0, 1]]\nWV = [[1, 2, 0, 0]]\n",
        encoding="utf-8",
    )
    result = cli("explain", "scaled[3,1]", str(path), "--convention", "rows", "--no-approx")
    assert (result.code, result.out) == (
        0,
        "scaled[3,1] = S[3,1]/√2: S divided by √d_k, with d_k = 2\n"
        "  S[3,1]/√2 = 8/√2\n"
        "            ≈ 8/1.41\n"
        "            ≈ 5.66\n",
    )


def test_run_show_work_lines(cli: Runner) -> None:
    out = cli("run", "--show-work", "-f", "plain").out
    assert "  sums[1] = 3 + 9 + 1/3 + 3 = 46/3\n" in out
    assert "  Z[3,4] = Σ_i V[3,i]·A[i,4] = 0·1/12 + 10·3/4 + 0·1/12 + 0·1/12 = 15/2\n" in out
    step8 = out.split("Step 8")[1].split("Step 9")[0]
    assert "  A[2,1] = E[2,1] / sums[1] = 9 / (46/3) = 27/46" in step8
    markdown = cli("run", "--show-work", "-f", "markdown").out
    step7 = markdown.split("## Step 7")[1].split("## Step 8")[0]
    assert "\n\n**Work:**\n\n```text\nsums[1] = 3 + 9 + 1/3 + 3 = 46/3\n" in step7


def test_show_work_in_html(cli: Runner, tmp_path: Path) -> None:
    target = tmp_path / "work.html"
    assert cli("run", "--show-work", "--step", "4", "-f", "html", "-o", str(target)).code == 0
    assert "S[2,4] = k2·q4 = 2·2 + 1·1 + 0·1 = 5" in target.read_text(encoding="utf-8")


def test_check_shows_the_work_of_a_wrong_cell() -> None:
    trace = walk(builtin_example())
    text = toml(work(builtin_example(), {"Q": (0, 0, F(3))}))
    report = check(trace, parse_answers_text(text, "a.toml", "toml"))
    q = next(s for s in report.steps if s.name == "Q")
    assert q.work == ("Q[1,1] = (row 1 of W_Q)·x1 = 1·2 + 1·0 + 0·0 + 0·0 + 0·2 + 0·1 = 2",)
    slips = {"Q": (0, 0, F(3)), "E": (1, 0, F(81))}
    report = check(trace, parse_answers_text(toml(work(builtin_example(), slips)), "a.toml", "toml"))
    e = next(s for s in report.steps if s.name == "E")
    assert e.work == (
        "E[2,1] = 3^scaled[2,1] = 3^3 = 27",
        "(worked from your own scaled; from the true values it is 9)",
    )


@pytest.mark.parametrize(
    ("convention", "cell", "line"),
    [
        ("columns", "X[2,3]", 'X[2,3] = e("poem")[2] + P[2,3] = 1 + (-0.42) ≈ 0.58'),
        ("rows", "X[3,2]", 'X[3,2] = e("poem")[2] + P[3,2] = 1 + (-0.42) ≈ 0.58'),
        ("rows", "X[1,2]", 'X[1,2] = e("Write")[2] + P[1,2] = 0 + 1 = 1'),
        (
            "rows",
            "P[3,2]",
            "P[3,2] = cos(2 / 100^(0/4)) ≈ -0.42 (pos = 2; feature 2 is 2i+1 = 1, counting from 0, so cos)",
        ),
        (
            "columns",
            "P[3,2]",
            "P[3,2] = sin(1 / 100^(2/4)) ≈ 0.10 (pos = 1; feature 3 is 2i = 2, counting from 0, so sin)",
        ),
        ("rows", "embed[2,2]", 'embed[2,2] = e("a")[2] = 2 (given: from the embeddings table)'),
    ],
)
def test_explain_step_0(convention: Convention, cell: str, line: str) -> None:
    done = explain(walk(words(convention)), cell)
    assert done.lines == (line,)


def test_explained_fractions_are_bracketed(cli: Runner) -> None:
    assert cli("explain", "A[3,1]").out == (
        "A[3,1] = E[3,1] / sums[1]: column q1 of E divided by its sum, so that it sums to 1\n"
        "  E[3,1] / sums[1] = (1/3) / (46/3)\n"
        "                   = (1/3)·(3/46)\n"
        "                   = 1/46\n"
    )
    assert (
        explain(walk(builtin_example()), "A[3,1]").text == "A[3,1] = E[3,1] / sums[1] = (1/3) / (46/3) = 1/46"
    )


def test_explain_takes_examples_and_sheets(cli: Runner) -> None:
    result = cli("explain", "scaled[2,1]", "--example", "masked-6x4")
    assert result.code == 0, result.err
    assert result.out == "scaled[2,1] = −∞: key 2 comes after query 1, so the causal mask hides it\n"
    assert cli("explain", "Q[1,1]", "--sheet", SHEET).code == 0


def test_embed_explanations_name_the_token() -> None:
    trace = walk(parse_problem_text(IDS, "ids.toml", "toml"))
    assert "e(#2)" in explain(trace, "X[1,1]").text


def test_explain_as_json_lines(cli: Runner) -> None:
    data = json.loads(cli("explain", "A[2,1]", "-f", "json").out)
    assert data["lines"] == ["A[2,1] = E[2,1] / sums[1] = 9 / (46/3) = 27/46"]


def test_check_work_lines_from_true_and_from_own_numbers(cli: Runner, tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    blank = ', ["?", "?", "?", "?"]' * 3
    path.write_text(f'A = [[0.2, "9/28", "9/22", "1/12"]{blank}]\n', encoding="utf-8")
    assert "A[1,1] = E[1,1] / sums[1] = 3 / (46/3) = 9/46" in cli("check", str(path), "-f", "plain").out
    path.write_text(f'sums = [11, "28/3", "22/3", 12]\nA = [[0.3, "9/28", "9/22", "1/12"]{blank}]\n',
                    encoding="utf-8")  # fmt: skip
    assert "A[1,1] = E[1,1] / sums[1] = 3 / 11 = 3/11" in cli("check", str(path), "-f", "plain").out
