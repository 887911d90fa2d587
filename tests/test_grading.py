"""Grading a class you can trust: rosters, sheet ids checked, forgiving entry, templates as printed."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bythand import builtin_example, walk
from bythand.answers import LOADERS, Unreadable, parse_answers_text
from bythand.check import Rules, check, grade_files, problem_for, template_text
from bythand.generate import generate, make_params, sheet_id
from bythand.numbers import exact_matrix, fraction_text
from bythand.walk import MASKED, Trace

import reference as ref
import student
from conftest import Runner
from test_cli import strict_json

F = Fraction
STEPS = ("Q", "K", "V", "KT", "S", "scaled", "E", "sums", "A", "Z")
ADA, BOB, CY = "21PVR6TRT", "21PVR6TSR", "21PVR6TTP"  # --random --seed 7: the first three sheets


def cell_text(v: Any) -> str:
    """A true value as a student types it in TOML or JSON."""
    if isinstance(v, float) and v == MASKED:
        return '"-inf"'
    assert isinstance(v, Fraction)
    return str(v.numerator) if v.denominator == 1 else f'"{fraction_text(v)}"'


def sheet_trace(sid: str) -> Trace:
    from bythand.generate import problem_from_sheet_id

    return walk(problem_from_sheet_id(sid))


def answers_text(
    sid: str | None, name: str, slip: tuple[str, int, int] | None = None, sheet: str | None = None
) -> str:
    """A student's answers file for a sheet: every step right, one cell off by one if asked."""
    trace = sheet_trace(sid or ADA)
    lines = [f'name = "{name}"'] + ([f'sheet = "{sheet or sid}"'] if sid or sheet else [])
    for step in STEPS:
        rows = [[cell_text(v) for v in row] for row in trace[step].tolist()]
        if slip is not None and slip[0] == step:
            rows[slip[1]][slip[2]] = str(trace[step][slip[1], slip[2]] + 1)
        lines.append(f"{step} = [{', '.join('[' + ', '.join(r) + ']' for r in rows)}]")
    return "\n".join(lines) + "\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def rows_of(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


# 2. Never a silent problem


def test_a_single_file_naming_no_problem_says_so_first(cli: Runner, tmp_path: Path) -> None:
    path = write(tmp_path / "a.toml", answers_text(None, "Ada"))  # a sheet's answers, but no sheet line
    result = cli("check", str(path), "-f", "plain")
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        "Note: graded against the built-in example (the file names no sheet or problem)"
    )


def test_in_a_class_a_file_naming_no_problem_is_an_error_in_its_row(cli: Runner, tmp_path: Path) -> None:
    write(tmp_path / "c" / "ada.toml", answers_text(ADA, "Ada"))
    write(tmp_path / "c" / "nosheet.toml", answers_text(None, "Nobody"))
    result = cli("check", str(tmp_path / "c"), "-f", "json")
    assert result.code == 2
    data = strict_json(result.out)
    assert data[0]["summary"]["correct"] == data[0]["summary"]["total"] == 128
    assert data[0]["graded_against"] == f"sheet {ADA}"
    assert data[1]["name"] == "Nobody" and data[1]["error"].startswith(
        f"{tmp_path / 'c' / 'nosheet.toml'}: names no sheet, example or problem"
    )
    # with the problem named on the command line, the same file is graded against it
    result = cli("check", "--sheet", ADA, str(tmp_path / "c" / "nosheet.toml"), "-f", "json")
    assert result.code == 0 and strict_json(result.out)["graded_against"] == f"sheet {ADA}"


def test_a_sheet_on_the_command_line_that_contradicts_the_file_is_an_error(
    cli: Runner, tmp_path: Path
) -> None:
    path = write(tmp_path / "ada.toml", answers_text(ADA, "Ada"))
    result = cli("check", "--sheet", BOB, str(path))
    assert (result.code, result.out) == (2, "")
    assert (
        result.err
        == f"Error: {path}: the file names sheet {ADA}, but it is being graded against sheet {BOB}\n"
    )
    # the same sheet, typed in lower case: no contradiction
    assert cli("check", "--sheet", ADA.lower(), str(path)).code == 0
    # a valid but wrong sheet id in a class: its row says so, it is not graded as 79 %
    other = write(tmp_path / "c" / "bob.toml", answers_text(ADA, "Bob", sheet=BOB))
    write(tmp_path / "c" / "ada.toml", answers_text(ADA, "Ada"))
    result = cli("check", "--sheet", ADA, str(tmp_path / "c"), "-f", "json")
    errors = [d.get("error") for d in strict_json(result.out)]
    assert errors[0] is None
    assert errors[1] == f"{other}: the file names sheet {BOB}, but it is being graded against sheet {ADA}"


def test_a_problem_file_contradicting_the_file_is_an_error(cli: Runner, tmp_path: Path) -> None:
    problem = write(
        tmp_path / "p.toml", "X = [[1, 0], [0, 1]]\nWQ = [[1, 1]]\nWK = [[1, -1]]\nWV = [[2, 0]]\n"
    )
    answers = write(tmp_path / "a.toml", 'example = "masked-6x4"\nS = [[1, 1], [-1, -1]]\n')
    result = cli("check", str(problem), str(answers), str(answers))
    assert result.code == 2
    assert (
        f"{answers}: the file names example masked-6x4, but it is being graded against problem {problem}"
        in (result.out)
    )


