"""explain as a TA writes it: operands named, each step of the arithmetic, labels, --answers, LaTeX."""

from __future__ import annotations

import json
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bythand import ProblemError, builtin_example, walk
from bythand.check import load_answers
from bythand.explain import Cell, diagnose, explain, parse_cell
from bythand.problem import Convention, load_example
from bythand.render.texmath import maths

import reference as ref
from conftest import Runner
from student import text, toml, work


def test_the_working_names_the_vectors_and_shows_each_sum() -> None:
    trace = walk(builtin_example())
    assert explain(trace, "S[1,2]").work == (
        "S[1,2] = k1·q2: how well key 1 matches query 2",
        "  k1 = (0, 0, 1), row 1 of Kᵀ (column 1 of K)",
        "  q2 = (1, 1, 2), column 2 of Q",
        "  k1·q2 = 0·1 + 0·1 + 1·2",
        "        = 0 + 0 + 2",
        "        = 2",
    )
    assert explain(trace, "sums[1]").work == (
        "sums[1] = Σ_i E[i,1]: the sum down column q1 of E",
        "  Σ_i E[i,1] = 3 + 9 + 1/3 + 3",
        "             = 15 + 1/3",  # the whole numbers first, then the fraction left over
        "             = 46/3",
    )
    assert explain(trace, "A[2,1]").work[1:] == (
        "  E[2,1] / sums[1] = 9 / (46/3)",
        "                   = 9·3/46",  # dividing by a fraction: times its flip
        "                   = 27/46",
    )
    z = explain(trace, "Z[1,1]").work
    assert z[1:3] == ("  row 1 of V = (20, 0, 0, 20)", "  column q1 of A = (9/46, 27/46, 1/46, 9/46)")
    assert z[-3:] == (
        "                    = 90/23 + 0 + 0 + 90/23",
        "                    = 90/23 + 90/23",
        "                    = 180/23",
    )
    q = explain(trace, "Q[3,2]").work
    assert q[2] == "  x2 = (0, 1, 2, 0, 0, 0), column 2 of X"


def test_floor_of_a_negative_half_rounds_down() -> None:
    trace = walk(builtin_example())
    assert explain(trace, "scaled[3,1]").work == (
        "scaled[3,1] = ⌊S[3,1]/2⌋: S halved and rounded down",
        "  ⌊S[3,1]/2⌋ = ⌊-1/2⌋",
        "             = ⌊-0.5⌋",
        "             = -1",
        "  ⌊ ⌋ rounds down, towards −∞: ⌊-0.5⌋ = -1, not 0",
    )
    # the one-line form stays as --show-work and check print it
    assert explain(trace, "scaled[3,1]").text == "scaled[3,1] = ⌊S[3,1]/2⌋ = ⌊-1/2⌋ = -1"
    assert (
        len(explain(trace, "scaled[2,4]").work) == 4
        and "rounds down, towards" not in explain(trace, "scaled[2,4]").work_text
    )


@pytest.mark.parametrize(
    ("written", "cell"),
    [("S[k1,q2]", Cell("S", 0, 1)), ("A[k2,q1]", Cell("A", 1, 0)), ("S[q2,k1]", Cell("S", 0, 1)),
     ("sums[q3]", Cell("sums", 0, 2)), ("Q[1,q2]", Cell("Q", 0, 1)), ("Kᵀ[k2,1]", Cell("KT", 1, 0)),
     ("W_Q[2,3]", Cell("WQ", 1, 2))],
)  # fmt: skip
def test_table_labels_name_cells(written: str, cell: Cell) -> None:
    assert parse_cell(walk(builtin_example()), written) == cell


def test_rows_convention_labels_follow_the_table() -> None:
    trace = walk(builtin_example().in_convention("rows"))
    assert parse_cell(trace, "S[q2,k1]") == Cell("S", 1, 0)  # rows are queries here
    assert parse_cell(trace, "sums[q3]") == Cell("sums", 2, 0)


