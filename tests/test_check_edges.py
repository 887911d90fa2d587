"""check at its edges: steps left out after a slip; answers exactly at the tolerance or half a unit off."""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bythand import Problem, builtin_example, walk
from bythand.check import Rules, check, parse_answers_text, template_text
from bythand.problem import PROBLEM_KEYS, Options

import reference as ref
from conftest import Runner
from fuzz import call
from strategies import Drawn, drawn
from student import ORDER, array, toml, work
from test_explain import two_heads

F = Fraction


def grade(text: str, problem: Any = None, rules: Rules | None = None) -> Any:
    trace = walk(problem or builtin_example())
    return check(trace, parse_answers_text(text, "answers.toml", "toml"), rules)


def verdicts(report: Any, name: str) -> list[list[str]]:
    step = next(s for s in report.steps if s.name == name)
    return [[c.verdict for c in row] for row in step.cells]


def test_a_step_left_out_after_a_slip_is_worked_from_the_students_own_numbers() -> None:
    """Q wrong, S not handed in, scaled from their own S: scaled is carried, not wrong."""
    answers = work(builtin_example(), {"Q": (0, 0, F(3))})
    report = grade(toml({"Q": answers["Q"], "scaled": answers["scaled"]}))
    assert verdicts(report, "Q")[0][0] == "wrong"
    # their q1 = (3, 0, 3); k1..k4 = (0,0,1), (2,1,0), (1,0,-1), (0,0,1): their S column 1 = (3, 6, 0, 3),
    # ⌊/2⌋ = (1, 3, 0, 1), where the true scaled column is (1, 2, -1, 1)
    assert [row[0] for row in verdicts(report, "scaled")] == ["correct", "carried", "carried", "correct"]
    assert report.count("wrong") == 1 and report.count("carried") == 2
    # handing in only Z after the slip: Z is worked through every missing step from their own Q
    report = grade(toml({"Q": answers["Q"], "Z": answers["Z"]}))
    assert [row[0] for row in verdicts(report, "Z")] == ["carried"] * 3
    assert report.count("wrong") == 1


def test_an_answer_exactly_at_the_tolerance_is_right_and_just_past_it_wrong() -> None:
    rows = (
        '["27/46", "9/28", "3/22", "3/4"], ["1/46", "1/28", "1/22", "1/12"], ["9/46", "9/28", "9/22", "1/12"]'
    )
    at_edge = F(9, 46) + F(1, 100)
    past = at_edge + F(1, 10**6)
    rules = Rules(tolerance=F(1, 100))
    report = grade(f'A = [["{at_edge}", "9/28", "9/22", "1/12"], {rows}]\n', rules=rules)
    assert verdicts(report, "A")[0][0] == "correct"
    below = F(9, 46) - F(1, 100)
    report = grade(f'A = [["{below}", "9/28", "9/22", "1/12"], {rows}]\n', rules=rules)
    assert verdicts(report, "A")[0][0] == "correct"
    report = grade(f'A = [["{past}", "9/28", "9/22", "1/12"], {rows}]\n', rules=rules)
    assert verdicts(report, "A")[0][0] == "wrong"


def test_a_decimal_exactly_half_a_unit_off_is_right() -> None:
    """A[2,4] = 3/4: with one place 0.7 and 0.8 are both exactly half a unit off and right; 0.9 is not."""
    blanks = '["?", "?", "?", "?"], ["?", "?", "?", "?"]'
    for written, verdict in (("0.7", "correct"), ("0.8", "correct"), ("0.9", "wrong"), ("0.65", "wrong")):
        text = f'A = [["?", "?", "?", "?"], ["?", "?", "?", {written}], {blanks}]\n'
        assert verdicts(grade(text, rules=Rules(decimals=1)), "A")[1][3] == verdict, written
    # two places by default: 0.8 has too few for a value that is not whole
    for written, verdict in (("0.8", "wrong"), ("0.75", "correct"), ("0.745", "wrong")):
        text = f'A = [["?", "?", "?", "?"], ["?", "?", "?", {written}], {blanks}]\n'
        assert verdicts(grade(text), "A")[1][3] == verdict, written


