"""check(): answers graded against the trace, slips carried forward, reports, gradebooks and exit codes."""

from __future__ import annotations

import csv
import io
import json
import os
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_walk import problems

from bythand import builtin_example, load_problem, walk
from bythand.check import Answer, Rules, check, matches, parse_answers, parse_answers_text
from bythand.numbers import decimal_text, fraction_text
from bythand.walk import MASKED

from conftest import Runner
from student import toml, work
from test_cli import snapshot, strict_json

F = Fraction


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def verdicts(report: Any, name: str) -> list[list[str]]:
    step = next(s for s in report.steps if s.name == name)
    return [[c.verdict for c in row] for row in step.cells]


def counts(report: Any) -> tuple[int, int, int, int, int]:
    return (*(report.count(v) for v in ("correct", "carried", "wrong", "blank")), report.total)


def grade(text: str, problem: Any = None, rules: Rules | None = None) -> Any:
    trace = walk(problem or builtin_example())
    return check(trace, parse_answers_text(text, "answers.toml", "toml"), rules)


# Fair comparison


@pytest.mark.parametrize(
    ("written", "truth", "right"),
    [
        ("9/46", F(9, 46), True),
        ("18/92", F(9, 46), True),
        ("0.20", F(9, 46), True),  # 0.1957 is within 0.005 of 0.20
        ("0.196", F(9, 46), True),
        ("0.19", F(9, 46), False),  # 0.0057 away
        ("0.2", F(9, 46), False),  # one decimal is too few for a fraction
        ("0.2", F(1, 5), True),  # but a decimal that is the value exactly is right, whatever its places
        ("1.8", F(9, 5), True),
        ("0.125", F(1, 8), True),
        ("1 1/7", F(8, 7), True),  # a mixed number
        ("-1 1/7", F(-8, 7), True),
        ("1 1/7", F(11, 7), False),
        ("0.197", F(9, 46), False),  # a third place promises more than it holds
        ("1/5", F(9, 46), False),  # a fraction is exact or wrong
        ("2", F(2), True),
        ("2.0", F(2), True),  # an integer may be written with any places
        ("2.00", F(2), True),
        ("-1", F(-1), True),
        ("3", F(2), False),
        ("-inf", MASKED, True),
        ("0", MASKED, False),
        ("-inf", F(0), False),
        ("17.93", 17.934963, True),  # against a decimal trace
        ("17.94", 17.934963, False),
        ("1", 1.0, True),
        # a decimal truth stands for the decimal it prints: the float 10.005 is a hair under it, yet
        # 10.00 and 10.01 are both half a unit off 10.005 and right (the slack grows with the value)
        ("10.00", 10.005, True),
        ("10.01", 10.005, True),
        ("1000.01", 1000.005, True),
        ("1000.02", 1000.005, False),
    ],
)
def test_fair_comparison(written: str, truth: Any, right: bool) -> None:
    answer = parse_answers({"Q": [[written]]}, "a.toml").matrices["Q"][0][0]
    assert isinstance(answer, Answer)
    assert matches(answer, truth, Rules()) is right


def test_decimals_and_tolerance_rules() -> None:
    point_two = Answer("0.2", F(1, 5), 1)
    assert not matches(point_two, F(9, 46), Rules())
    assert matches(point_two, F(9, 46), Rules(decimals=1))
    nineteen = Answer("0.19", F(19, 100), 2)
    assert matches(nineteen, F(9, 46), Rules(tolerance=F(1, 100)))
    assert not matches(nineteen, F(9, 46), Rules(tolerance=F(1, 1000)))
    assert matches(Answer("1/5", F(1, 5), None), F(9, 46), Rules(tolerance=F(1, 100)))


# Grading whole answers files


def test_all_correct_answers(tmp_path: Path) -> None:
    report = grade(toml(work(builtin_example())))
    assert counts(report) == (128, 0, 0, 0, 128)
    assert report.passed and report.name == "Ada"
    assert [s.name for s in report.steps] == ["Q", "K", "V", "KT", "S", "scaled", "E", "sums", "A", "Z"]
    assert [s.number for s in report.steps] == [2, 2, 2, 3, 4, 5, 6, 7, 8, 9]
    assert all(s.work == () for s in report.steps)