def test_the_same_problem_named_in_the_file_and_on_the_command_line_is_no_contradiction(
    cli: Runner, tmp_path: Path
) -> None:
    def graded(*args: str) -> Any:
        result = cli("check", *args, "-f", "json")
        assert result.code in (0, 1), result.err
        return strict_json(result.out)

    # a sheet id typed in lower case is the sheet; one that does not check out is another
    text = answers_text(ADA, "Ada")
    ada = write(tmp_path / "ada.toml", text.replace(f'sheet = "{ADA}"', f'sheet = "{ADA.lower()}"'))
    assert graded("--sheet", ADA, str(ada))["summary"]["correct"] == 128
    typo = write(tmp_path / "typo.toml", text.replace(f'sheet = "{ADA}"', 'sheet = "NOTANID"'))
    assert cli("check", "--sheet", ADA, str(typo)).err == (
        f"Error: {typo}: the file names sheet NOTANID, but it is being graded against sheet {ADA}\n"
    )
    # a problem file: the same file by another path (the file's path is relative to the answers file)
    X, WQ, WK, WV = [[1, 0], [0, 1]], [[1, 1]], [[1, -1]], [[2, 0]]
    problem = write(tmp_path / "p.toml", f"X = {X}\nWQ = {WQ}\nWK = {WK}\nWV = {WV}\n")
    Q = ref.project(ref.plain(X), ref.plain(X), ref.plain(WQ), ref.plain(WK), ref.plain(WV), True)[0]
    answers = write(
        tmp_path / "work" / "a.toml", student.toml({"Q": student.array(Q)}, "Ada", 'problem = "../p.toml"')
    )
    for named in (problem, tmp_path / "work" / ".." / "p.toml"):
        data = graded(str(named), str(answers))
        assert (data["graded_against"], data["summary"]["correct"]) == (f"problem {named}", 2)
    copy = write(tmp_path / "q.toml", problem.read_text(encoding="utf-8"))
    assert cli("check", str(copy), str(answers)).err == (
        f"Error: {answers}: the file names problem {tmp_path / 'work' / '..' / 'p.toml'}, "
        f"but it is being graded against problem {copy}\n"
    )
    # an example, by its name
    blanks = write(
        tmp_path / "ex.toml",
        'example = "masked-6x4"\nQ = [' + ", ".join(['["?", "?", "?", "?"]'] * 3) + "]\n",
    )
    data = graded("--example", "masked-6x4", str(blanks))
    assert (data["graded_against"], data["summary"]["blank"]) == ("example masked-6x4", 12)
    assert cli("check", "--example", "self-attention-6x4", str(blanks)).err == (
        f"Error: {blanks}: the file names example masked-6x4, "
        "but it is being graded against example self-attention-6x4\n"
    )


# 7. A student's file cannot change the test


def test_recorded_options_that_differ_from_the_named_problem_are_an_error(
    cli: Runner, tmp_path: Path
) -> None:
    text = answers_text(ADA, "Ada").replace(
        f'sheet = "{ADA}"', f'sheet = "{ADA}"\noptions = {{scale = "none"}}'
    )
    path = write(tmp_path / "ada.toml", text)
    for args in ([str(path)], ["--sheet", ADA, str(path)]):
        result = cli("check", *args)
        assert (result.code, result.err) == (
            2,
            f"Error: {path}: worked with scale none; this sheet uses floor-half\n",
        )
    plain = write(
        tmp_path / "plain.toml", 'options = {exp = "e"}\nQ = [[2, 1, 0, 2], [0, 1, 1, 1], [3, 2, 2, 1]]\n'
    )
    result = cli("check", "--example", "self-attention-6x4", str(plain))
    assert result.err == f"Error: {plain}: worked with exp e; this example uses 3\n"
    # the method of the same options is no contradiction
    same = write(
        tmp_path / "same.toml", 'options = {exp = "3"}\nQ = [[2, 1, 0, 2], [0, 1, 1, 1], [3, 2, 2, 1]]\n'
    )
    assert cli("check", "--example", "self-attention-6x4", str(same)).code == 0


def test_an_answers_file_with_an_x_is_never_taken_as_the_problem(cli: Runner, tmp_path: Path) -> None:
    sly = write(
        tmp_path / "a-sly.toml", 'name = "Sly"\nX = [[1]]\nWQ = [[1]]\nWK = [[1]]\nWV = [[1]]\nQ = [[1]]\n'
    )
    ada = write(tmp_path / "b-ada.toml", answers_text(ADA, "Ada"))
    result = cli("check", "--sheet", ADA, str(sly), str(ada), "-f", "json")
    data = strict_json(result.out)
    assert result.code == 2 and len(data) == 2  # both graded as answers; the first is not the problem
    assert data[0]["error"].startswith(f"{sly}: X is given in the problem, not an answer")
    assert data[1]["summary"]["correct"] == 128