def test_bad_labels_say_what_the_table_has() -> None:
    trace = walk(builtin_example())
    with pytest.raises(
        ProblemError, match=r"^S\[k1,k2\]: k1 and k2 are both rows of S; give a row and a column$"
    ):
        parse_cell(trace, "S[k1,k2]")
    with pytest.raises(
        ProblemError,
        match=r"^S\[z1,q1\]: z1 is not a row or column of S \(its rows are k1\.\.k4, its columns q1\.\.q4\)$",
    ):
        parse_cell(trace, "S[z1,q1]")


def test_a_per_head_matrix_suggests_the_heads(cli: Runner) -> None:
    result = cli("explain", "A[1,2]", "--example", "multi-head-2x4")
    assert (result.code, result.err) == (
        2,
        "Error: A is per head in this problem (2 heads): write h1.A[1,2] or h2.A[1,2]\n",
    )
    assert cli("explain", "h2.A[k1,q2]", "--example", "multi-head-2x4").out.startswith(
        "h2.A[1,2] = h2.E[1,2]"
    )
    three = cli("explain", "S[1,1]", "--heads", "3")
    assert (
        three.err
        == "Error: S is per head in this problem (3 heads): write h1.S[1,1], h2.S[1,1] or h3.S[1,1]\n"
    )


def _answers(tmp_path: Path, slips: dict[str, tuple[int, int, Fraction]], name: str = "ada") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(toml(work(builtin_example(), slips)), encoding="utf-8")
    return path


def test_answers_carried_forward_names_the_first_wrong_operand(cli: Runner, tmp_path: Path) -> None:
    mine = _answers(tmp_path, {"K": (0, 1, Fraction(1))})  # K[1,2] = 1, not 2; everything after from it
    result = cli("explain", "S[2,4]", "--answers", str(mine))
    assert result.code == 0, result.err
    assert result.out == (
        "S[2,4] = k2·q4: how well key 2 matches query 4\n"
        "  k2 = (1, 1, 0), row 2 of Kᵀ (column 2 of K)\n"  # the student's own k2
        "  q4 = (2, 1, 1), column 4 of Q\n"
        "  k2·q4 = 1·2 + 1·1 + 0·1\n"
        "        = 2 + 1 + 0\n"
        "        = 3\n"
        "\n"
        "Your S[2,4] = 3 is right from your own numbers: your KT[2,1] = 1 was already wrong (it is 2), and "
        "this cell carries that forward, so it is not a new mistake. The true value is 5.\n"
    )
    slip = cli("explain", "K[1,2]", "--answers", str(mine)).out.split("\n\n")[1]
    assert slip == (
        "Your K[1,2] = 1, but it should be 2.\n"
        "Your operands for it are right, so the slip is in the arithmetic of this step (the working above).\n"
    )
    right = cli("explain", "S[k1,q2]", "--answers", str(mine)).out
    assert right.endswith("\nYour S[1,2] = 2 is right.\n")


def test_answers_wrong_twice_says_both(cli: Runner, tmp_path: Path) -> None:
    mine = _answers(tmp_path, {"K": (0, 1, Fraction(1)), "S": (1, 3, Fraction(7))})
    out = cli("explain", "S[2,4]", "--answers", str(mine)).out
    assert out.split("\n\n")[1] == (
        "Your S[2,4] = 7, but it should be 5.\n"
        "Where it went wrong: your KT[2,1] = 1 was already wrong (it is 2); from your own numbers it comes "
        "to 3, so your 7 also has a slip in the arithmetic of this step.\n"
    )
    data = cli("explain", "S[2,4]", "--answers", str(mine), "-f", "json").out
    parsed = json.loads(data)
    assert parsed["answer"]["written"] == "7" and parsed["answer"]["verdict"] == "wrong"
    assert parsed["value"] == 3.0 and parsed["exact"] == "3"  # the value from the student's own numbers
    assert parsed["work"][0] == "S[2,4] = k2·q4: how well key 2 matches query 4"


def test_answers_blank_and_missing_file(cli: Runner, tmp_path: Path) -> None:
    partial = tmp_path / "bo.toml"
    partial.write_text('name = "Bo"\nQ = [[2, 1, 0, 2], [0, 1, 1, 1], [3, 2, 2, 1]]\n', encoding="utf-8")
    out = cli("explain", "S[2,4]", "--answers", str(partial)).out
    assert out.endswith("\n\nYou have not written S[2,4]; from your own numbers it comes to 5\n")
    missing = cli("explain", "S[2,4]", "--answers", str(tmp_path / "none.toml"))
    assert missing.code == 2 and missing.err.startswith("Error: ") and "none.toml" in missing.err