def test_answers_rounded_to_two_decimals_are_correct() -> None:
    rounded = {}
    for name, m in work(builtin_example()).items():
        rounded[name] = m.copy()
        for idx, v in enumerate(m.flat):
            rounded[name].flat[idx] = decimal_text(v, 2)
    lines = [f"{name} = {[[str(v) for v in row] for row in m.tolist()]}" for name, m in rounded.items()]
    report = grade("\n".join(line.replace("'", '"') for line in lines))
    assert counts(report) == (128, 0, 0, 0, 128)
    # written as TOML floats (not strings) the places are kept too: 0.20 is two places
    rows = "[0.59, 0.32, 0.14, 0.75], [0.02, 0.04, 0.05, 0.08]"
    report = grade(f"A = [[0.20, 0.32, 0.41, 0.08], {rows}, [0.20, 0.32, 0.41, 0.08]]")
    assert counts(report) == (16, 0, 0, 0, 16)
    report = grade(f"A = [[0.2, 0.32, 0.41, 0.08], {rows}, [0.20, 0.32, 0.41, 0.1]]")
    assert verdicts(report, "A")[0] == ["wrong", "correct", "correct", "correct"]
    assert verdicts(report, "A")[3] == ["correct", "correct", "correct", "wrong"]


def test_a_slip_in_q_costs_once_and_is_carried_forward() -> None:
    report = grade(toml(work(builtin_example(), {"Q": (0, 0, F(3))})))
    assert counts(report) == (113, 14, 1, 0, 128)
    assert verdicts(report, "Q")[0] == ["wrong", "correct", "correct", "correct"]
    # q1 feeds column 1 of S: only k2 and k3 see the changed first feature of q1
    assert [row[0] for row in verdicts(report, "S")] == ["correct", "carried", "carried", "correct"]
    assert verdicts(report, "sums") == [["carried", "correct", "correct", "correct"]]
    assert [row[0] for row in verdicts(report, "A")] == ["carried"] * 4
    assert [row[0] for row in verdicts(report, "Z")] == ["carried"] * 3
    assert all(row[1:] == ["correct"] * (len(row) - 1) for row in verdicts(report, "Z"))
    q = next(s for s in report.steps if s.name == "Q")
    assert len(q.work) == 1 and q.work[0].startswith("Q[1,1] = ")  # the wording: tests/test_explain_text.py
    assert report.steps[-1].cells[0][0].own == F(60, 17) and report.steps[-1].cells[0][0].expected == F(
        180, 23
    )


def test_a_later_slip_on_top_is_wrong_again_from_there() -> None:
    # the student's own E[2,1] is 27 (from the slip in Q); they write 81 there, then carry on from 81
    report = grade(toml(work(builtin_example(), {"Q": (0, 0, F(3)), "E": (1, 0, F(81))})))
    assert [row[0] for row in verdicts(report, "E")] == ["correct", "wrong", "carried", "correct"]
    assert verdicts(report, "sums")[0][0] == "carried"  # 3 + 81 + 1 + 3 = 88 from their own E
    assert counts(report) == (113, 13, 2, 0, 128)
    e = next(s for s in report.steps if s.name == "E")
    assert len(e.work) == 2 and e.work[0].startswith("E[2,1] = ")  # the wording: tests/test_explain_text.py


def test_blanks_and_missing_steps() -> None:
    answers = work(builtin_example())
    text = toml({"Q": answers["Q"], "A": answers["A"]}).replace('"9/46"', '"?"').replace('"27/46"', '""')
    report = grade(text)
    assert [s.name for s in report.steps] == ["Q", "A"]  # steps left out are not graded
    assert counts(report) == (12 + 13, 0, 0, 3, 28)
    assert not report.passed
    assert verdicts(report, "A")[0] == ["blank", "correct", "correct", "correct"]