def test_gradebook_cells_a_spreadsheet_would_run_are_escaped(cli: Runner, tmp_path: Path) -> None:
    for i, name in enumerate(("=HYPERLINK(1)", "+1", "-2", "@SUM(A1)", "Plain")):
        write(tmp_path / "c" / f"{i}.toml", answers_text(ADA, name))
    write(tmp_path / "c" / "=evil.toml", answers_text(ADA, "X"))
    assert cli("check", str(tmp_path / "c"), "--csv", str(tmp_path / "g.csv")).code == 0
    rows = rows_of(tmp_path / "g.csv")
    names = [r[1] for r in rows[1:]]
    assert names == ["'=HYPERLINK(1)", "'+1", "'-2", "'@SUM(A1)", "Plain", "X"]
    assert rows[-1][0] == str(tmp_path / "c" / "=evil.toml")  # a path starting with / is safe as it is
    assert (
        cli("check", str(tmp_path / "c"), "--csv", str(tmp_path / "m.csv"), "--gradebook", "moodle").code == 0
    )
    assert [r[0] for r in rows_of(tmp_path / "m.csv")[1:5]] == ["'=HYPERLINK(1)", "'+1", "'-2", "'@SUM(A1)"]


# 4. Forgiving, still exact


def test_an_unreadable_cell_is_marked_and_the_rest_is_graded(cli: Runner, tmp_path: Path) -> None:
    text = answers_text(ADA, "Ada").replace("Q = [[", 'Q = [["x", ', 1)
    text = re.sub(r'^Q = \[\["x", [^,]+, ', 'Q = [["x", ', text, flags=re.M)
    text = text.replace("K = [[", "K = [[true, ", 1)
    text = re.sub(r"^K = \[\[true, [^,]+, ", "K = [[true, ", text, flags=re.M)
    path = write(tmp_path / "a.toml", text)
    result = cli("check", str(path), "-f", "json")
    assert result.code == 1, result.err  # wrong or unreadable answers, not bad input
    data = strict_json(result.out)
    assert data["summary"] == {
        "correct": 126,
        "carried": 0,
        "wrong": 0,
        "blank": 0,
        "unreadable": 2,
        "total": 128,
    }
    assert data["steps"]["Q"]["unreadable_cells"] == [
        {"row": 1, "column": 1, "text": "x", "reason": "'x' is not a number"}
    ]
    assert data["steps"]["K"]["cells"][0][0] == "unreadable"
    plain = cli("check", str(path), "-f", "plain").out
    assert "Unreadable Q[1,1]: 'x' is not a number" in plain
    assert (
        "? unreadable" in plain
        and "126 correct, 0 carried, 0 wrong, 0 blank, 2 unreadable of 128 cells" in plain
    )


def test_an_unquoted_fraction_keeps_tomls_error_and_adds_the_hint(cli: Runner, tmp_path: Path) -> None:
    path = write(tmp_path / "a.toml", f'sheet = "{ADA}"\nA = [[81/94, "?"]]\n')
    result = cli("check", str(path))
    assert result.code == 2 and result.err.count("\n") == 1
    assert result.err.startswith(f"Error: {path}: TOML syntax error: ")
    assert result.err.endswith('; write fractions in quotes, "81/94"\n')
    # a fraction inside quotes or a comment is no reason for the hint
    path.write_text('A = [["81/94" 1]]  # 3/4\n', encoding="utf-8")
    assert "write fractions in quotes" not in cli("check", str(path)).err


def test_exact_decimals_and_mixed_numbers_are_right() -> None:
    trace = sheet_trace(ADA)
    a = trace["A"]
    rows = [[cell_text(v) for v in row] for row in a.tolist()]
    exact = [(i, j) for i in range(4) for j in range(4) if 10**6 % a[i, j].denominator == 0 and a[i, j] != 0]
    mixed = [(i, j) for i in range(4) for j in range(4) if a[i, j] > 1]
    for i, j in exact:
        rows[i][j] = str(a[i, j].numerator / a[i, j].denominator)  # 0.2, never 0.20
    for i, j in mixed:
        whole = a[i, j].numerator // a[i, j].denominator
        rows[i][j] = f'"{whole} {fraction_text(a[i, j] - whole)}"'
    text = f'sheet = "{ADA}"\nA = [{", ".join("[" + ", ".join(r) + "]" for r in rows)}]\n'
    answers = parse_answers_text(text, "a.toml", "toml")
    report = check(trace, answers)
    assert report.count("correct") == 16, [c.answer for c in report.steps[0].cells[0]]


