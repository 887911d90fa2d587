"""The exact wording of explanations, all in one place: change explain's words here and nowhere else.

A few cells of every matrix in both conventions (masks, cross-attention, heads, concat, W_O, √ and e),
step 0 (word vectors, sinusoidal or given P) and the operands at --precision 3, the explain command,
run --show-work, the work lines check prints and the cells explain --answers blames. The values
themselves are checked against the independent reference in tests/test_explain.py.
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
from bythand.explain import diagnose, explain
from bythand.numbers import cell
from bythand.problem import Convention, Options, parse_problem_text

import reference as ref
from conftest import Runner
from student import array, toml, work
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


# Step 0, the heads' concat and W_O, worked at three places (a decimal shows whether --precision is used)

DECIMAL_WORDS = """\
convention = "rows"
tokens = ["a", "b"]
positions = "sinusoidal"
position_base = 100
WQ = [[1], [0]]
WK = [[0], [1]]
WV = [[1], [1]]

[embeddings]
a = [1, 0]
b = [0.1234, 2]
"""
NO_POSITIONS = DECIMAL_WORDS.replace('positions = "sinusoidal"\nposition_base = 100\n', "")
IDS_AND_P = """\
token_ids = [1, 0]
embedding = [[1, 0], [0.1234, 2]]
P = [[0, 0.5678], [1, 0]]
WQ = [[1, 1]]
WK = [[1, -1]]
WV = [[2, 0]]
"""
GIVEN_X = "X = [[0.1234, 2], [3, 4]]\nWQ = [[1, 0]]\nWK = [[0, 1]]\nWV = [[1, 1]]\n"
DECIMAL_X = GIVEN_X.replace("WQ = [[1, 0]]", "WQ = [[1, 0.5678]]")  # decimals in X, W_Q, Q, S, V and A


def three_heads() -> Problem:
    """The built-in example cut into three heads of d_k = 1, worked in decimals (e^x)."""
    b = builtin_example()
    return Problem(X=b.X, WQ=b.WQ, WK=b.WK, WV=b.WV, heads=3, options=b.options).with_options(approx=False)


def decimal_wo() -> Problem:
    """Two heads whose W_O holds a decimal past three places."""
    h = two_heads()
    WO: list[list[float]] = [[1, 0, 0, 1], [0, 0.1234, -1, 0]]
    return Problem(X=h.X, heads=h.heads, WO=WO, options=h.options)


def _toml(text: str) -> Callable[[], Problem]:
    return lambda: parse_problem_text(text, "p.toml", "toml")


PLACES: dict[str, Callable[[], Problem]] = {
    "words": _toml(DECIMAL_WORDS),
    "no-positions": _toml(NO_POSITIONS),
    "ids-and-P": _toml(IDS_AND_P),
    "given-X": _toml(GIVEN_X),
    "decimal-X": _toml(DECIMAL_X),
    "classic": builtin_example,
    "three-heads": three_heads,
    "decimal-WO": decimal_wo,
    "decimal-WO-rows": lambda: decimal_wo().in_convention("rows"),
}

# fmt: off
THREE_PLACES = [
    ("words", "X[2,1]", (
        """X[2,1] = e("b")[1] + P[2,1]: the word's vector plus its position's encoding""",
        """  e("b")[1] = 0.123, from the word's vector""",
        "  P[2,1] = 0.841, the encoding of position 1",
        """  e("b")[1] + P[2,1] = 0.123 + 0.841""",
        "                     ≈ 0.965",
    )),
    ("words", "P[2,2]",
     ("P[2,2] = cos(1 / 100^(0/2)) ≈ 0.540 (pos = 1; feature 2 is 2i+1 = 1, counting from 0, so cos)",)),
    ("words", "embed[2,1]", ('embed[2,1] = e("b")[1] ≈ 0.123 (given: from the embeddings table)',)),
    ("no-positions", "X[2,1]", ('X[2,1] = e("b")[1] ≈ 0.123: feature 1 of token 2',)),
    ("ids-and-P", "P[1,2]", ("P[1,2] ≈ 0.568 (given)",)),
    ("ids-and-P", "embed[2,1]", ("embed[2,1] = e(#1)[2] = 2 (given: from entry 1 of the embedding table)",)),
    ("given-X", "X[1,1]", ("X[1,1] ≈ 0.123 (given)",)),
    ("decimal-X", "Q[1,1]", (
        "Q[1,1] = (row 1 of W_Q)·x1: entry 1 of the query of token 1",
        "  row 1 of W_Q = (1, 0.568)",
        "  x1 = (0.123, 3), column 1 of X",
        "  (row 1 of W_Q)·x1 = 1·0.123 + 0.568·3",
        "                    ≈ 0.123 + 1.703",
        "                    ≈ 1.827",
    )),
    ("decimal-X", "S[1,2]", (
        "S[1,2] = k1·q2: how well key 1 matches query 2",
        "  k1 = (3), row 1 of Kᵀ (column 1 of K)",
        "  q2 = (4.271), column 2 of Q",
        "  k1·q2 = 3·4.271",
        "        ≈ 12.814",
    )),
    ("decimal-X", "scaled[1,2]", (
        "scaled[1,2] = S[1,2]/√1: S divided by √d_k, with d_k = 1",
        "  S[1,2]/√1 = 12.814/√1",
        "            = 12.814/1",
        "            ≈ 12.814",
    )),
    ("decimal-X", "Z[1,2]", (
        "Z[1,2] = Σ_i V[1,i]·A[i,2]: the values' entry 1, weighted by how much query 2 attends to each key",
        "  row 1 of V = (3.123, 6)",
        "  column q2 of A = (0.014, 0.986)",
        "  Σ_i V[1,i]·A[i,2] = 3.123·0.014 + 6·0.986",
        "                    ≈ 0.043 + 5.917",
        "                    ≈ 5.960",
    )),
    ("classic", "E[2,4]", (
        "E[2,4] = 3^scaled[2,4]: the hand trick 3^x in place of e^x",
        "  3^scaled[2,4] = 3^2",
        "                = 9",
    )),
    ("classic", "KT[3,2]", ("KT[3,2] = K[2,3] = 0: Kᵀ is K transposed, its rows and columns swapped",)),
    ("three-heads", "concat[3,2]", ("concat[3,2] = h3.Z[1,2] ≈ 0.628 (the heads' Z one under the other)",)),
    ("decimal-WO", "O[2,1]", (
        "O[2,1] = (row 2 of W_O)·(column 1 of concat)",
        "  row 2 of W_O = (0, 0.123, -1, 0)",
        "  column 1 of concat = (2, 2/3, 7/3, 2)",
        "  (row 2 of W_O)·(column 1 of concat) = 0·2 + 0.123·2/3 + (-1)·7/3 + 0·2",
        "                                      ≈ 0 + 0.082 + (-7/3) + 0",
        "                                      = 0.082 + (-7/3)",
        "                                      ≈ -2.251",
    )),
    ("decimal-WO-rows", "O[3,2]", (
        "O[3,2] = (row 3 of concat)·(column 2 of W_O)",
        "  row 3 of concat = (5/2, 3/4, 5/2, 3/2)",
        "  column 2 of W_O = (0, 0.123, -1, 0)",
        "  (row 3 of concat)·(column 2 of W_O) = 5/2·0 + 3/4·0.123 + 5/2·(-1) + 3/2·0",
        "                                      ≈ 0 + 0.093 + (-5/2) + 0",
        "                                      = 0.093 + (-5/2)",
        "                                      ≈ -2.407",
    )),
]
# fmt: on