def test_markdown_and_latex_formats(cli: Runner) -> None:
    md = cli("explain", "A[2,1]", "-f", "markdown").out
    assert md == (
        "**A[2,1]**\n\n```text\n"
        "A[2,1] = E[2,1] / sums[1]: column q1 of E divided by its sum, so that it sums to 1\n"
        "  E[2,1] / sums[1] = 9 / (46/3)\n                   = 9·3/46\n                   = 27/46\n```\n"
    )
    tex = cli("explain", "A[2,1]", "-f", "latex").out
    assert tex == (
        "% Generated by bythand; needs \\usepackage{amsmath}.\n"
        "\\noindent $A_{2,1} = E_{2,1} / \\mathrm{sums}_{1}$: column q1 of E divided by its sum, so that it "
        "sums to 1 \\\\[0.6ex]\n"
        "\\quad $E_{2,1} / \\mathrm{sums}_{1} = 9 / (\\frac{46}{3})$ \\\\[0.6ex]\n"
        "\\qquad\\quad $= 9\\cdot \\frac{3}{46}$ \\\\[0.6ex]\n"
        "\\qquad\\quad $= \\frac{27}{46}$\n"
    )
    assert cli("explain", "A[2,1]", "-f", "pdf").err == (
        "Error: --format: unknown value 'pdf' (choose text, markdown, latex, json)\n"
    )


@pytest.mark.parametrize(
    ("unicode", "tex"),
    [
        ("⌊-1/2⌋", "\\lfloor -\\frac{1}{2}\\rfloor"),
        ("3^-1", "3^{-1}"),
        ("3^(5/2)", "3^{(\\frac{5}{2})}"),
        ("h2.Kᵀ[2,1]", "{{K^{\\top}}^{(2)}}_{2,1}"),
        ("Σ_i V[1,i]·A[i,1]", "\\sum_i V_{1,i}\\cdot A_{i,1}"),
        ("5/√3 ≈ 2.89", "5/\\sqrt{3} \\approx 2.89"),
        ("e^−∞", "e^{-\\infty}"),
    ],
)
def test_unicode_maths_to_latex(unicode: str, tex: str) -> None:
    assert maths(unicode) == tex


LATEX_DOC = (
    "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n\\input{body}\n\\end{document}\n"
)


def _compile(tmp_path: Path, body: str) -> None:
    """The body compiles with pdflatex and amsmath alone (no error, no undefined control sequence)."""
    (tmp_path / "body.tex").write_text(body, encoding="utf-8")
    (tmp_path / "doc.tex").write_text(LATEX_DOC, encoding="utf-8")
    done = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
        check=False, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 1000


needs_pdflatex = pytest.mark.skipif(
    shutil.which("pdflatex") is None, reason="pdflatex is not installed (apt-get install texlive-latex-base)"
)


@needs_pdflatex
def test_explain_latex_compiles_with_amsmath_alone(cli: Runner, tmp_path: Path) -> None:
    cells = [
        "Q[1,1]",
        "KT[2,1]",
        "S[k2,q4]",
        "scaled[3,1]",
        "E[3,1]",
        "sums[1]",
        "A[2,1]",
        "Z[1,1]",
        "X[6,1]",
    ]
    body = "\n\n".join(cli("explain", c, "-f", "latex").out for c in cells)
    body += "\n\n" + cli("explain", "h2.A[1,2]", "--example", "multi-head-2x4", "-f", "latex").out
    body += "\n\n" + cli("explain", "E[2,4]", "--no-approx", "-f", "latex").out
    body += "\n\n" + cli("explain", "E[4,1]", "--mask", "causal", "-f", "latex").out
    _compile(tmp_path, body)


@needs_pdflatex
def test_run_show_work_latex_compiles(cli: Runner, tmp_path: Path) -> None:
    out = cli("run", "--show-work", "-f", "latex").out
    assert out.count("\\textbf{Work:}") == 8
    assert "$\\mathrm{sums}_{1} = 3 + 9 + \\frac{1}{3} + 3 = \\frac{46}{3}$" in out
    causal = cli("run", "--show-work", "--example", "masked-6x4", "--step", "5-6", "-f", "latex").out
    _compile(tmp_path, out + "\n" + causal)