def test_a_student_who_rounded_as_they_went_is_right_not_carried() -> None:
    # the classic example: A[1,1] = 9/46 ≈ 0.1957, written 0.20 (right); Z worked from the written
    # A's is right from them, and those A's were all accepted: correct, not "carried"
    from bythand import builtin_example

    trace = walk(builtin_example())
    a_rows = [[f"{float(v):.2f}" for v in row] for row in trace["A"].tolist()]
    rounded = exact_matrix([[Fraction(t) for t in row] for row in a_rows])
    mine = trace["V"].dot(rounded)  # Z = V·A from the rounded A
    z_rows = [[f'"{fraction_text(v)}"' for v in row] for row in mine.tolist()]
    text = "A = [" + ", ".join("[" + ", ".join(r) + "]" for r in a_rows) + "]\n"
    text += "Z = [" + ", ".join("[" + ", ".join(r) + "]" for r in z_rows) + "]\n"
    report = check(trace, parse_answers_text(text, "a.toml", "toml"))
    z = next(s for s in report.steps if s.name == "Z")
    assert z.count("correct") == z.total == 12  # some of those cells differ from the true Z
    assert any(c.answer != cell_text(c.expected) for row in z.cells for c in row)
    # a real slip upstream still makes such a cell "carried"
    slipped = text.replace(f"[{a_rows[0][0]},", "[0.50,", 1)
    report = check(trace, parse_answers_text(slipped, "a.toml", "toml"))
    z = next(s for s in report.steps if s.name == "Z")
    assert z.count("carried") > 0


# 6. Class folders


def test_sub_folders_are_graded_and_files_that_are_not_answers_are_named(cli: Runner, tmp_path: Path) -> None:
    folder = tmp_path / "class"
    write(folder / "ada.toml", answers_text(ADA, "Ada"))
    write(
        folder / "late" / "bob.json",
        json.dumps({"name": "Bob", "sheet": BOB, "Q": sheet_trace(BOB)["Q"].astype(int).tolist()}),
    )
    printed = cli("check", str(folder / "ada.toml"), "-f", "json").out
    write(folder / "report.json", printed)
    # a report cut down to its summary or its steps (a script kept only what it reads) is a report still
    write(folder / "report-steps.json", json.dumps({"steps": json.loads(printed)["steps"]}))
    write(folder / "report-summary.json", json.dumps({"summary": json.loads(printed)["summary"]}))
    write(folder / "notes.txt", "to do")
    write(folder / "p.toml", "X = [[1]]\nWQ = [[1]]\nWK = [[1]]\nWV = [[1]]\n")
    write(folder / ".hidden" / "x.toml", "garbage")
    write(folder / "~$ada.xlsx", "Excel's lock file, beside an ada.xlsx a student has open")
    result = cli("check", str(folder), "-f", "plain")
    assert result.code == 0, result.out
    assert (
        f"{folder / 'late' / 'bob.json'}: 12 correct, 0 carried, 0 wrong, 0 blank of 12 cells" in result.out
    )
    skipped = [line for line in result.out.splitlines() if line.startswith("Skipped")]
    assert skipped == [
        f"Skipped {folder / 'notes.txt'}: not an answers file (.toml, .json, .xlsx)",
        f"Skipped {folder / 'p.toml'}: a problem file, not answers",
        *(
            f"Skipped {folder / name}: a bythand check report (--format json), not answers"
            for name in ("report-steps.json", "report-summary.json", "report.json")
        ),
        f"Skipped {folder / '~$ada.xlsx'}: the lock file Excel keeps beside a workbook it has open",
    ]
    result = cli("check", str(folder), "-f", "json")  # JSON stays JSON: the skipped files go to stderr
    assert len(strict_json(result.out)) == 2 and result.err.count("Skipped ") == 6
    report = folder / "report.json"
    assert cli("check", str(report)).err == (
        f"Error: {report}: this is a bythand check report (--format json), not an answers file\n"
    )


def test_the_gradebook_counts_carried_and_unreadable_cells_and_no_percent_of_nothing(
    cli: Runner, tmp_path: Path
) -> None:
    p = builtin_example()
    true = ref.of(p)
    q11 = true["Q"][0][0]
    assert isinstance(q11, Fraction)
    mine = student.work(p, {"Q": (0, 0, q11 + 1)})  # a slip, carried into scaled
    carried = sum(mine["scaled"][i, 0] != true["scaled"][i][0] for i in range(len(true["scaled"])))
    assert carried > 0
    c = tmp_path / "c"
    write(c / "1-slip.toml", student.toml({"Q": mine["Q"], "scaled": mine["scaled"]}, "Ada"))
    unreadable = [[str(v) for v in row] for row in true["Q"]]
    unreadable[0][1] = '"x"'
    q_text = ", ".join("[" + ", ".join(row) + "]" for row in unreadable)
    write(c / "2-unreadable.toml", f'name = "Bob"\nQ = [{q_text}]\n')
    # the only step handed in is one the sheet printed: nothing is graded, so there is no percent
    write(c / "3-printed.toml", student.toml({"Q": student.array(true["Q"])}, "Cy", 'fill = ["Q"]'))
    g = tmp_path / "g.csv"
    assert cli("check", "--example", "self-attention-6x4", str(c), "--csv", str(g)).code == 1
    header, *rows = rows_of(g)
    columns = ("correct", "carried", "wrong", "blank", "total", "percent", "unreadable", "Q", "Q total")
    got = [[dict(zip(header, row, strict=True))[k] for k in columns] for row in rows]
    q = len(true["Q"]) * len(true["Q"][0])
    total = q + len(true["scaled"]) * len(true["scaled"][0])  # Q and scaled, one cell of Q wrong
    assert got == [
        [str(total - 1 - carried), str(carried), "1", "0", str(total), f"{100 * (total - 1) / total:.1f}",
         "0", str(q - 1), str(q)],
        [str(q - 1), "0", "0", "0", str(q), f"{100 * (q - 1) / q:.1f}", "1", str(q - 1), str(q)],
        ["0", "0", "0", "0", "0", "", "0", "", ""],
    ]  # fmt: skip