@settings(max_examples=60, deadline=None)
@given(drawn(kinds=("int", "decimal"), scales=("floor-half", "none"), exps=("3", "2"), variants=False),
       st.data())  # fmt: skip
def test_one_slip_then_steps_left_out_is_still_the_only_wrong_cell(d: Drawn, data: st.DataObject) -> None:
    """A slip, then any later steps not handed in: every handed-in cell after it is right or carried."""
    p = d.problem()
    trace = walk(p)
    name = data.draw(st.sampled_from(ORDER))
    m = trace[name]
    cells = [(i, j) for i in range(m.shape[0]) for j in range(m.shape[1]) if m[i, j] != ref.MASKED]
    i, j = data.draw(st.sampled_from(cells))
    slipped = work(p, {name: (i, j, m[i, j] + data.draw(st.sampled_from([F(1), F(2)])))})
    later = list(ORDER[ORDER.index(name) + 1 :])
    kept = data.draw(st.lists(st.sampled_from(later), unique=True)) if later else []
    handed = {n: slipped[n] for n in ORDER if n == name or n in kept}
    report = check(trace, parse_answers_text(toml(handed), "a.toml", "toml"))
    wrong = [(s.name, r, c) for s in report.steps for r, row in enumerate(s.cells)
             for c, x in enumerate(row) if x.verdict == "wrong"]  # fmt: skip
    assert wrong == [(name, i, j)]
    assert [s.name for s in report.steps] == [n for n in ORDER if n in handed]


@settings(max_examples=60, deadline=None)
@given(drawn(kinds=("int", "decimal"), variants=False), st.data())
def test_answers_at_the_tolerance_edge(d: Drawn, data: st.DataObject) -> None:
    """truth ± tolerance is right, one millionth further is wrong, for exact and decimal truths alike."""
    p = d.problem()
    trace, expected = walk(p), d.reference()
    name = data.draw(st.sampled_from(["S", "scaled", "E", "sums", "A", "Z"]))
    m = expected[name]
    cells = [(i, j) for i in range(len(m)) for j in range(len(m[0])) if m[i][j] != ref.MASKED]
    i, j = data.draw(st.sampled_from(cells))
    tolerance = F(data.draw(st.integers(1, 50)), 100)
    sign = data.draw(st.sampled_from([1, -1]))
    value = m[i][j]
    truth = value if isinstance(value, Fraction) else F(value)
    rules = Rules(tolerance=tolerance)
    for offset, verdict in ((tolerance, "correct"), (tolerance + F(1, 10**6), "wrong")):
        written = short(truth + sign * offset, outward=verdict == "wrong", sign=sign)
        report = check(trace, parse_answers_text(f'{name} = [[1]]\n'.replace("[[1]]", grid(m, i, j, written)),
                                                 "a.toml", "toml"), rules)  # fmt: skip
        assert verdicts(report, name)[i][j] == verdict, (name, i, j, truth, written)


def short(value: Fraction, outward: bool, sign: int) -> Fraction:
    """The value as a fraction a student could write (at most 60 characters, as check reads), rounded
    at 12 decimal places away from the truth (outward) or toward it, so the edge stays on its side."""
    if len(f"{value.numerator}/{value.denominator}") <= 60:
        return value
    up = (sign > 0) == outward
    scaled = value * 10**12
    return F(math.ceil(scaled) if up else math.floor(scaled), 10**12)


def grid(m: ref.Mat, i: int, j: int, value: Fraction) -> str:
    """A matrix of blanks with one cell written as an exact fraction."""
    rows = [['"?"'] * len(m[0]) for _ in m]
    rows[i][j] = f'"{value.numerator}/{value.denominator}"'
    return "[" + ", ".join("[" + ", ".join(r) + "]" for r in rows) + "]"