def test_heads_and_rows_working_reaches_the_trace_value() -> None:
    for trace in (walk(load_example("multi-head-2x4")), walk(builtin_example().in_convention("rows"))):
        for name, m in trace.matrices.items():
            for i in range(m.shape[0]):
                for j in range(m.shape[1]):
                    done = explain(trace, Cell(name, i, j))
                    steps = [line.strip() for line in done.work if line.strip().startswith(("= ", "≈ "))]
                    assert not steps or steps[-1][2:] in done.lines[0], done.work  # the same value


# explain CELL --answers FILE: what the student wrote, the verdict, and the TA's remarks


def _hand_in(
    tmp_path: Path,
    problem: Any,
    slips: dict[str, tuple[int, int, Fraction]],
    names: tuple[str, ...],
    edits: dict[tuple[str, int, int], str | Fraction] | None = None,
) -> Path:
    """The student's steps `names` (worked by tests/student.py, slips carried), then `edits` written
    over single cells as the student typed them ("?" blank, "x" unreadable, "1.0")."""
    mats = {name: work(problem, slips)[name].copy() for name in names}
    for (name, i, j), value in (edits or {}).items():
        mats[name][i, j] = value
    path = tmp_path / "mine.toml"
    lines = ['name = "Ada"']
    for name, m in mats.items():
        rows = ", ".join(
            "[" + ", ".join(f'"{v}"' if isinstance(v, str) else text(v) for v in row) + "]"
            for row in m.tolist()
        )
        lines.append(f"{name} = [{rows}]")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# K[1,2] written 1 (it is 2), so the student's k2 = (1, 1, 0) and the true k2 = (2, 1, 0); q1 = (2, 0, 3),
# q2 = (1, 1, 2), q3 = (0, 1, 2), q4 = (2, 1, 1), k3 = (1, 0, -1). Kᵀ[2,1] is left blank (their own
# value there is their K's 1), S[2,1] blank, S[3,3] unreadable, S[2,2] a new slip on top of the old one.
VERDICTS = [
    ("S[1,2]", "2", "correct", ["Your S[1,2] = 2 is right."]),
    ("S[2,4]", "3", "carried", [
        "Your S[2,4] = 3 is right from your own numbers: your KT[2,1] = 1 was already wrong (it is 2), and "
        "this cell carries that forward, so it is not a new mistake. The true value is 5."]),
    ("S[2,2]", "7", "wrong", [
        "Your S[2,2] = 7, but it should be 3.",
        "Where it went wrong: your KT[2,1] = 1 was already wrong (it is 2); from your own numbers it comes "
        "to 2, so your 7 also has a slip in the arithmetic of this step."]),
    ("K[1,2]", "1", "wrong", [
        "Your K[1,2] = 1, but it should be 2.",
        "Your operands for it are right, so the slip is in the arithmetic of this step (the working "
        "above)."]),
    ("S[2,1]", None, "blank", [
        "You have not written S[2,1]; from your own numbers it comes to 2",
        "The true value is 4: your KT[2,1] = 1 was already wrong (it is 2)"]),
    ("S[3,3]", "x", "unreadable", [
        "Your S[3,3] could not be read (x); from your own numbers it comes to -2"]),
    ("X[1,1]", None, "given", ["X[1,1]: a given, nothing to work out"]),
    ("WQ[2,3]", None, "given", ["WQ[2,3]: a given, nothing to work out"]),
]  # fmt: skip


@pytest.mark.parametrize(("target", "written", "verdict", "remarks"), VERDICTS)
def test_answers_say_what_was_written_and_the_verdict(
    cli: Runner, tmp_path: Path, target: str, written: str | None, verdict: str, remarks: list[str]
) -> None:
    edits: dict[tuple[str, int, int], str | Fraction] = {
        ("KT", 1, 0): "?", ("S", 1, 0): "?", ("S", 2, 2): "x", ("S", 1, 1): Fraction(7)
    }  # fmt: skip
    mine = _hand_in(
        tmp_path, builtin_example(), {"K": (0, 1, Fraction(1))}, ("Q", "K", "V", "KT", "S"), edits
    )
    out = cli("explain", target, "--answers", str(mine))
    assert out.code == 0, out.err
    assert out.out.split("\n\n")[-1] == "\n".join(remarks) + "\n"
    data = json.loads(cli("explain", target, "--answers", str(mine), "-f", "json").out)
    assert data["answer"] == {"written": written, "verdict": verdict, "remarks": remarks}