# 1. Rosters, and a whole class graded into a table and a CSV


@pytest.fixture
def roster_class(cli: Runner, tmp_path: Path) -> Path:
    """Three students' sheets with a manifest, and a folder of what they handed in."""
    names = write(
        tmp_path / "names.csv", "name,id,email\nAda,1001,ada@example.org\nBob,1002,bob@x.org\nCy,1003,\n"
    )
    result = cli(
        "worksheet",
        "--random",
        "--seed",
        "7",
        "--roster",
        str(names),
        "-o",
        str(tmp_path / "sheets") + "/",
        "-f",
        "typ",
    )
    assert result.code == 0, result.err
    c = tmp_path / "class"
    write(c / "1-ada.toml", answers_text(ADA, "Ada"))  # right
    write(c / "2-ada-again.toml", answers_text(ADA, "Ada", slip=("S", 0, 0)))  # a second file for Ada's sheet
    write(c / "3-bob.toml", answers_text(ADA, "Bob", sheet=ADA))  # Bob handed in Ada's sheet
    write(c / "4-dee.toml", answers_text(None, "Dee"))  # not on the roster, no sheet
    write(
        c / "5-cy.toml", answers_text(CY, "Cy", slip=("Q", 0, 0), sheet=None).replace(f'sheet = "{CY}"\n', "")
    )
    return tmp_path


def test_worksheet_roster_puts_names_on_sheets_and_writes_the_manifest(
    cli: Runner, roster_class: Path
) -> None:
    sheets = roster_class / "sheets"
    manifest = rows_of(sheets / "manifest.csv")
    assert manifest == [
        ["name", "id", "email", "sheet", "file"],
        ["Ada", "1001", "ada@example.org", ADA, f"{ADA}.typ"],
        ["Bob", "1002", "bob@x.org", BOB, f"{BOB}.typ"],
        ["Cy", "1003", "", CY, f"{CY}.typ"],
    ]
    assert '\\"student\\":\\"Bob\\"' in (sheets / f"{BOB}.typ").read_text(encoding="utf-8")
    # the manifest is never overwritten without --force, and --count must agree with the roster
    names = roster_class / "names.csv"
    again = cli(
        "worksheet", "--random", "--seed", "7", "--roster", str(names), "-o", f"{sheets}/", "-f", "typ"
    )
    assert again.code == 2 and "already exists" in again.err
    wrong = cli("worksheet", "--random", "--count", "2", "--roster", str(names))
    assert wrong.err == f"Error: --count 2: the roster {names} has 3 students; leave out --count\n"
    assert (
        cli("worksheet", "--roster", str(names)).err
        == "Error: --roster gives each student a random sheet; add --random\n"
    )


def test_a_class_graded_with_its_roster(cli: Runner, roster_class: Path) -> None:
    c, manifest = roster_class / "class", roster_class / "sheets" / "manifest.csv"
    result = cli(
        "check", str(c), "--roster", str(manifest), "--csv", str(roster_class / "g.csv"), "-f", "plain"
    )
    assert result.code == 2  # Bob's file cannot be graded as it stands
    rows = rows_of(roster_class / "g.csv")
    assert rows[0][:14] == [
        *("file", "name", "correct", "carried", "wrong", "blank", "total", "percent", "error"),
        *("problem", "unreadable", "flag", "id", "email"),
    ]
    assert [r[:14] for r in rows[1:]] == [
        [str(c / "1-ada.toml"), "Ada", "128", "0", "0", "0", "128", "100.0", "", f"sheet {ADA}", "0",
         f"duplicate: {c / '1-ada.toml'}, {c / '2-ada-again.toml'}", "1001", "ada@example.org"],
        [str(c / "2-ada-again.toml"), "Ada", "127", "0", "1", "0", "128", "99.2", "", f"sheet {ADA}", "0",
         f"duplicate: {c / '1-ada.toml'}, {c / '2-ada-again.toml'}", "1001", "ada@example.org"],
        [str(c / "3-bob.toml"), "Bob", "", "", "", "", "", "",
         f"{c / '3-bob.toml'}: wrong sheet: sheet {ADA} is Ada's; Bob's sheet is {BOB}", f"sheet {BOB}", "",
         "wrong sheet", "1002", "bob@x.org"],
        [str(c / "4-dee.toml"), "Dee", "", "", "", "", "", "",
         f"{c / '4-dee.toml'}: names no sheet, example or problem; add a line such as sheet = \"ID\" to it, "
         "or name the problem on the command line (PROBLEM, --sheet or --example)", "", "",
         "not on the roster", "", ""],
        [str(c / "5-cy.toml"), "Cy", "127", "0", "1", "0", "128", "99.2", "", f"sheet {CY}", "0", "",
         "1003", ""],
    ]  # fmt: skip
    assert rows[2][14:16] == ["12", "12"] and rows[2][22:24] == ["15", "16"]  # Q 12/12, S 15/16
    table = result.out
    bob = re.escape(str(c / "3-bob.toml"))
    assert re.search(rf"\| {bob} +\| Bob +\| sheet {BOB} +\| +error \|", table)
    assert "duplicate: " in table and "wrong sheet" in table and "not on the roster" in table
    assert f"{c / '5-cy.toml'}: 127 correct, 0 carried, 1 wrong, 0 blank of 128 cells" in table
    # Cy wrote no sheet line: matched by name to Cy's own sheet. Remove Bob's file, and nobody
    # is in error; hand nothing in for Bob, and his row says he is missing
    (c / "3-bob.toml").unlink()
    (c / "4-dee.toml").unlink()
    result = cli(
        "check", str(c), "--roster", str(manifest), "--csv", str(roster_class / "h.csv"), "-f", "plain"
    )
    assert result.code == 1  # a missing student and a duplicate are flags, not bad input
    rows = rows_of(roster_class / "h.csv")
    assert rows[-1][:14] == ["", "Bob", "", "", "", "", "", "", "no answers file from Bob", f"sheet {BOB}",
                             "", "missing", "1002", "bob@x.org"]  # fmt: skip
    assert f"Missing: no answers file from Bob (sheet {BOB})" in result.out