def test_masked_scores_are_written_minus_inf() -> None:
    p = builtin_example().with_options(mask="causal")
    report = grade(toml(work(p)), p)
    # the sheet prints the 6 masked cells of scaled, E and A: 18 cells that earn nothing by themselves
    assert counts(report) == (110, 0, 0, 0, 110)
    text = toml(work(p)).replace(
        'scaled = [["1", "1", "1", "0"], ["-inf"', 'scaled = [["1", "1", "1", "0"], ["0"'
    )
    wrong = grade(text, p)
    assert verdicts(wrong, "scaled")[1][0] == "wrong"  # written over: it counts, and against
    assert counts(wrong)[2:] == (1, 0, 111)


def test_a_blank_masked_template_earns_nothing(cli: Runner, tmp_path: Path) -> None:
    blank = tmp_path / "blank.toml"
    assert cli("check", "--template", "--example", "masked-6x4", "-o", str(blank)).code == 0
    report = cli("check", str(blank), "-f", "json")
    assert report.code == 1
    summary = json.loads(report.out)["summary"]
    assert (summary["correct"], summary["carried"], summary["total"]) == (0, 0, summary["blank"])


def test_decimal_trace_graded_with_rounding_and_carry(tmp_path: Path) -> None:
    p = builtin_example().with_options(approx=False)
    trace = walk(p)

    def rows(m: Any) -> list[list[str]]:
        return [[decimal_text(float(v), 2) for v in row] for row in m.tolist()]

    E = rows(trace["E"])
    E[1][0] = "20.00"  # a slip: e^2.31 is 10.07
    sums = rows(trace["sums"])
    sums[0][0] = f"{sum(float(r[0]) for r in E):.2f}"  # carried: added up their own column
    data = {"E": E, "sums": sums, "A": rows(trace["A"])}
    report = check(trace, parse_answers(data, "a.json"))
    assert verdicts(report, "E")[1][0] == "wrong"
    assert verdicts(report, "sums")[0] == ["carried", "correct", "correct", "correct"]
    assert [r[0] for r in verdicts(report, "A")] == ["correct"] * 4  # true A, not their own


def two_heads_problem(tmp_path: Path) -> str:
    return write(
        tmp_path / "two.toml",
        "X = [[1, 0], [0, 1]]\nWQ = [[1, 0], [0, 1]]\nWK = [[1, 1], [0, 1]]\nWV = [[2, 0], [0, 2]]\n"
        'heads = 2\nWO = [[1, 1]]\n[options]\nscale = "none"\nexp = "2"\n',
    )


def test_heads_as_tables_or_dotted_keys(cli: Runner, tmp_path: Path) -> None:
    problem = two_heads_problem(tmp_path)
    trace = walk(load_problem(Path(problem)))
    z1 = [[f'"{fraction_text(v)}"' for v in row] for row in trace["h1.Z"].tolist()]
    o = [[f'"{fraction_text(v)}"' for v in row] for row in trace["O"].tolist()]
    table = f"[h1]\nZ = [{', '.join('[' + ', '.join(r) + ']' for r in z1)}]\n"
    dotted = f"h1.Z = [{', '.join('[' + ', '.join(r) + ']' for r in z1)}]\n"
    final = f"O = [{', '.join('[' + ', '.join(r) + ']' for r in o)}]\n"
    for body in (final + table, final + dotted):
        answers = write(tmp_path / "heads.toml", f'problem = "two.toml"\n{body}')
        result = cli("check", answers, "-f", "json")
        assert result.code == 0, result.err
        data = strict_json(result.out)
        assert list(data["steps"]) == ["h1.Z", "O"]
        assert data["summary"] == {
            "correct": 4,
            "carried": 0,
            "wrong": 0,
            "blank": 0,
            "unreadable": 0,
            "total": 4,
        }


# The command line