def test_a_template_of_several_masked_heads_prefills_each_heads_masked_cells() -> None:
    text = template_text(walk(two_heads().with_options(mask="causal")), None)
    assert 'h2.scaled = [\n  ["?", "?", "?"],\n  ["-inf", "?", "?"],\n  ["-inf", "-inf", "?"],\n]' in text
    assert 'h2.E = [\n  ["?", "?", "?"],\n  [0, "?", "?"],\n  [0, 0, "?"],\n]' in text
    assert 'h1.A = [\n  ["?", "?", "?"],\n  [0, "?", "?"],\n  [0, 0, "?"],\n]' in text


def test_check_json_names_every_field_of_a_report_and_of_a_failure(tmp_path: Path) -> None:
    """The JSON a gradebook script reads: the keys, an unreadable cell's row and column, a failure."""
    answers = tmp_path / "ax.toml"
    answers.write_text('name = "Ada"\nQ = [[2, "x", 0, 2], [0, 1, 1, 1], [3, 2, 2, 1]]\n', encoding="utf-8")
    code, out, err = call("check", str(answers), "-f", "json")
    assert (code, err) == (1, "")
    report = json.loads(out)
    assert list(report) == ["name", "answers", "problem", "graded_against", "note", "flags", "student",
                            "summary", "steps"]  # fmt: skip
    assert (report["answers"], report["problem"], report["student"]) == (
        str(answers), "built-in example self-attention-6x4", None)  # fmt: skip
    assert report["summary"] == {"correct": 11, "carried": 0, "wrong": 0, "blank": 0, "unreadable": 1,
                                 "total": 12}  # fmt: skip
    assert report["steps"]["Q"]["unreadable_cells"] == [
        {"row": 1, "column": 2, "text": "x", "reason": "'x' is not a number"}
    ]
    missing = tmp_path / "none.toml"
    code, out, err = call("check", str(missing), str(answers), "-f", "json")
    failure = json.loads(out)[0]
    assert failure == {"name": None, "answers": str(missing), "problem": None, "graded_against": None,
                       "flags": [], "student": None, "error": f"{missing}: no such file"}  # fmt: skip


def test_fill_naming_no_step_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    answers = tmp_path / "af.toml"
    answers.write_text('name = "Ada"\nQ = [[2, 1, 0, 2], [0, 1, 1, 1], [3, 2, 2, 1]]\nfill = ["Zq"]\n',
                       encoding="utf-8")  # fmt: skip
    code, out, err = call("check", str(answers))
    assert (code, out) == (2, "")
    assert err == f"Error: {answers}: fill names Zq, which is not a step (did you mean Z?)\n"


# The note under a wrong cell's working: "(worked from your own V and A; from the true values it is …)"

THREE_HEADS = Problem(
    X=[[1, 0, 2], [0, 1, 1], [1, 1, 0]],
    WQ=[[1, 0, 0], [0, 1, 1], [1, 0, -1]],
    WK=[[0, 1, 0], [1, 0, 1], [1, 1, 0]],
    WV=[[2, 0, 0], [0, 1, 0], [1, 1, 1]],
    heads=3,
    options=Options(scale="none", exp="2"),
)
ONE = F(1)


def plus(m: Any, i: int, j: int, by: Fraction = ONE) -> Any:
    """A copy of a matrix (lists or an object array) with one cell `by` more: a slip."""
    out = array([list(row) for row in (m.tolist() if hasattr(m, "tolist") else m)])
    out[i, j] += by
    return out


def exact(v: ref.Num) -> Fraction:
    """A value of the example's exact trace."""
    assert isinstance(v, Fraction)
    return v


def fraction(v: ref.Num) -> str:
    """An exact value as a student writes it (and as check prints it): 2, 9/46."""
    f = exact(v)
    return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


def one_head_case(slips: dict[str, tuple[int, int]]) -> tuple[Any, dict[str, Any], str]:
    """The classic example: V and A handed in with the slips, and Z with Z[1,1] wrong even from them."""
    p = builtin_example()
    true = ref.of(p)
    mine = work(p, {n: (i, j, exact(true[n][i][j]) + 1) for n, (i, j) in slips.items()})
    return p, {"V": mine["V"], "A": mine["A"], "Z": plus(mine["Z"], 0, 0)}, fraction(true["Z"][0][0])