def test_a_class_report_names_each_students_flags_id_and_email(cli: Runner, roster_class: Path) -> None:
    c, manifest = roster_class / "class", roster_class / "sheets" / "manifest.csv"
    # Bob hands in Ada's sheet twice, the second time with a sheet id that does not check out
    again = write(c / "6-bob-again.toml", answers_text(ADA, "Bob", sheet="oops1"))
    result = cli(
        "check", str(c), "--roster", str(manifest), "--csv", str(roster_class / "g.csv"), "-f", "json"
    )
    assert result.code == 2
    data = strict_json(result.out)
    assert [(d["name"], d["student"]) for d in data] == [
        ("Ada", {"id": "1001", "email": "ada@example.org"}),
        ("Ada", {"id": "1001", "email": "ada@example.org"}),
        ("Bob", {"id": "1002", "email": "bob@x.org"}),
        ("Dee", None),  # on no roster
        ("Cy", {"id": "1003", "email": ""}),
        ("Bob", {"id": "1002", "email": "bob@x.org"}),
    ]
    assert data[5]["error"] == f"{again}: wrong sheet: sheet OOPS1 is not Bob's (Bob's is {BOB})"
    both = f"duplicate: {c / '3-bob.toml'}, {again}"
    rows = rows_of(roster_class / "g.csv")
    assert [(r[1], r[11]) for r in rows[1:]] == [
        ("Ada", f"duplicate: {c / '1-ada.toml'}, {c / '2-ada-again.toml'}"),
        ("Ada", f"duplicate: {c / '1-ada.toml'}, {c / '2-ada-again.toml'}"),
        ("Bob", f"wrong sheet; {both}"),
        ("Dee", "not on the roster"),
        ("Cy", ""),
        ("Bob", f"wrong sheet; {both}"),
    ]


def test_the_manifest_in_the_graded_folder_is_not_named_as_skipped(cli: Runner, roster_class: Path) -> None:
    c = roster_class / "class"
    (c / "3-bob.toml").unlink()
    (c / "4-dee.toml").unlink()
    shutil.copy(roster_class / "sheets" / "manifest.csv", c / "manifest.csv")
    write(c / "notes.txt", "to do\n")
    result = cli("check", str(c), "--roster", str(c / "manifest.csv"), "-f", "plain")
    assert result.code == 1, result.err  # Bob is missing: a flag
    skipped = [line for line in result.out.splitlines() if line.startswith("Skipped")]
    assert skipped == [f"Skipped {c / 'notes.txt'}: not an answers file (.toml, .json, .xlsx)"]
    # without --roster the same CSV is a file left out, and named
    plain = cli("check", str(c / "1-ada.toml"), str(c), "-f", "plain")
    assert f"Skipped {c / 'manifest.csv'}: " in plain.out