def test_check_json_shape(cli: Runner, tmp_path: Path) -> None:
    answers = write(tmp_path / "ada.toml", toml(work(builtin_example(), {"Q": (0, 0, F(3))})))
    result = cli("check", answers, "--format", "json")
    assert result.code == 1, result.err
    data = strict_json(result.out)
    assert set(data) == {
        "name",
        "answers",
        "problem",
        "graded_against",
        "note",
        "flags",
        "student",
        "summary",
        "steps",
    }
    assert data["name"] == "Ada" and data["answers"] == answers
    assert data["problem"] == "built-in example self-attention-6x4"
    assert data["graded_against"] == "example self-attention-6x4"
    assert data["note"] == "Note: graded against the built-in example (the file names no sheet or problem)"
    assert (data["flags"], data["student"]) == ([], None)
    assert data["summary"] == {
        "correct": 113,
        "carried": 14,
        "wrong": 1,
        "blank": 0,
        "unreadable": 0,
        "total": 128,
    }
    assert data["steps"]["Q"] == {
        "correct": 11,
        "carried": 0,
        "wrong": 1,
        "blank": 0,
        "unreadable": 0,
        "cells": [["wrong", "correct", "correct", "correct"], *[["correct"] * 4] * 2],
        "unreadable_cells": [],
    }
    assert data["steps"]["sums"]["cells"] == [["carried", "correct", "correct", "correct"]]
    assert list(data["steps"]) == ["Q", "K", "V", "KT", "S", "scaled", "E", "sums", "A", "Z"]


def test_check_exit_codes(cli: Runner, tmp_path: Path) -> None:
    good = write(tmp_path / "good.toml", toml(work(builtin_example())))
    result = cli("check", good, "-f", "plain")
    assert (result.code, result.err) == (0, "")
    assert result.out.endswith("\n128 correct, 0 carried, 0 wrong, 0 blank of 128 cells\n")
    blank = write(tmp_path / "blank.toml", 'Q = [["?", 1, 0, 2], [0, 1, 1, 1], [3, 2, 2, 1]]\n')
    result = cli("check", blank, "-f", "plain")
    assert result.code == 1 and "11 correct, 0 carried, 0 wrong, 1 blank of 12 cells" in result.out


def test_check_plain_report_snapshot(cli: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "ada.toml", toml(work(builtin_example(), {"Q": (0, 0, F(3)), "E": (1, 0, F(81))})))
    result = cli("check", "ada.toml", "-f", "plain")
    assert result.code == 1, result.err
    snapshot("check-slip-plain.txt", result.out)
    assert "| 1  ✗ 3 (2)  ✓ 1  ✓ 0  ✓ 2  |" in result.out
    assert "113 correct, 13 carried, 2 wrong, 0 blank of 128 cells" in result.out
    assert max(len(line) for line in result.out.splitlines()) <= 80


def test_check_truecolor_report_uses_the_palette(
    cli: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("COLORTERM", "truecolor")
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "ada.toml", toml(work(builtin_example(), {"Q": (0, 0, F(3))})))
    result = cli("check", "ada.toml")
    snapshot("check-slip-truecolor.txt", result.out)
    for rgb in ("30;132;73", "47;111;208", "192;57;43"):  # correct, carried, wrong
        assert f"38;2;{rgb}m" in result.out