def _fraction(v: Fraction) -> str:
    return f"{v.numerator}" if v.denominator == 1 else f"{v.numerator}/{v.denominator}"


@pytest.mark.parametrize(
    ("convention", "target", "query"), [("columns", "A[1,2]", 1), ("rows", "A[4,1]", 3)]
)  # fmt: skip
def test_answers_name_the_wrong_sum_of_the_cells_own_query(
    cli: Runner, tmp_path: Path, convention: Convention, target: str, query: int
) -> None:
    problem = builtin_example().in_convention(convention)
    true = ref.of(problem)
    edits: dict[tuple[str, int, int], str | Fraction] = {
        ("sums", i, j): Fraction(v) + 1 for i, row in enumerate(true["sums"]) for j, v in enumerate(row)
    }  # every sum one too many: no entry of sums is right

    def of_query(m: ref.Mat) -> Fraction:  # m at the target's query (and key 1, for E)
        return Fraction(m[0][query] if convention == "columns" else m[query][0])

    e, total = of_query(true["E"]), of_query(true["sums"])
    mine = _hand_in(tmp_path, problem, {}, ("Q", "K", "V", "KT", "S", "scaled", "E", "sums"), edits)
    out = cli("explain", target, "--answers", str(mine), "--convention", convention)
    assert out.code == 0, out.err
    assert out.out.split("\n\n")[-1] == (
        f"You have not written {target}; from your own numbers it comes to {_fraction(e / (total + 1))}\n"
        f"The true value is {_fraction(e / total)}: your sums[{query + 1}] = {_fraction(total + 1)} was "
        f"already wrong (it is {_fraction(total)})\n"
    )


def test_answers_count_the_other_wrong_operands(cli: Runner, tmp_path: Path) -> None:
    # K[1,2] = 1 (it is 2) and Q[1,4] = 1 (it is 2): S[2,4] = k2·q4 reads both
    mine = _hand_in(
        tmp_path,
        builtin_example(),
        {"K": (0, 1, Fraction(1)), "Q": (0, 3, Fraction(1))},
        ("Q", "K", "V", "KT", "S"),
    )
    out = cli("explain", "S[2,4]", "--answers", str(mine)).out
    assert out.split("\n\n")[-1] == (
        "Your S[2,4] = 2 is right from your own numbers: your KT[2,1] = 1 was already wrong (it is 2) (and 1 "
        "more of its operands), and this cell carries that forward, so it is not a new mistake. The true "
        "value is 5.\n"
    )


def test_answers_to_a_masked_problem_read_minus_infinity(cli: Runner, tmp_path: Path) -> None:
    masked = load_example("masked-6x4")
    true = ref.of(masked)
    assert [row[1] for row in true["E"]] == [3, 3, 0, 0] and true["sums"][0][1] == 6
    # S[1,2] = 6 (it is 2): their scaled[1,2] = 3 and E[1,2] = 27; the masked scores written "-inf"
    mine = _hand_in(tmp_path, masked, {"S": (0, 1, Fraction(6))}, ("Q", "K", "V", "KT", "S", "scaled", "E"))
    assert '"-inf"' in mine.read_text(encoding="utf-8")
    out = cli("explain", "sums[2]", "--example", "masked-6x4", "--answers", str(mine))  # the file names none
    assert (out.code, out.err) == (0, "")
    assert out.out == (
        "sums[2] = Σ_i E[i,2]: the sum down column q2 of E\n"
        "  Σ_i E[i,2] = 27 + 3 + 0 + 0\n"
        "             = 30\n"
        "\n"
        "You have not written sums[2]; from your own numbers it comes to 30\n"
        "The true value is 6: your E[1,2] = 27 was already wrong (it is 3)\n"
    )
    right = cli("explain", "E[2,1]", "--example", "masked-6x4", "--answers", str(mine)).out
    assert right.split("\n\n")[-1] == "Your E[2,1] = 0 is right.\n"