def test_platform_gradebooks_carry_the_documented_headers(cli: Runner, roster_class: Path) -> None:
    c, manifest = roster_class / "class", roster_class / "sheets" / "manifest.csv"
    canvas, moodle = roster_class / "canvas.csv", roster_class / "moodle.csv"
    # Ada handed in two files for her sheet: one row, and no grade until the teacher picks one
    twice = {platform: roster_class / f"twice-{platform}.csv" for platform in ("canvas", "moodle")}
    for platform, path in twice.items():
        cli("check", str(c), "--roster", str(manifest), "--csv", str(path), "--gradebook", platform)
    assert rows_of(twice["canvas"]) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "bythand"],
        ["Ada", "", "1001", "", "", ""],
        ["Bob", "", "1002", "", "", ""],
        ["Dee", "", "", "", "", ""],
        ["Cy", "", "1003", "", "", "99.2"],
    ]
    assert rows_of(twice["moodle"])[1:3] == [
        ["Ada", "1001", "ada@example.org", ""],
        ["Bob", "1002", "bob@x.org", ""],
    ]
    (c / "2-ada-again.toml").unlink()
    cli("check", str(c), "--roster", str(manifest), "--csv", str(canvas), "--gradebook", "canvas")
    cli("check", str(c), "--roster", str(manifest), "--csv", str(moodle), "--gradebook", "moodle")
    assert rows_of(canvas) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "bythand"],
        ["Ada", "", "1001", "", "", "100.0"],
        ["Bob", "", "1002", "", "", ""],  # handed in someone else's sheet: no grade, never a silent one
        ["Dee", "", "", "", "", ""],
        ["Cy", "", "1003", "", "", "99.2"],
    ]
    assert rows_of(moodle) == [
        ["Full name", "ID number", "Email address", "bythand"],
        ["Ada", "1001", "ada@example.org", "100.0"],
        ["Bob", "1002", "bob@x.org", ""],
        ["Dee", "", "", ""],
        ["Cy", "1003", "", "99.2"],
    ]
    result = cli("check", str(c), "--gradebook", "blackboard", "--csv", str(roster_class / "x.csv"))
    assert result.err == "Error: --gradebook: unknown value 'blackboard' (choose canvas, moodle)\n"
    assert cli("check", str(c), "--gradebook", "canvas").err == (
        "Error: --gradebook chooses the columns of the --csv FILE; give --csv too\n"
    )


def test_a_bad_manifest_is_one_line(cli: Runner, tmp_path: Path) -> None:
    answers = write(tmp_path / "a.toml", answers_text(ADA, "Ada"))
    bad = write(tmp_path / "m.csv", "name,sheet\nAda,NOTANID\n")
    result = cli("check", str(answers), "--roster", str(bad))
    assert result.code == 2 and result.err.startswith(f"Error: {bad}: row 2 (Ada): ")
    none = write(tmp_path / "n.csv", "name\nAda\n")
    assert (
        cli("check", str(answers), "--roster", str(none)).err
        == f"Error: {none}: no sheet column (the header row has name)\n"
    )
    assert cli("check", "--sheet", ADA, str(answers), "--roster", str(bad)).err == (
        "Error: --roster names each student's sheet; leave out sheet\n"
    )


# 5. Templates that match the printed sheet


def test_templates_prefill_masked_cells_and_filled_steps(cli: Runner, tmp_path: Path) -> None:
    target = tmp_path / "t.toml"
    assert (
        cli("check", "--template", "--example", "masked-6x4", "--fill", "Q,K,V", "-o", str(target)).code == 0
    )
    text = target.read_text(encoding="utf-8")
    assert 'example = "masked-6x4"' in text and 'fill = ["Q", "K", "V"]' in text
    assert 'scaled = [\n  ["?", "?", "?", "?"],\n  ["-inf", "?", "?", "?"],' in text
    assert 'E = [\n  ["?", "?", "?", "?"],\n  [0, "?", "?", "?"],' in text
    assert "Q = [\n  [2, 1, 0, 2]," in text
    result = cli("check", str(target), "-f", "json")  # no flags: the file says everything
    data = strict_json(result.out)
    assert list(data["steps"]) == [
        "KT",
        "S",
        "scaled",
        "E",
        "sums",
        "A",
        "Z",
    ]  # the printed steps are not graded
    # the 6 masked cells are printed, so they earn nothing
    assert data["steps"]["scaled"]["correct"] == 0 and data["steps"]["scaled"]["blank"] == 10


def test_template_records_heads_and_the_problem(cli: Runner, tmp_path: Path) -> None:
    problem = write(
        tmp_path / "p.toml",
        "X = [[1, 0], [0, 1]]\nWQ = [[1, 0], [0, 1]]\nWK = [[1, 0], [0, 1]]\nWV = [[1, 0], [0, 1]]\n",
    )
    target = tmp_path / "out" / "t.toml"
    (tmp_path / "out").mkdir()
    assert cli("check", "--template", str(problem), "--heads", "2", "-o", str(target)).code == 0
    text = target.read_text(encoding="utf-8")
    assert 'problem = "../p.toml"' in text and "heads = 2" in text and "h2.Q = [" in text
    assert cli("check", str(target), "-f", "json").code == 1  # graded with 2 heads, no flag needed


def test_one_template_per_sheet_of_a_class_set(cli: Runner, tmp_path: Path) -> None:
    out = tmp_path / "templates"
    result = cli("check", "--template", "--random", "--count", "3", "--seed", "7", "-o", f"{out}/")
    assert result.code == 0, result.err
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{s}.toml" for s in (ADA, BOB, CY))
    for sid in (ADA, BOB, CY):
        text = (out / f"{sid}.toml").read_text(encoding="utf-8")
        assert f'sheet = "{sid}"' in text
        data = strict_json(cli("check", str(out / f"{sid}.toml"), "-f", "json").out)
        assert data["graded_against"] == f"sheet {sid}" and data["summary"]["blank"] == 128
    again = cli("check", "--template", "--random", "--seed", "7", "-o", f"{out}/")
    assert again.err == f"Error: {out / ADA}.toml: already exists; use --force to overwrite it\n"
    assert cli("check", "--template", "--random", "-o", str(tmp_path / "one.toml")).err == (
        "Error: one template per sheet: give a folder, -o DIR/\n"
    )
    assert (
        cli("check", "--template", "--count", "3").err == "Error: --count makes random sheets; add --random\n"
    )