def three_head_case(slipped: tuple[int, ...]) -> tuple[Any, dict[str, Any], str]:
    """Three heads: each head's Z handed in (slipped at [1,1] where asked), and concat[1,1] wrong."""
    true = ref.of(THREE_HEADS)
    handed = {f"h{h}.Z": plus(true[f"h{h}.Z"], 0, 0, F(1 if h in slipped else 0)) for h in (1, 2, 3)}
    handed["concat"] = plus(true["concat"], 0, 0, F(5))
    return THREE_HEADS, handed, fraction(true["h1.Z"][0][0])


@pytest.mark.parametrize(
    ("case", "step", "own"),
    [
        # Z[1,1] reads row 1 of V and column 1 of A: both the student's own
        (one_head_case({"V": (0, 0), "A": (0, 0)}), "Z", "V and A"),
        (one_head_case({"V": (0, 2), "A": (2, 0)}), "Z", "V and A"),
        (one_head_case({"A": (0, 0)}), "Z", "A"),
        # their A (V) differs only in a column (row) Z[1,1] does not read: the working is the true one
        (one_head_case({"A": (0, 1)}), "Z", None),
        (one_head_case({"V": (1, 0)}), "Z", None),
        # concat[1,1] is h1.Z[1,1], whichever other heads' Z the student got wrong
        (three_head_case((1, 2, 3)), "concat", "h1.Z"),
        (three_head_case((2, 3)), "concat", None),
    ],
    ids=["Z-own-V-and-A", "Z-own-V-and-A-elsewhere", "Z-own-A", "Z-A-unread-column", "Z-V-unread-row",
         "concat-every-head", "concat-other-heads"],
)  # fmt: skip
def test_a_wrong_cells_working_names_the_students_own_numbers_it_reads(
    case: tuple[Any, dict[str, Any], str], step: str, own: str | None
) -> None:
    problem, handed, true_text = case
    report = check(walk(problem), parse_answers_text(toml(handed), "a.toml", "toml"))
    graded = next(s for s in report.steps if s.name == step)
    assert graded.cells[0][0].verdict == "wrong"
    note = f"(worked from your own {own}; from the true values it is {true_text})"
    assert graded.work[1:] == ((note,) if own else ())  # the lines after the working's own line


def test_a_tolerance_of_zero_asks_for_exact_answers(cli: Runner, tmp_path: Path) -> None:
    """A[1,1] = 9/46 ≈ 0.196: 0.20 is right to two places, but not with --tolerance 0; 9/46 is right."""
    true = ref.of(builtin_example())["A"]
    answers = tmp_path / "a.toml"

    def hand_in(first: str) -> None:
        rows = [[f'"{fraction(v)}"' for v in row] for row in true]
        rows[0][0] = first
        answers.write_text(f"A = [{', '.join('[' + ', '.join(r) + ']' for r in rows)}]\n", encoding="utf-8")

    hand_in(f"{float(true[0][0]):.2f}")
    assert cli("check", str(answers)).code == 0
    result = cli("check", str(answers), "--tolerance", "0", "-f", "json")
    assert (result.code, result.err) == (1, "")
    assert json.loads(result.out)["steps"]["A"]["cells"][0] == ["wrong", "correct", "correct", "correct"]
    hand_in(f'"{fraction(true[0][0])}"')
    assert cli("check", str(answers), "--tolerance", "0").code == 0
    assert cli("check", str(answers), "--tolerance", "-0.01").err == (
        "Error: --tolerance: -0.01 is negative; give an absolute tolerance such as 0.01\n"
    )


def test_a_filled_step_is_the_sheets_so_later_steps_are_graded_from_the_true_one() -> None:
    """fill = ["Q"]: Q is printed on the sheet; a Q changed in the file is not the student's to carry."""
    slipped = work(builtin_example(), {"Q": (0, 0, F(3))})
    report = grade(toml({"Q": slipped["Q"], "S": slipped["S"]}, extra='fill = ["Q"]'))
    assert [s.name for s in report.steps] == ["S"]
    # their q1 = (3, 0, 3) gives S column 1 = (3, 6, 0, 3), where the true column is (3, 4, -1, 3)
    assert [row[0] for row in verdicts(report, "S")] == ["correct", "wrong", "wrong", "correct"]
    assert report.count("carried") == 0