def test_answers_for_one_head_of_several(cli: Runner, tmp_path: Path) -> None:
    # --heads 3 cuts the example's d_k = 3 into three heads of one row each; the file holds head 1's steps
    whole = builtin_example()
    wq, wk, wv = (ref.split(ref.plain(w), 3, True)[0] for w in (whole.WQ, whole.WK, whole.WV))
    one = SimpleNamespace(
        X=whole.X, C=None, options=whole.options, heads=[SimpleNamespace(WQ=wq, WK=wk, WV=wv)]
    )  # fmt: skip
    mats = work(one, {"K": (0, 1, Fraction(1))})  # their k2 = (1), it is (2); q4 = (2)
    path = tmp_path / "h1.toml"
    path.write_text(toml({f"h1.{n}": mats[n] for n in ("Q", "K", "V", "KT", "S")}), encoding="utf-8")
    out = cli("explain", "h1.S[2,4]", "--heads", "3", "--answers", str(path))
    assert out.code == 0, out.err
    assert out.out.split("\n\n")[-1] == (
        "Your h1.S[2,4] = 2 is right from your own numbers: your h1.KT[2,1] = 1 was already wrong (it is 2), "
        "and this cell carries that forward, so it is not a new mistake. The true value is 4.\n"
    )


def _decimals(tmp_path: Path) -> tuple[Path, float, float, float, float]:
    """A student of the example without the tricks (÷√3, e^x) whose S[1,1] is 5 (it is 3), who hands in
    steps 2 to 5 (scaled[2,2] a new slip, 1.0) and leaves E blank: (file, their scaled[1,1], the true
    one, their E[1,1], the true one)."""
    exact = load_example("self-attention-6x4-exact")
    mine = _hand_in(
        tmp_path,
        exact,
        {"S": (0, 0, Fraction(5))},
        ("Q", "K", "V", "KT", "S", "scaled"),
        {("scaled", 1, 1): "1.0"},
    )
    true = ref.of(exact)
    theirs = ref.scale([[Fraction(5)]], "sqrt", 3)[0][0]
    e = ref.exponentiate([[theirs]], "e")[0][0]
    return mine, float(theirs), float(true["scaled"][0][0]), float(e), float(true["E"][0][0])


@pytest.mark.parametrize("problem", [["--no-approx"], ["--example", "self-attention-6x4-exact"]])
def test_answers_in_decimals_are_shown_to_the_precision_asked(
    cli: Runner, tmp_path: Path, problem: list[str]
) -> None:
    mine, theirs, scaled, own, truth = _decimals(tmp_path)
    out = cli("explain", "E[1,1]", *problem, "--precision", "3", "--answers", str(mine))
    assert (out.code, out.err) == (0, "")
    assert out.out == (
        "E[1,1] = e^scaled[1,1]\n"
        f"  e^scaled[1,1] = e^{theirs:.3f}\n"
        f"                ≈ {own:.3f}\n"
        "\n"
        f"You have not written E[1,1]; from your own numbers it comes to {own:.3f}\n"
        f"The true value is {truth:.3f}: your scaled[1,1] = {theirs:.3f} was already wrong "
        f"(it is {scaled:.3f})\n"
    )


def test_diagnose_takes_a_cell_and_shows_two_places_by_default(tmp_path: Path) -> None:
    mine, theirs, scaled, own, truth = _decimals(tmp_path)
    trace = walk(load_example("self-attention-6x4-exact"))
    remarks = (
        f"«You have not written »E[1,1]«; from your own numbers it comes to »{own:.2f}",
        f"«The true value is »{truth:.2f}«: »«your »scaled[1,1] = {theirs:.2f}« was already wrong (it is "
        f"»{scaled:.2f}«)»",
    )
    for target in ("E[1,1]", Cell("E", 0, 0)):
        done = diagnose(trace, target, load_answers(mine))
        assert (done.written, done.verdict, done.lines) == (None, "blank", remarks)
        assert done.explanation.work[1] == f"  e^scaled[1,1] = e^{theirs:.2f}"