def test_templates_from_a_manifest_carry_each_name(cli: Runner, roster_class: Path) -> None:
    out = roster_class / "t"
    manifest = roster_class / "sheets" / "manifest.csv"
    assert cli("check", "--template", "--roster", str(manifest), "-o", f"{out}/").code == 0
    assert 'name = "Bob"\nsheet = "21PVR6TSR"' in (out / f"{BOB}.toml").read_text(encoding="utf-8")


# 8. The README's command as written


def test_readme_worksheet_folder_command_makes_the_folder(
    cli: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("worksheet", "--random", "--count", "2", "--seed", "7", "-o", "sheets/", "--format", "svg")
    assert result.code == 0, result.err
    assert sorted(p.name for p in (tmp_path / "sheets").iterdir()) == [f"{ADA}.svg", f"{BOB}.svg"]


# The same grade whatever the source


SLIPPABLE = ("Q", "K", "KT", "S", "sums", "A", "Z")


def _sheet(level: str, mask: str, seed: int) -> tuple[str, Trace]:
    params = make_params(None, None, None, None, level, True, mask, 1)
    return sheet_id(params, seed), walk(generate(params, seed))


def _value(v: Any, decimal: bool) -> Any:
    """A cell as a JSON value: an integer, a fraction as text, an exact decimal as a number, "-inf"."""
    if isinstance(v, float):
        return "-inf"
    if v.denominator == 1:
        return v.numerator
    if decimal and 10**9 % v.denominator == 0:
        return float(v)  # written with as many places as it has: exact
    return fraction_text(v)


def _toml_value(v: Any) -> str:
    return json.dumps(v) if not isinstance(v, float) else repr(v)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["easy", "medium"]),
    st.sampled_from(["none", "causal"]),
    st.integers(0, 5000),
    st.lists(
        st.tuples(st.sampled_from(SLIPPABLE), st.integers(0, 7), st.integers(0, 7), st.integers(-3, 3)),
        max_size=3,
    ),
    st.randoms(use_true_random=False),
)
def test_the_grade_is_the_same_from_toml_json_or_the_template(
    level: str, mask: str, seed: int, slips: list[tuple[str, int, int, int]], rnd: Any
) -> None:
    sid, trace = _sheet(level, mask, seed)
    cells: dict[str, list[list[Any]]] = {}
    for step in STEPS:
        m = trace[step]
        cells[step] = [
            [_value(m[i, j], rnd.random() < 0.5) for j in range(m.shape[1])] for i in range(m.shape[0])
        ]
    for step, row, col, delta in slips:
        m = trace[step]
        i, j = row % m.shape[0], col % m.shape[1]
        if delta and not isinstance(m[i, j], float):
            cells[step][i][j] = fraction_text(m[i, j] + delta)
    json_text = json.dumps({"name": "Ada", "sheet": sid, **cells})
    toml_text = f'name = "Ada"\nsheet = "{sid}"\n' + "".join(
        f"{s} = [{', '.join('[' + ', '.join(_toml_value(v) for v in row) + ']' for row in rows)}]\n"
        for s, rows in cells.items()
    )
    template = template_text(trace, ("sheet", sid), name="Ada")
    filled = template
    for step, rows in cells.items():
        body = ",\n".join("  [" + ", ".join(_toml_value(v) for v in row) + "]" for row in rows)
        block = f"{step} = [\n{body},\n]"
        filled = re.sub(
            rf"^{step} = \[\n.*?^\]$", block.replace("\\", "\\\\"), filled, count=1, flags=re.M | re.S
        )
    grades = []
    for text, kind in ((toml_text, "toml"), (json_text, "json"), (filled, "toml")):
        answers = parse_answers_text(text, f"ada.{kind}", kind)
        problem, reference, note = problem_for(answers, None, None, None, in_class=True)
        assert (reference, note) == (f"sheet {sid}", None)
        report = check(walk(problem), answers)
        grades.append([(s.name, [[c.verdict for c in row] for row in s.cells]) for s in report.steps])
    assert grades[0] == grades[1] == grades[2]
    if not any(delta for *_, delta in slips):  # exact decimals are always right
        assert all(v == "correct" for _, rows in grades[0] for row in rows for v in row)


def test_loaders_are_chosen_by_suffix_and_grade_files_uses_them(tmp_path: Path) -> None:
    assert set(LOADERS) == {".toml", ".json", ".xlsx"}
    toml = write(tmp_path / "a.toml", answers_text(ADA, "Ada"))
    results = grade_files([toml], None, Rules())
    assert results[0].reference == f"sheet {ADA}"


def test_unreadable_cells_are_kept_as_written() -> None:
    answers = parse_answers_text('Q = [["1/0", "1 1/7", "abc"]]\n', "a.toml", "toml")
    row = answers.matrices["Q"][0]
    assert row[0] == Unreadable("1/0", "'1/0' divides by zero")
    assert not isinstance(row[1], Unreadable) and row[1] is not None and row[1].value == F(8, 7)
    assert isinstance(row[2], Unreadable)