def test_problem_named_in_the_answers_file_or_given_first(cli: Runner, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    p = write(
        tmp_path / "sub" / "tiny.toml",
        "X = [[1, 0], [0, 1]]\nWQ = [[1, 1]]\nWK = [[1, -1]]\nWV = [[2, 0]]\n"
        '[options]\nscale = "none"\nexp = "2"\n',
    )
    right = 'S = [[1, 1], [-1, -1]]\nA = [["4/5", "4/5"], ["1/5", "1/5"]]\n'
    named = write(tmp_path / "sub" / "named.toml", f'problem = "tiny.toml"\n{right}')
    assert cli("check", named).code == 0
    plain = write(tmp_path / "plain.toml", right)
    assert cli("check", p, plain).code == 0
    result = cli("check", plain)  # against the built-in example, S is 4×4
    assert result.code == 2
    assert result.err == f"Error: {plain}: S is 2×2, but this problem's S is 4×4\n"
    result = cli("check", p)
    assert result.code == 2
    assert result.err == (
        f"Error: {p} is a problem file; give the answers file(s) after it, or write one with "
        f"bythand check --template {p} -o answers.toml\n"
    )


def test_a_malformed_sheet_id_in_the_answers_is_named(cli: Runner, tmp_path: Path) -> None:
    answers = write(tmp_path / "a.toml", 'sheet = "SA-1234"\nQ = [[1]]\n')
    result = cli("check", answers)
    assert result.code == 2
    assert result.err == f"Error: {answers}: sheet id 'SA-1234' has 6 characters; sheet ids have 7 to 16\n"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "Qs = [[1]]\n",
            "Qs is not a step (did you mean Q?); the steps are Q, K, V, KT, S, scaled, E, sums, A, Z",
        ),
        (
            "WQ = [[1]]\n",
            "WQ is given in the problem, not an answer; the steps are Q, K, V, KT, S, scaled, E, sums, A, "
            "Z\n",
        ),
        (
            "Q = [[1, 2, 3], [1, 2, 3], [1, 2, 3], [1, 2, 3]]\n",
            "Q is 4×3, but this problem's Q is 3×4; it looks "
            "transposed (this problem uses the columns convention)",
        ),
        ("Q = [[1, 2], [1]]\n", "Q row 2 has 1 cells, but row 1 has 2"),
        ("Q = 3\n", 'Q must be a list of rows, like [[1, "9/46"], ["?", 0]], not 3'),
        ("name = 3\n", "name must be text, not 3"),
        ('name = "Ada"\n', "no answers to check; give steps such as Q = [[...]] or A = [[...]]"),
        ('problem = "nope.toml"\nQ = [[1]]\n', "its problem file "),
        ("Q = [[1\n", "TOML syntax error: "),
    ],
)
def test_bad_answers_are_one_line_and_exit_2(cli: Runner, tmp_path: Path, body: str, message: str) -> None:
    answers = write(tmp_path / "a.toml", body)
    result = cli("check", answers)
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith(f"Error: {answers}: {message}")
    assert result.err.count("\n") == 1


def test_bad_json_answers(cli: Runner, tmp_path: Path) -> None:
    answers = write(tmp_path / "a.json", '{"Q": [[NaN]]}')
    assert (
        cli("check", answers).err == f'Error: {answers}: NaN is not allowed; write -inf as the text "-inf"\n'
    )
    answers = write(tmp_path / "b.json", '{"Q": [[1,]]}')
    assert cli("check", answers).err.startswith(f"Error: {answers}: JSON syntax error at line 1")


