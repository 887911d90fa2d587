"""The Python API: discoverable names, friendly inputs, a one-line repr, show(), tables, render, grade."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import bythand
from bythand import Problem, ProblemError, builtin_example, walk

ROOT = Path(__file__).resolve().parent.parent
CLASSIC = ROOT / "worksheets" / "self-attention-6x4.toml"


def test_dir_lists_the_public_names_and_each_resolves() -> None:
    names = dir(bythand)
    assert names == sorted(bythand.__all__)
    for wanted in ("Problem", "walk", "load_problem", "render", "explain", "grade", "Table", "Trace"):
        assert wanted in names
        assert getattr(bythand, wanted) is not None
    assert callable(bythand.render) and callable(bythand.explain) and callable(bythand.walk)
    from bythand.render import terminal  # the subpackage is still importable beside the function

    assert callable(terminal.render) and callable(bythand.render)


def test_load_problem_takes_a_str_or_a_path() -> None:
    by_str, by_path = bythand.load_problem(str(CLASSIC)), bythand.load_problem(CLASSIC)
    assert walk(by_str)["Z"].tolist() == walk(by_path)["Z"].tolist()
    with pytest.raises(ProblemError, match=r"^load_problem takes a file name \(a str or a Path\), not int$"):
        bythand.load_problem(3)  # type: ignore[arg-type]
    with pytest.raises(ProblemError, match="no such file"):
        bythand.load_problem("nowhere.toml")


def test_problem_options_as_a_dict_and_convention() -> None:
    p = Problem([[1, 0], [0, 1]], [[1, 1]], [[1, -1]], [[2, 0]], options={"scale": "none", "exp": 2})
    assert (p.options.scale, p.options.exp) == ("none", "2")
    assert walk(p)["Z"].tolist() == [[Fraction(8, 5), Fraction(8, 5)]]
    tricks = Problem(
        [[1, 0], [0, 1]], [[1, 1]], [[1, -1]], [[2, 0]], options={"approx": True, "mask": "causal"}
    )
    assert (tricks.options.scale, tricks.options.exp, tricks.options.mask) == ("floor-half", "3", "causal")
    rows = Problem(
        [[1, 0], [0, 1]],
        [[1], [1]],
        [[1], [-1]],
        [[2], [0]],
        convention="rows",
        options={"scale": "none", "exp": "2"},
    )
    assert walk(rows)["Z"].T.tolist() == walk(p)["Z"].tolist()  # the same problem, tokens as rows
    with pytest.raises(ProblemError, match="unknown option 'scael' \\(did you mean scale\\?\\)"):
        Problem([[1]], [[1]], [[1]], [[1]], options={"scael": "none"})
    with pytest.raises(ProblemError, match="unknown convention 'row'"):
        Problem([[1]], [[1]], [[1]], [[1]], convention="row")
    with pytest.raises(ProblemError, match="approx must be True or False"):
        Problem([[1]], [[1]], [[1]], [[1]], options={"approx": "yes"})


def test_integer_arrays_stay_exact_and_float_arrays_do_not() -> None:
    whole = Problem(
        np.array([[2, 0], [0, 1]]), np.array([[1, 1]]), [[1, -1]], [[2, 0]], options={"approx": True}
    )
    trace = walk(whole)
    assert trace.exact and trace["X"][0, 0] == Fraction(2)
    halves = Problem(
        np.array([[0.5, 0.0], [0.0, 1.0]]), [[1, 1]], [[1, -1]], [[2, 0]], options={"approx": True}
    )
    assert not walk(halves).exact


def test_repr_of_a_trace_is_one_line() -> None:
    text = repr(walk(builtin_example()))
    assert "\n" not in text and len(text) < 300
    assert text.startswith(
        "<Trace 'Self-attention by hand: 6 features, 4 tokens, d_k = 3': 6 features, 4 tokens"
    )
    assert "scale ⌊x/2⌋ · 3^x" in text and "exact fractions" in text and "Z = [[180/23, 90/7" in text
    decimals = repr(walk(builtin_example().with_options(approx=False)))
    assert "decimals" in decimals and "Fraction" not in decimals
    heads = repr(walk(bythand.problem.load_example("multi-head-2x4")))
    assert "2 heads" in heads and "O = [[" in heads
    assert repr(builtin_example()).startswith("<Problem 'Self-attention by hand")


def test_show_prints_the_coloured_view(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    trace = walk(builtin_example())
    trace.show("A")
    out = capsys.readouterr().out
    assert "Step 8 · Softmax: 1/sum" in out and "27/46" in out and "Step 7" not in out
    trace.show(4)
    assert "Step 4 · MatMul" in capsys.readouterr().out
    trace.show()
    assert capsys.readouterr().out.count(" Step ") == 9
    with pytest.raises(ProblemError, match="no step or matrix 'Y'"):
        trace.show("Y")
    trace.show(layout="sheet")
    sheet = capsys.readouterr().out
    assert "[4] S = Kᵀ·Q" in sheet and "Step 4" not in sheet
    trace.show("A", numbers="decimal", precision=3)  # the view's options reach the table
    decimals = capsys.readouterr().out
    assert "0.587" in decimals and "27/46" not in decimals  # 27/46 to three places
    trace.show("A", plain=True)
    assert "╭" not in capsys.readouterr().out


def test_tables_show_fractions_and_index_like_the_matrix() -> None:
    trace = walk(builtin_example())
    table = trace.table("sums")
    assert str(table) == "sums (1×4)\n     q1    q2    q3    q4\nΣ  46/3  28/3  22/3    12"
    assert repr(table) == str(table) and "Fraction" not in repr(table)
    assert table[0, 0] == Fraction(46, 3) and table.shape == (1, 4)
    assert table.tolist() == [[Fraction(46, 3), Fraction(28, 3), Fraction(22, 3), Fraction(12)]]
    assert "<caption>sums</caption>" in table._repr_html_() and "46/3" in table._repr_html_()


def test_a_missing_name_says_which_exist() -> None:
    trace = walk(builtin_example())
    with pytest.raises(KeyError) as info:
        trace["s"]
    assert str(info.value) == (
        "no matrix 's' in this trace (did you mean S?); "
        "it has X, WQ, WK, WV, Q, K, V, KT, S, scaled, E, sums, A, Z"
    )
    with pytest.raises(KeyError, match="did you mean A"):
        trace.table("a")
    assert trace.step(9).title == "MatMul" and trace.step(9).names == ("Z",)
    with pytest.raises(KeyError) as step:
        trace.step(10)  # nine steps: the error names the number asked for
    assert step.value.args == (10,)


def test_render_each_format() -> None:
    trace = walk(builtin_example())
    coloured = bythand.render(trace)
    assert "\x1b[" in coloured and "27/46" in coloured
    plain = bythand.render(trace, "plain", steps="7-8")
    assert "\x1b[" not in plain and "Step 7" in plain and "Step 6" not in plain
    assert bythand.render(trace, "json").startswith('{"version"')
    assert "\\frac{27}{46}" in bythand.render(trace, "latex")
    assert bythand.render(trace, "csv", steps=[8]).startswith("A,q1,q2,q3,q4\n")
    assert "<svg" in bythand.render(trace, "svg", steps="A")
    assert "import numpy" in bythand.render(trace, "numpy") and "torch" in bythand.render(trace, "pytorch")
    assert "Work:" in bythand.render(trace, "plain", steps="A", show_work=True)
    with pytest.raises(ProblemError, match=r"^format: unknown value 'pdf'"):
        bythand.render(trace, "pdf")
    assert "[9] Z = V·A" in bythand.render(trace, "plain", layout="sheet")
    assert "[9] Z = V·A" in bythand.render(trace, "html", layout="sheet")
    assert "\x1b[" in bythand.render(trace, layout="sheet")
    with pytest.raises(ProblemError, match="layout sheet draws the whole exercise"):
        bythand.render(trace, "json", layout="sheet")


def test_explain_is_exported() -> None:
    done = bythand.explain(walk(builtin_example()), "A[k2,q1]")
    assert isinstance(done, bythand.Explanation)
    assert repr(done) == "<Explanation A[2,1] = E[2,1] / sums[1] = 9 / (46/3) = 27/46>"
    assert str(done).splitlines()[-1].strip() == "= 27/46"


def test_grade_takes_a_dict_a_file_or_answers(tmp_path: Path) -> None:
    answers = {"Q": [[2, 1, 0, 2], [0, 1, 1, 1], [3, 2, 2, 9]]}
    report = bythand.grade(answers)  # against the built-in example
    assert (report.count("correct"), report.count("wrong"), report.passed) == (11, 1, False)
    assert report.steps[0].cells[2][3].verdict == "wrong" and report.steps[0].cells[2][3].expected == 1
    path = tmp_path / "mine.toml"
    path.write_text('name = "Ada"\nQ = [[2, 1, 0, 2], [0, 1, 1, 1], [3, 2, 2, 1]]\n', encoding="utf-8")
    assert bythand.grade(str(path)).passed and bythand.grade(path).name == "Ada"
    other = Problem([[1, 0], [0, 1]], [[1, 1]], [[1, -1]], [[2, 0]], options={"scale": "none", "exp": "2"})
    assert bythand.grade({"Z": [["8/5", "1.60"]]}, other).passed
    assert bythand.grade({"Z": [["8/5", "1.60"]]}, walk(other)).passed
    assert not bythand.grade({"Z": [["8/5", "1.5"]]}, other, decimals=1).passed
    assert bythand.grade({"Z": [["8/5", "1.5"]]}, other, tolerance=0.2).passed
    with pytest.raises(ProblemError, match="answers must be a file name, a dict or Answers"):
        bythand.grade(3)  # type: ignore[arg-type]