def test_a_class_folder_skips_problem_files_whatever_keys_make_their_x(cli: Runner, tmp_path: Path) -> None:
    """X given, X made from tokens or token ids, or every key a problem may have: a problem, not answers."""
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "ada.toml").write_text(toml(work(builtin_example()), "Ada", 'example = "self-attention-6x4"'),
                                     encoding="utf-8")  # fmt: skip
    weights = "WQ = [[1, 0]]\nWK = [[0, 1]]\nWV = [[1, 1]]\n"
    words = 'tokens = ["a", "b"]\n[embeddings]\na = [1, 2]\nb = [0, 1]\n'
    (folder / "words.toml").write_text(words + weights, encoding="utf-8")
    (folder / "ids.toml").write_text("token_ids = [0, 1]\nembedding = [[1, 0], [0, 1]]\n" + weights, "utf-8")
    every = {key: 1 for key in PROBLEM_KEYS}
    (folder / "every.json").write_text(json.dumps(every), encoding="utf-8")
    result = cli("check", str(folder), "-f", "plain")
    assert result.code == 0, result.out
    skipped = [line for line in result.out.splitlines() if line.startswith("Skipped")]
    assert skipped == [f"Skipped {folder / name}: a problem file, not answers"
                       for name in ("every.json", "ids.toml", "words.toml")]  # fmt: skip


def test_an_unreadable_cell_is_worked_on_from_the_students_own_numbers(cli: Runner, tmp_path: Path) -> None:
    """explain --answers past a cell that cannot be read takes the value their own earlier steps give."""
    slipped = work(builtin_example(), {"Q": (0, 0, F(3))})
    text = toml({"Q": slipped["Q"], "S": slipped["S"]})
    # their q1 = (3, 0, 3) makes their S[2,1] = k2·q1 = 6 (the true one is 4); they wrote it illegibly
    assert '["6", "3", "1", "5"]' in text
    path = tmp_path / "a.toml"
    path.write_text(text.replace('["6", "3", "1", "5"]', '["x", "3", "1", "5"]'), encoding="utf-8")
    result = cli("explain", "scaled[2,1]", "--answers", str(path))
    assert result.code == 0, result.err
    assert result.out.splitlines()[1:] == [
        "  ⌊S[2,1]/2⌋ = ⌊6/2⌋",
        "             = 3",
        "",
        "You have not written scaled[2,1]; from your own numbers it comes to 3",
        "The true value is 2: your S[2,1] = 6 was already wrong (it is 4)",
    ]


def test_a_student_who_rounds_as_they_go_is_right_all_the_way_down() -> None:
    """h1.A to two places (0.33 for 1/3), h1.Z worked from those (1.98, not 2), concat copied from h1.Z:
    each is right from accepted numbers, so every cell is correct, none merely carried."""
    true = ref.of(THREE_HEADS)

    def rounded(m: ref.Mat) -> list[list[str]]:
        return [[f"{float(v):.2f}" for v in row] for row in m]

    A = rounded(true["h1.A"])
    Z = rounded(ref.weight(true["h1.V"], [[F(v) for v in row] for row in A], True))
    assert Z == [["2.00", "1.98", "1.98"]] and true["h1.Z"] == [[2, 2, 2]]
    concat = [[fraction(v) for v in row] for row in true["concat"]]
    concat[0] = Z[0]  # concat's row 1 is head 1's Z
    handed = {"h1.A": A, "h1.Z": Z, "concat": concat}
    text = "".join(f"{name} = {json.dumps(m)}\n" for name, m in handed.items())
    report = check(walk(THREE_HEADS), parse_answers_text(text, "a.toml", "toml"))
    assert [s.name for s in report.steps] == ["h1.A", "h1.Z", "concat"]
    assert (report.count("correct"), report.total) == (21, 21)