def test_class_folder_table_csv_and_a_malformed_file(
    cli: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "class"
    folder.mkdir()
    p = builtin_example()
    write(folder / "ada.toml", toml(work(p), "Ada", 'example = "self-attention-6x4"'))
    bob = {"name": "Bob", "example": "self-attention-6x4", "Q": [[2, 1, 0, 2], [0, 1, 1, 1], [3, 2, 2, "?"]]}
    write(folder / "bob.json", json.dumps(bob))
    write(folder / "cy.toml", 'name = "Cy"\nQ = [[2, 1, 0, 2], [0, 1]]\n')
    (folder / "notes.txt").write_text("not an answers file", encoding="utf-8")
    result = cli("check", "class", "--csv", "grades.csv", "-f", "plain")
    assert result.code == 2, result.err
    snapshot("gradebook.csv", (tmp_path / "grades.csv").read_text(encoding="utf-8"))
    rows = list(csv.reader(io.StringIO((tmp_path / "grades.csv").read_text(encoding="utf-8"))))
    steps = ["Q", "K", "V", "KT", "S", "scaled", "E", "sums", "A", "Z"]
    assert rows[0] == [
        *("file", "name", "correct", "carried", "wrong", "blank", "total", "percent", "error"),
        *("problem", "unreadable", "flag", "id", "email"),
        *(column for step in steps for column in (step, f"{step} total")),
    ]
    sizes = [12, 12, 12, 12, 16, 16, 16, 4, 16, 12]
    assert rows[1] == [
        *("class/ada.toml", "Ada", "128", "0", "0", "0", "128", "100.0", ""),
        *("example self-attention-6x4", "0", "", "", ""),
        *(str(n) for n in sizes for _ in "ab"),
    ]
    assert rows[2] == [
        *("class/bob.json", "Bob", "11", "0", "0", "1", "12", "91.7", ""),
        *("example self-attention-6x4", "0", "", "", ""),
        *("11", "12"),
        *[""] * 18,
    ]
    assert rows[3] == [
        *(
            "class/cy.toml",
            "Cy",
            "",
            "",
            "",
            "",
            "",
            "",
            "class/cy.toml: Q row 2 has 2 cells, but row 1 has 4",
        ),
        *("", "", "", "", ""),
        *[""] * 20,
    ]
    assert "| class/ada.toml | Ada  | example self-attention-6x4 | 128/128 | 100.0 |" in result.out
    assert "class/bob.json: 11 correct, 0 carried, 0 wrong, 1 blank of 12 cells" in result.out
    assert "Q row 2 has 2 cells, but row 1 has 4" in result.out
    assert "Skipped class/notes.txt: not an answers file (.toml, .json, .xlsx)\n" in result.out
    # never over an existing gradebook without --force
    result = cli("check", "class", "--csv", "grades.csv")
    assert (result.code, result.err) == (
        2,
        "Error: grades.csv: already exists; use --force to overwrite it\n",
    )
    assert cli("check", "class/ada.toml", "--csv", "grades.csv", "--force").code == 0
    assert (tmp_path / "grades.csv").read_text(encoding="utf-8").count("\n") == 2
    assert sorted(os.listdir(tmp_path)) == ["class", "grades.csv"]  # no temporary file left behind


def test_class_json_is_an_array_and_exit_1_without_failures(cli: Runner, tmp_path: Path) -> None:
    a = write(tmp_path / "a.toml", toml(work(builtin_example())))
    b = write(tmp_path / "b.toml", toml(work(builtin_example(), {"Z": (2, 3, F(7))}), "Bo"))
    result = cli("check", a, b, "-f", "json")  # a class: a file that names no problem is an error
    assert result.code == 2
    assert [d["error"] for d in strict_json(result.out)] == [
        f'{f}: names no sheet, example or problem; add a line such as sheet = "ID" to it, or name the '
        "problem on the command line (PROBLEM, --sheet or --example)"
        for f in (a, b)
    ]
    result = cli("check", "--example", "self-attention-6x4", a, b, "-f", "json")
    assert result.code == 1
    data = strict_json(result.out)
    assert [d["name"] for d in data] == ["Ada", "Bo"]
    assert [d["summary"]["wrong"] for d in data] == [0, 1]
    assert data[1]["steps"]["Z"]["cells"][2] == ["correct", "correct", "correct", "wrong"]


def test_template_is_every_step_full_of_question_marks(cli: Runner, tmp_path: Path) -> None:
    target = tmp_path / "answers.toml"
    result = cli("check", "--template", "-o", str(target))
    assert result.code == 0, result.err
    assert result.out == f'Wrote {target}: fill in each "?", then run: bythand check {target}\n'
    text = target.read_text(encoding="utf-8")
    assert (
        "# X = [[2, 0, 0, 2], [0, 1, 0, 0], [0, 2, 1, 0], [0, 0, 1, 1], [2, 0, 0, 0], [1, 0, 1, 1]]" in text
    )
    assert 'sums = [\n  ["?", "?", "?", "?"],\n]' in text
    assert sum(line.count('"?"') for line in text.splitlines() if not line.startswith("#")) == 128
    result = cli("check", str(target), "-f", "json")
    assert result.code == 1
    assert strict_json(result.out)["summary"] == {
        "correct": 0,
        "carried": 0,
        "wrong": 0,
        "blank": 128,
        "unreadable": 0,
        "total": 128,
    }
    plain = cli("check", str(target), "-f", "plain").out  # nothing done yet: one line, not ten tables of dots
    assert "Left blank: Q, K, V, KT, S, scaled, E, sums, A, Z (128 cells)\n" in plain and "+--" not in plain
    assert cli("check", "--template", "-o", str(target)).code == 2  # never overwrites without --force
    assert cli("check", "--template").out == text
    result = cli("check", str(target), "-o", "x.toml")
    assert (result.code, result.err) == (
        2,
        "Error: --output is where --template writes; for a gradebook use --csv FILE\n",
    )


def test_template_for_a_problem_file_names_it_and_grades(cli: Runner, tmp_path: Path) -> None:
    problem = two_heads_problem(tmp_path)
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "t.toml"
    assert cli("check", "--template", problem, "-o", str(target), "--convention", "rows").code == 0
    text = target.read_text(encoding="utf-8")
    assert 'problem = "../two.toml"' in text
    assert "h2.sums = [\n" in text and "O = [\n" in text and "concat = [\n" in text
    assert 'h1.sums = [\n  ["?"],\n  ["?"],\n]' in text  # rows convention: sums is a column
    result = cli("check", str(target), "--convention", "rows", "-f", "json")
    assert result.code == 1, result.err
    assert strict_json(result.out)["summary"]["blank"] == strict_json(result.out)["summary"]["total"]


# Carry-forward as a property


@settings(max_examples=60, deadline=None)
@given(problems(exact_only=True), st.data())
def test_one_slip_carried_forward_is_the_only_wrong_cell(p: Any, data: st.DataObject) -> None:
    trace = walk(p)
    names = ["Q", "K", "V", "KT", "S", "scaled", "E", "sums", "A", "Z"]
    name = data.draw(st.sampled_from(names))
    m = trace[name]
    cells = [(i, j) for i in range(m.shape[0]) for j in range(m.shape[1]) if m[i, j] != MASKED]
    if not cells:
        return
    i, j = data.draw(st.sampled_from(cells))
    delta = data.draw(st.sampled_from([F(1), F(2)]))
    slipped = work(p, {name: (i, j, m[i, j] + delta)})
    report = check(trace, parse_answers_text(toml(slipped), "a.toml", "toml"))
    wrong = [
        (s.name, r, c)
        for s in report.steps
        for r, row in enumerate(s.cells)
        for c, x in enumerate(row)
        if x.verdict == "wrong"
    ]
    assert wrong == [(name, i, j)]
    assert report.count("blank") == 0


def test_decimals_and_tolerance_flags(cli: Runner, tmp_path: Path) -> None:
    rows = (
        '["27/46", "9/28", "3/22", "3/4"], ["1/46", "1/28", "1/22", "1/12"], ["9/46", "9/28", "9/22", "1/12"]'
    )
    answers = write(tmp_path / "a.toml", f'A = [[0.2, "9/28", "9/22", "1/12"], {rows}]\n')
    assert cli("check", answers).code == 1  # one decimal is too few
    assert cli("check", answers, "--decimals", "1").code == 0
    near = write(tmp_path / "b.toml", f'A = [[0.19, "9/28", "9/22", "1/12"], {rows}]\n')
    assert cli("check", near).code == 1
    assert cli("check", near, "--tolerance", "0.01").code == 0
    assert cli("check", near, "--tolerance", "1/1000").code == 1
    result = cli("check", near, "--tolerance", "-1")
    assert (result.code, result.err) == (
        2,
        "Error: --tolerance: -1 is negative; give an absolute tolerance such as 0.01\n",
    )
    assert cli("check", near, "--tolerance", "x").err == "Error: --tolerance: 'x' is not a number\n"


def test_method_flags_change_what_is_right(cli: Runner, tmp_path: Path) -> None:
    exact = write(
        tmp_path / "a.toml", "scaled = [[1, 1, 1, 0], [2, 1, 0, 2], [-1, -1, -1, 0], [1, 1, 1, 0]]\n"
    )
    assert cli("check", exact).code == 0
    assert cli("check", exact, "--no-approx").code == 1  # now scaled is S/√3
    masked = exact.replace("a.toml", "m.toml")
    write(
        Path(masked),
        'scaled = [[1, 1, 1, 0], ["-inf", 1, 0, 2], ["-inf", "-inf", -1, 0], ["−∞", "-∞", "-inf", 0]]\n',
    )
    assert cli("check", masked, "--mask", "causal").code == 0
    assert cli("check", masked).code == 1


def test_readme_answers_example_grades_as_described() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Checking hand-worked answers: `check`", 1)[1]
    text = section.split("```toml\n", 1)[1].split("```", 1)[0]
    assert 'problem = "my-problem.toml"' in text
    report = grade("\n".join(line for line in text.splitlines() if not line.startswith("problem")))
    assert report.name == "Ada"
    assert verdicts(report, "sums") == [["correct", "correct", "blank", "correct"]]
    assert counts(report) == (15, 0, 0, 1, 16)


def test_a_slip_in_one_head_carries_into_concat_and_o(tmp_path: Path) -> None:
    trace = walk(load_problem(Path(two_heads_problem(tmp_path))))
    z1 = trace["h1.Z"].copy()
    z1[0, 1] += 1  # a slip in head 1's output
    concat = trace["concat"].copy()
    concat[0, 1] = z1[0, 1]  # stacked from their own h1.Z
    out = trace["WO"] @ concat  # and projected from their own concat
    assert out[0, 1] != trace["O"][0, 1]

    def cells(m: Any) -> list[list[str]]:
        return [[fraction_text(v) for v in row] for row in m.tolist()]

    data = {"h1": {"Z": cells(z1)}, "concat": cells(concat), "O": cells(out)}
    report = check(trace, parse_answers(data, "a.json"))
    assert verdicts(report, "h1.Z") == [["correct", "wrong"]]
    assert verdicts(report, "concat") == [["correct", "carried"], ["correct", "correct"]]
    assert verdicts(report, "O") == [["correct", "carried"]]
    assert [s.number for s in report.steps] == [9, 10, 11]


def test_written_zero_sums_in_a_decimal_trace_are_graded_not_crashed(cli: Runner, tmp_path: Path) -> None:
    body = "sums = [0, 0, 0, 0]\nA = [[1, 1, 1, 1], [1, 1, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0]]\n"
    answers = write(tmp_path / "a.toml", body + "Z = [[1, 1, 1, 1], [1, 1, 1, 1], [0, 0, 0, 0]]\n")
    result = cli("check", answers, "--no-approx", "-f", "plain")
    assert (result.code, result.err) == (1, "")
    assert result.out.endswith("0 correct, 0 carried, 32 wrong, 0 blank of 32 cells\n")
    assert "  (worked from your own A; from the true values it is 10.31)\n" in result.out


CELLS = st.sampled_from(["?", "0", "1", "-1", "-inf", "1/3", "0.5", "100", "2.25", "1e3"])


@settings(max_examples=60, deadline=None)
@given(problems(), st.data())
def test_any_written_numbers_are_graded_without_crashing(p: Any, data: st.DataObject) -> None:
    trace = walk(p)
    names = data.draw(
        st.lists(st.sampled_from(["Q", "KT", "S", "scaled", "E", "sums", "A", "Z"]), min_size=1)
    )
    written = {}
    for name in names:
        rows, cols = trace[name].shape
        written[name] = [[data.draw(CELLS) for _ in range(cols)] for _ in range(rows)]
    report = check(trace, parse_answers(written, "a.toml"))
    cells = [c for s in report.steps for r in s.cells for c in r]
    printed = sum(c.printed and c.verdict not in ("wrong", "unreadable") for c in cells)  # masked, as printed
    assert report.total == sum(trace[n].size for n in set(names)) - printed
    assert sum(report.count(v) for v in ("correct", "carried", "wrong", "blank")) == report.total


def test_check_formats(cli: Runner, tmp_path: Path) -> None:
    answers = write(tmp_path / "a.toml", "Q = [[2, 1, 0, 2], [0, 1, 1, 1], [3, 2, 2, 1]]\n")
    result = cli("check", answers, "--format", "markdown")
    assert (result.code, result.err) == (
        2,
        "Error: --format: unknown value 'markdown' (choose terminal, plain, json)\n",
    )
    result = cli("check", answers, "--format", "terminal")
    assert result.code == 0 and "12 correct, 0 carried, 0 wrong, 0 blank of 12 cells" in result.out