@pytest.mark.parametrize(("key", "target", "work"), THREE_PLACES)
def test_full_working_at_three_places(key: str, target: str, work: tuple[str, ...]) -> None:
    """Step 0 (sinusoidal, given or no P; a table of words or of ids), a given X, Q, S, scaled and Z in
    decimals, the words after the rule (3^x, Kᵀ), concat and W_O."""
    assert explain(walk(PLACES[key]()), target, precision=3).work == work


@pytest.mark.parametrize(
    ("problem", "target", "value"),
    [
        (DECIMAL_WORDS, "X[2,1]", 0.1234 + ref.positional_encoding(2, 2, 100)[1][0]),
        (DECIMAL_WORDS, "P[2,2]", ref.positional_encoding(2, 2, 100)[1][1]),
        (DECIMAL_WORDS, "embed[2,1]", 0.1234),
        (NO_POSITIONS, "X[2,1]", 0.1234),
        (IDS_AND_P, "X[1,2]", 1 + 0.5678),
    ],
)
def test_explain_json_gives_the_value_of_a_step_0_cell(
    cli: Runner, tmp_path: Path, problem: str, target: str, value: float
) -> None:
    path = tmp_path / "p.toml"
    path.write_text(problem, encoding="utf-8")
    result = cli("explain", target, str(path), "-f", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["value"] == pytest.approx(value, rel=1e-12)


def test_show_work_works_the_sinusoidal_p_and_x_in_step_0_only(cli: Runner, tmp_path: Path) -> None:
    """P's cells (worked from the formula), then X's; the word vectors are given; no later step repeats P."""
    path = tmp_path / "words.toml"
    path.write_text(DECIMAL_WORDS, encoding="utf-8")
    result = cli("run", str(path), "--show-work", "-f", "plain")
    assert result.code == 0, result.err
    step0, later = result.out.split(" Step 1 · Given")
    assert step0.split("Work:\n")[1].rstrip("\n").splitlines() == [
        "  P[1,1] = sin(0 / 100^(0/2)) = 0 (pos = 0; feature 1 is 2i = 0, counting from 0, so sin)",
        "  P[1,2] = cos(0 / 100^(0/2)) = 1 (pos = 0; feature 2 is 2i+1 = 1, counting from 0, so cos)",
        "  P[2,1] = sin(1 / 100^(0/2)) ≈ 0.84 (pos = 1; feature 1 is 2i = 0, counting from 0, so sin)",
        "  P[2,2] = cos(1 / 100^(0/2)) ≈ 0.54 (pos = 1; feature 2 is 2i+1 = 1, counting from 0, so cos)",
        '  X[1,1] = e("a")[1] + P[1,1] = 1 + 0 = 1',
        '  X[1,2] = e("a")[2] + P[1,2] = 0 + 1 = 1',
        '  X[2,1] = e("b")[1] + P[2,1] = 0.12 + 0.84 ≈ 0.96',
        '  X[2,2] = e("b")[2] + P[2,2] = 2 + 0.54 ≈ 2.54',
    ]
    assert "  P[" not in later and "  embed[" not in later
    assert later.count("Work:") == 8  # steps 2 to 9


@pytest.mark.parametrize(
    ("key", "target", "inputs"),
    [
        ("words", "X[2,1]", ["embed[2,1]", "P[2,1]"]),
        ("no-positions", "X[2,1]", ["embed[2,1]"]),
        ("classic", "KT[3,2]", ["K[2,3]"]),
        ("classic-rows", "Q[3,2]", ["X[3,1]", "X[3,2]", "X[3,3]", "X[3,4]", "X[3,5]", "X[3,6]",
                                    "WQ[1,2]", "WQ[2,2]", "WQ[3,2]", "WQ[4,2]", "WQ[5,2]", "WQ[6,2]"]),
        ("classic-rows", "S[1,2]", ["Q[1,1]", "Q[1,2]", "Q[1,3]", "KT[1,2]", "KT[2,2]", "KT[3,2]"]),
        ("classic-rows", "Z[2,3]", ["A[2,1]", "A[2,2]", "A[2,3]", "A[2,4]",
                                    "V[1,3]", "V[2,3]", "V[3,3]", "V[4,3]"]),
        ("small", "Z[1,3]", ["V[1,1]", "V[1,2]", "V[1,3]", "A[1,3]", "A[2,3]", "A[3,3]"]),
        ("two", "concat[3,2]", ["h2.Z[1,2]"]),
        ("two-rows", "concat[2,3]", ["h2.Z[2,1]"]),
        ("two", "O[2,1]", ["WO[2,1]", "WO[2,2]", "WO[2,3]", "WO[2,4]",
                           "concat[1,1]", "concat[2,1]", "concat[3,1]", "concat[4,1]"]),
        ("two-rows", "O[3,2]", ["concat[3,1]", "concat[3,2]", "concat[3,3]", "concat[3,4]",
                                "WO[1,2]", "WO[2,2]", "WO[3,2]", "WO[4,2]"]),
    ],
)  # fmt: skip
def test_an_explanation_names_the_cells_it_is_made_from(key: str, target: str, inputs: list[str]) -> None:
    problem = (PROBLEMS | PLACES)[key]()
    assert [c.label(True) for c in explain(walk(problem), target).inputs] == inputs


@pytest.mark.parametrize(
    ("convention", "slip", "target", "cause"),
    [
        ("columns", ("concat", 2, 1), ("O", 1, 1), "concat[3,2] = 5 was already wrong (it is 19/9)"),
        ("rows", ("concat", 1, 2), ("O", 1, 1), "concat[2,3] = 5 was already wrong (it is 19/9)"),
        ("columns", ("h2.Z", 0, 1), ("concat", 2, 1), "h2.Z[1,2] = 5 was already wrong (it is 19/9)"),
        ("rows", ("h2.Z", 1, 0), ("concat", 1, 2), "h2.Z[2,1] = 5 was already wrong (it is 19/9)"),
    ],
)
def test_a_wrong_heads_z_or_concat_is_named_as_the_cause(
    convention: Convention, slip: tuple[str, int, int], target: tuple[str, int, int], cause: str
) -> None:
    """explain --answers: a student's slip in h2.Z or concat, carried into concat or O."""
    problem = two_heads().in_convention(convention)
    truth = ref.of(problem)
    name, i, j = slip
    mine = [list(row) for row in truth[name]]
    mine[i][j] = F(5)
    answers = parse_answers_text(toml({name: array(mine)}), "a.toml", "toml")
    matrix, row, col = target
    text = diagnose(walk(problem), f"{matrix}[{row + 1},{col + 1}]", answers).text
    assert text.splitlines()[-1] == f"The true value is {truth[matrix][row][col]}: your {cause}"


@pytest.mark.parametrize(
    ("args", "err"),
    [
        (("sums[2]", "--heads", "3"),
         "sums is per head in this problem (3 heads): write h1.sums[2], h2.sums[2] or h3.sums[2]"),
        (("Y[1,1]", "--convention", "rows"),
         "no matrix 'Y' in this problem. Valid cells: X[1..4,1..6], WQ[1..6,1..3], WK[1..6,1..3], "
         "WV[1..6,1..3], Q[1..4,1..3], K[1..4,1..3], V[1..4,1..3], KT[1..3,1..4], S[1..4,1..4], "
         "scaled[1..4,1..4], E[1..4,1..4], sums[1..4], A[1..4,1..4], Z[1..4,1..3]"),
    ],
)  # fmt: skip
def test_a_cell_of_no_matrix_says_what_to_write(cli: Runner, args: tuple[str, ...], err: str) -> None:
    """One index for a per-head sums; in rows sums is a column, so its cells are sums[1..n]."""
    result = cli("explain", *args)
    assert (result.code, result.out, result.err) == (2, "", f"Error: {err}\n")


def test_the_floor_note_writes_a_huge_score_at_the_precision() -> None:
    """A student's own odd S past 10^15 (explain --answers): both numbers of the note in e-notation at
    --precision, like the chain above it."""
    trace = walk(builtin_example())
    S = trace["S"].copy()
    S[2, 0] = F(-(2 * 10**15 + 1))
    assert explain(trace, "scaled[3,1]", {"S": S}, precision=3).work == (
        "scaled[3,1] = ⌊S[3,1]/2⌋: S halved and rounded down",
        "  ⌊S[3,1]/2⌋ = ⌊-2.000e15/2⌋",
        "             = ⌊-1.0e15⌋",
        "             = -1.000e15",
        "  ⌊ ⌋ rounds down, towards −∞: ⌊-1.0e15⌋ = -1.000e15, not -1.000e15",
    )
