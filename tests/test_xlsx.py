"""Spreadsheets: worksheets filled in a spreadsheet and read back by check; live workbooks that recompute.

The round trips go through a real spreadsheet program (LibreOffice, headless): every file that needs
it is converted in one soffice call per test session, so the run stays fast.
"""

from __future__ import annotations

import datetime
import json
import math
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest
from test_code import IDS, WORDS

from bythand import Problem, walk
from bythand.answers import Unreadable
from bythand.generate import class_set, make_params
from bythand.layout import layout
from bythand.numbers import Matrix, cell, fraction_text
from bythand.problem import load_example, parse_problem_text
from bythand.render.xlsx import HEADER_ROWS, RECORD_SHEET, live_workbook, worksheet_workbook
from bythand.walk import MASKED, Trace

from conftest import Runner
from student import work

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
NO_SOFFICE = "LibreOffice (soffice) is not installed here; .ci/run installs libreoffice-calc-nogui"


def record(path: Path) -> dict[str, Any]:
    """The workbook's hidden record, with its layout parsed."""
    wb = openpyxl.load_workbook(path)
    rows = list(wb[RECORD_SHEET].iter_rows(min_row=2, max_col=2, values_only=True))
    out: dict[str, Any] = {key: value for key, value in rows if key != "matrix"}
    out["layout"] = [json.loads(value) for key, value in rows if key == "matrix"]
    return out


def item(path: Path, name: str) -> dict[str, Any]:
    return next(it for it in record(path)["layout"] if it["name"] == name)


def at(it: dict[str, Any], i: int, j: int) -> tuple[int, int]:
    """openpyxl's 1-based (row, column) of a recorded matrix's cell [i, j]."""
    return it["row"] + i + 1, it["col"] + j + 1


def edit(path: Path, out: Path, change: Callable[[Any], None]) -> Path:
    """Open a workbook as a spreadsheet program would, change it, save it elsewhere."""
    wb = openpyxl.load_workbook(path)
    change(wb)
    wb.save(out)
    return out


# What a student types: each cell as text or as a number, the way people do


def typed(v: Fraction | float, i: int, j: int) -> tuple[object, object]:
    """(the value put in the spreadsheet cell, the same answer in a TOML file)."""
    if isinstance(v, float) and v == MASKED:
        return "-inf", "-inf"
    assert isinstance(v, Fraction)
    if v.denominator == 1:
        return (int(v), int(v)) if (i + j) % 2 else (str(v), str(v))  # a number, or the text "3"
    if (i + j) % 3 == 1:  # a decimal typed into a number cell: the spreadsheet stores a float
        decimal = round(float(v), 4)
        return decimal, decimal
    return fraction_text(v), fraction_text(v)


def toml_value(v: object) -> str:
    return json.dumps(v) if isinstance(v, str) else repr(v)


def fill(blank: Path, out: Path, matrices: dict[str, Matrix], name: str, skip: set[tuple[str, int]]) -> str:
    """Fill a blank worksheet as a student would (rows in `skip` left empty); the same answers as TOML."""
    items = {it["name"]: it for it in record(blank)["layout"] if it["role"] == "answer"}
    lines = [f'name = "{name}"']

    def change(wb: Any) -> None:
        ws = wb[record(blank)["tab"]]
        ws.cell(2, 3).value = name
        for key, m in matrices.items():
            it = items[key]
            rows = []
            for i in range(m.shape[0]):
                row = []
                for j in range(m.shape[1]):
                    in_sheet, in_toml = typed(m[i, j], i, j)
                    r, c = at(it, i, j)
                    masked = isinstance(ws.cell(r, c).value, str) and ws.cell(r, c).protection.locked
                    if (key, i) in skip and not masked:
                        row.append('"?"')
                        continue
                    if masked:  # printed on the sheet: the student leaves it as it is
                        in_toml = ws.cell(r, c).value.replace("−∞", "-inf")
                    else:
                        ws.cell(r, c).value = in_sheet
                    row.append(toml_value(in_toml))
                rows.append("[" + ", ".join(row) + "]")
            lines.append(f"{key} = [{', '.join(rows)}]")

    edit(blank, out, change)
    return "\n".join(lines) + "\n"


def strip(path: Path, out: Path) -> Path:
    """Save through openpyxl, which keeps the formulas and drops every cached value."""
    return edit(path, out, lambda wb: None)


def computed_cells(trace: Trace) -> Iterator[tuple[str, int, int, int, int]]:
    """(name, i, j, row, column) of every cell of the live workbook's sheet (1-based row and column)."""
    for it in layout(trace).items():
        for i, j, r, c in it.cells():
            yield it.name, i, j, r + HEADER_ROWS + 1, c + 1


def assert_trace_values(path: Path, trace: Trace) -> int:
    """Every cell of the recalculated workbook holds the trace's value (fractions to 1e-12)."""
    ws = openpyxl.load_workbook(path, data_only=True)["Live"]
    count = 0
    for name, i, j, r, c in computed_cells(trace):
        want, got = cell(trace[name], i, j), ws.cell(r, c).value
        if isinstance(want, float) and want == MASKED:
            assert got == "−∞", (name, i, j, got)
        else:
            assert isinstance(got, int | float), (path.name, name, i, j, got)
            assert math.isclose(got, float(want), rel_tol=1e-12, abs_tol=1e-12), (path.name, name, i, j)
        count += 1
    return count


# The problems of the live-workbook round trips


def live_cases() -> dict[str, Problem]:
    classic = load_example("self-attention-6x4")
    return {
        "classic-tricks": classic.with_options(approx=True),
        "classic-sqrt-e": classic.with_options(approx=False),
        "masked": load_example("masked-6x4"),
        "masked-rows": load_example("masked-6x4").in_convention("rows"),
        "cross": load_example("cross-attention-6x4"),
        "two-heads-wo": load_example("multi-head-2x4"),
        "two-heads-rows": load_example("multi-head-2x4").in_convention("rows"),
        "one-head-wo": Problem(classic.X, classic.WQ, classic.WK, classic.WV, options=classic.options,
                               WO=[[1, 0, 1], [0, 1, -1]]),
        "words-step-0": parse_problem_text(WORDS, "words.toml", "toml"),  # sin and cos positions, rows
        "token-ids-step-0": parse_problem_text(IDS, "ids.toml", "toml"),  # exact, columns
    }  # fmt: skip


def edited(problem: Problem) -> tuple[Problem, list[tuple[str, int, int, int]]]:
    """The problem with two givens changed, and the changes (name, i, j, new value)."""
    X = problem.X.copy()
    X[0, 1] = Fraction(X[0, 1]) + 1
    head = problem.heads[0]
    WQ = head.WQ.copy()
    WQ[1, 0] = Fraction(WQ[1, 0]) - 1
    heads = (replace(head, WQ=WQ), *problem.heads[1:])
    first = "h1.WQ" if len(problem.heads) > 1 else "WQ"
    return replace(problem, X=X, heads=heads), [("X", 0, 1, int(X[0, 1])), (first, 1, 0, int(WQ[1, 0]))]


@pytest.fixture(scope="module")
def spreadsheet(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Everything that goes through LibreOffice, prepared and then converted in one soffice call."""
    if SOFFICE is None:
        pytest.skip(NO_SOFFICE)
    folder = tmp_path_factory.mktemp("spreadsheet")
    inputs, out = folder / "in", folder / "out"
    inputs.mkdir()
    files: list[Path] = []
    # (a) blank worksheets filled by a script, then saved by LibreOffice as a student's save would be
    students: dict[str, str] = {}
    for label, problem in (("classic", load_example("self-attention-6x4").with_options(approx=True)),
                           ("masked", load_example("masked-6x4"))):  # fmt: skip
        trace = walk(problem)
        blank = inputs / f"{label}-blank.xlsx"
        ref = ("example", "self-attention-6x4" if label == "classic" else "masked-6x4")
        blank.write_bytes(worksheet_workbook(trace, ref[1], ref, "bythand check x.xlsx"))
        mine = work(problem, {"S": (1, 2, Fraction(7)), "E": (0, 0, Fraction(5))})
        students[label] = fill(blank, inputs / f"{label}-student.xlsx", mine, "Ada Lovelace", {("Z", 2)})
        files.append(inputs / f"{label}-student.xlsx")
    # (b) live workbooks without their cached values, for LibreOffice to recalculate
    traces = {}
    for label, problem in live_cases().items():
        traces[label] = walk(problem)
        live = inputs / f"{label}-live.xlsx"
        live.write_bytes(live_workbook(traces[label], problem.source))
        files.append(strip(live, inputs / f"{label}-stripped.xlsx"))
    # (c) a given edited in the live workbook
    changed = {}
    for label in ("classic-tricks", "masked-rows", "two-heads-wo", "cross"):
        problem, changes = edited(live_cases()[label])
        changed[label] = walk(problem)
        canvas = layout(traces[label])

        def change(wb: Any, changes: list[tuple[str, int, int, int]] = changes, canvas: Any = canvas) -> None:
            for name, i, j, value in changes:
                r, c = canvas.item(name).at(i, j)
                wb["Live"].cell(r + HEADER_ROWS + 1, c + 1).value = value

        files.append(edit(inputs / f"{label}-live.xlsx", inputs / f"{label}-edited.xlsx", change))
    profile = folder / "profile"
    done = subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--calc", "--convert-to", "xlsx",
         "--outdir", str(out), *map(str, files)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return {"in": inputs, "out": out, "students": students, "traces": traces, "changed": changed}


# (a) a worksheet filled and saved by a spreadsheet program is graded as its TOML twin


@pytest.mark.parametrize("label", ["classic", "masked"])
def test_a_workbook_saved_by_libreoffice_grades_as_its_toml(
    spreadsheet: dict[str, Any], cli: Runner, tmp_path: Path, label: str
) -> None:
    saved = spreadsheet["out"] / f"{label}-student.xlsx"
    ws = openpyxl.load_workbook(saved)["Worksheet"]
    numbers = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, float | int)]
    assert any(isinstance(v, float) and not v.is_integer() for v in numbers)  # decimals stored as numbers
    toml = tmp_path / "answers.toml"
    example = "self-attention-6x4" if label == "classic" else "masked-6x4"
    extra = 'options = {scale = "floor-half", exp = "3"}\n' if label == "classic" else ""
    toml.write_text(f'example = "{example}"\n{extra}' + spreadsheet["students"][label], encoding="utf-8")
    from_sheet = cli("check", str(saved), "--format", "json")
    from_toml = cli("check", str(toml), "--format", "json")
    assert from_sheet.code == from_toml.code == 1, from_sheet.err + from_toml.err
    graded, twin = json.loads(from_sheet.out), json.loads(from_toml.out)
    assert graded["name"] == "Ada Lovelace"
    assert {k: v for k, v in graded.items() if k != "answers"} == {
        k: v for k, v in twin.items() if k != "answers"
    }
    wrong = {(name, i, j) for name, step in graded["steps"].items()
             for i, row in enumerate(step["cells"]) for j, v in enumerate(row) if v == "wrong"}  # fmt: skip
    assert {("S", 1, 2), ("E", 0, 0)} <= wrong  # the two slips (later cells may follow from typed decimals)
    assert graded["summary"]["carried"] > 0 and graded["summary"]["blank"] == 4  # Z's row 3 left empty
    plain = " ".join(cli("check", str(saved), "--format", "plain").out.split())
    assert f"Answers: {saved} (Ada Lovelace)" in plain


# (b) a live workbook recalculated by a spreadsheet program gives the trace


def test_live_workbooks_recalculated_by_libreoffice_give_the_trace(spreadsheet: dict[str, Any]) -> None:
    for label, trace in spreadsheet["traces"].items():
        stripped = spreadsheet["in"] / f"{label}-stripped.xlsx"
        formulas = [c for row in openpyxl.load_workbook(stripped)["Live"].iter_rows() for c in row
                    if isinstance(c.value, str) and c.value.startswith("=") and len(c.value) > 1]  # fmt: skip
        r, c = formulas[0].row, formulas[0].column
        assert openpyxl.load_workbook(stripped, data_only=True)["Live"].cell(r, c).value is None  # no cache
        assert assert_trace_values(spreadsheet["out"] / f"{label}-stripped.xlsx", trace) > 100


# (c) editing a given and recalculating gives the trace of the edited problem


def test_editing_a_given_recomputes_every_step(spreadsheet: dict[str, Any]) -> None:
    for label, trace in spreadsheet["changed"].items():
        before = spreadsheet["traces"][label]
        assert not np.array_equal(trace[trace.output], before[before.output])  # the edit changes the answer
        assert_trace_values(spreadsheet["out"] / f"{label}-edited.xlsx", trace)


# The live workbook as written: formulas with their cached values


def test_live_workbook_holds_formulas_and_their_values(tmp_path: Path, cli: Runner) -> None:
    out = tmp_path / "live.xlsx"
    result = cli("run", "--example", "masked-6x4", "--format", "xlsx", "-o", str(out))
    assert result.code == 0, result.err
    assert result.out == f"Wrote {out} (a live workbook: edit a given and every step recomputes)\n"
    trace = walk(load_example("masked-6x4"))
    assert assert_trace_values(out, trace) == 230  # XlsxWriter cached every value
    ws = openpyxl.load_workbook(out)["Live"]
    canvas = layout(trace)

    def a1(name: str, i: int, j: int, kind: str | None = None) -> str:
        it = next(it for it in canvas.items() if it.name == name and (kind is None or it.kind == kind))
        r, c = it.at(i, j)
        return f"{'ABCDEFGHIJKLMNOPQRSTUVWXYZ'[c]}{r + HEADER_ROWS + 1}"

    def formula(name: str, i: int, j: int) -> Any:
        r, c = canvas.item(name).at(i, j)
        return ws.cell(r + HEADER_ROWS + 1, c + 1).value

    assert (a1("X", 0, 0), a1("WQ", 0, 0), a1("S", 0, 0)) == ("K8", "C16", "X13")  # where the crosses sit
    assert formula("Q", 0, 0) == f"=MMULT({a1('WQ', 0, 0)}:{a1('WQ', 0, 5)},{a1('X', 0, 0)}:{a1('X', 5, 0)})"
    # S = Kᵀ·Q: Kᵀ's row 2 times the column of the copy of Q drawn above S, which copies Q
    assert (
        formula("S", 1, 0) == f"=MMULT({a1('KT', 1, 0)}:{a1('KT', 1, 2)},X8:X10)" == "=MMULT(S14:U14,X8:X10)"
    )
    assert ws["X8"].value == f"={a1('Q', 0, 0)}" and formula("KT", 1, 2) == f"={a1('K', 2, 1)}"
    assert formula("scaled", 0, 0) == f"=FLOOR({a1('S', 0, 0)}/2,1)"
    assert formula("scaled", 1, 0) == "−∞"  # key 2 after query 1: masked, a constant
    x = a1("scaled", 1, 0)
    assert formula("E", 1, 0) == f"=IF(ISNUMBER({x}),POWER(3,{x}),0)"  # −∞ gives 0
    assert formula("E", 0, 0) == f"=POWER(3,{a1('scaled', 0, 0)})"
    assert formula("sums", 0, 1) == f"=SUM({a1('E', 0, 1)}:{a1('E', 3, 1)})"
    assert formula("A", 0, 1) == f"={a1('E', 0, 1)}/{a1('sums', 0, 1)}"
    assert (
        formula("Z", 0, 0)
        == f"=MMULT({a1('V', 0, 0, 'Vcopy')}:{a1('V', 0, 3, 'Vcopy')},{a1('A', 0, 0)}:{a1('A', 3, 0)})"
    )
    assert formula("X", 0, 0) == 2  # givens are plain numbers, for the teacher to edit


def test_live_workbook_needs_a_file(cli: Runner, tmp_path: Path) -> None:
    assert cli("run", "-f", "xlsx").err == "Error: --format xlsx writes a workbook; give -o FILE.xlsx\n"
    bad = cli("run", "-f", "xlsx", "-o", str(tmp_path / "a.csv"))
    assert bad.code == 2 and "a workbook is written as .xlsx" in bad.err
    assert "holds every step" in cli("run", "-f", "xlsx", "--step", "4", "-o", str(tmp_path / "a.xlsx")).err
    (tmp_path / "a.xlsx").write_text("keep", encoding="utf-8")
    kept = cli("run", "-f", "xlsx", "-o", str(tmp_path / "a.xlsx"))
    assert kept.code == 2 and "already exists; use --force" in kept.err
    assert (tmp_path / "a.xlsx").read_text(encoding="utf-8") == "keep"


# The worksheet as written


def test_worksheet_workbook_is_set_up_for_students(cli: Runner, tmp_path: Path) -> None:
    result = cli("worksheet", "--example", "masked-6x4", "--fill", "Q,K,V", "--key", "-f", "xlsx",
                 "-o", str(tmp_path / "m.xlsx"))  # fmt: skip
    assert result.code == 0, result.err
    assert result.out == f"Wrote {tmp_path / 'm.xlsx'}, {tmp_path / 'm-key.xlsx'}\n"
    path = tmp_path / "m.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["Worksheet"]
    assert wb.sheetnames == ["Worksheet", RECORD_SHEET] and wb[RECORD_SHEET].sheet_state == "hidden"
    assert ws.protection.sheet and not ws.protection.password  # protected, without a password
    assert ws.print_area == "'Worksheet'!$A$1:$AA$42" and ws.page_setup.fitToHeight == 0  # pages down
    assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.paperSize == 9  # one A4 page wide
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    header = " ".join(str(ws.cell(r, 1).value) for r in range(1, 5))
    assert "masked-6x4" in header and "bythand check m.xlsx" in header and "9/46" in header
    assert ws["B2"].value == "Name:" and not ws["C2"].protection.locked
    rec = record(path)
    assert rec["example"] == "masked-6x4" and rec["mask"] == "causal" and rec["kind"] == "worksheet"
    trace = walk(load_example("masked-6x4"))
    answer_cells = set()
    for it in rec["layout"]:
        for i in range(it["rows"]):
            for j in range(it["cols"]):
                c = ws.cell(*at(it, i, j))
                v = cell(trace[it["name"]], i, j)
                if it["role"] == "given":
                    assert c.protection.locked and c.value == int(v)
                elif it["role"] == "fixed":  # --fill Q,K,V: printed worked, locked
                    assert it["name"] in ("Q", "K", "V") and c.protection.locked and c.value == str(v)
                elif it["role"] == "answer" and isinstance(ws.cell(*at(it, i, j)).value, str):
                    assert c.protection.locked and c.value == ("−∞" if it["name"] == "scaled" else "0")
                    assert cell(trace["scaled"], i, j) == MASKED  # only the masked cells are printed
                elif it["role"] == "answer":
                    assert c.value is None and not c.protection.locked and c.number_format == "@"
                    answer_cells.add((c.row, c.column))
    unlocked = {(c.row, c.column) for row in ws.iter_rows() for c in row if not c.protection.locked}
    assert unlocked - {(2, c) for c in range(3, 9)} == answer_cells  # the Name cell (C2:H2), the answers
    assert len(answer_cells) == 12 + 16 + 10 + 10 + 4 + 10 + 12  # KT, S, scaled, E, Σ, A, Z (mask printed)
    key = openpyxl.load_workbook(tmp_path / "m-key.xlsx")["Answer key"]
    a = item(tmp_path / "m-key.xlsx", "A")
    assert key.cell(*at(a, 0, 1)).value == fraction_text(trace["A"][0, 1]) == "1/2"
    assert cli("check", str(tmp_path / "m-key.xlsx")).code == 0  # the key grades as all correct


def test_one_workbook_per_sheet_in_a_folder_and_their_ids(cli: Runner, tmp_path: Path) -> None:
    result = cli(
        "worksheet", "--random", "--count", "2", "--seed", "5", "--key", "-f", "xlsx", "-o", f"{tmp_path}/"
    )
    assert result.code == 0, result.err
    ids = [sid for sid, _ in class_set(make_params(), 5, 2)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{ids[0]}.xlsx", f"{ids[0]}-key.xlsx", f"{ids[1]}.xlsx", f"{ids[1]}-key.xlsx"]
    )
    assert record(tmp_path / f"{ids[0]}.xlsx")["sheet"] == ids[0]
    graded = cli("check", str(tmp_path), "--format", "json")
    assert graded.code == 1  # two blank sheets and two keys
    scores = {
        Path(r["answers"]).name: r["summary"]["correct"] == r["summary"]["total"]
        for r in json.loads(graded.out)
    }
    assert scores == {f"{ids[0]}.xlsx": False, f"{ids[0]}-key.xlsx": True, f"{ids[1]}.xlsx": False,
                      f"{ids[1]}-key.xlsx": True}  # fmt: skip
    many = cli("worksheet", "--random", "--count", "2", "-f", "xlsx", "-o", str(tmp_path / "all.xlsx"))
    assert many.err == (
        f"Error: {tmp_path / 'all'}.xlsx: a workbook holds one sheet; "
        "give -o DIR/ for one workbook per sheet\n"
    )


def test_a_problem_file_workbook_names_its_file(cli: Runner, tmp_path: Path) -> None:
    problem = tmp_path / "p.toml"
    problem.write_text(
        "X = [[1, 0], [0, 1]]\nWQ = [[1, 1]]\nWK = [[1, 0]]\nWV = [[2, 1]]\n", encoding="utf-8"
    )
    (tmp_path / "hand-in").mkdir()
    out = tmp_path / "hand-in" / "p.xlsx"
    assert cli("worksheet", str(problem), "--key-only", "-f", "xlsx", "-o", str(out)).code == 0
    assert record(out)["problem"] == "../p.toml"
    assert cli("check", str(out)).code == 0


# Hostile workbooks


@pytest.fixture
def key(tmp_path: Path) -> Path:
    """The classic key workbook: every answer right."""
    trace = walk(load_example("self-attention-6x4"))
    path = tmp_path / "key.xlsx"
    path.write_bytes(
        worksheet_workbook(trace, "self-attention-6x4", ("example", "self-attention-6x4"), "x", key=True)
    )
    return path


def test_a_date_is_unreadable_and_the_rest_is_graded(cli: Runner, key: Path, tmp_path: Path) -> None:
    a = item(key, "A")

    def to_date(wb: Any) -> None:
        wb["Answer key"].cell(*at(a, 1, 2)).value = datetime.datetime(2026, 9, 4)

    dated = edit(key, tmp_path / "dated.xlsx", to_date)
    result = cli("check", str(dated), "--format", "plain")
    assert result.code == 1, result.err
    words = " ".join(result.out.split())
    assert "k2 ✓ 27/46 ✓ 9/28 ? '2026-09-04' ✓ 3/4" in words
    assert "Unreadable A[2,3]: cell Z35 became a date (2026-09-04): type fractions as text" in words
    assert words.endswith("127 correct, 0 carried, 0 wrong, 0 blank, 1 unreadable of 128 cells")


def test_numbers_and_odd_text_are_read_as_a_student_means_them(key: Path, tmp_path: Path) -> None:
    from bythand.xlsx_answers import load_xlsx_answers, read_cell

    assert read_cell(0.2, "0.00", "A").text == "0.20"  # type: ignore[union-attr]  # a "0.00" cell keeps 2 places
    assert read_cell(3.0, "General", "A").value == 3  # type: ignore[union-attr]
    assert read_cell("=9/46", "@", "A").value == Fraction(9, 46)  # type: ignore[union-attr]
    assert read_cell("0,25", "@", "A").value == Fraction(1, 4)  # type: ignore[union-attr]  # a decimal comma
    assert read_cell("−∞", "@", "A").value == MASKED  # type: ignore[union-attr]
    assert read_cell("?", "@", "A") is None and read_cell(None, "@", "A") is None
    error = Unreadable("#DIV/0!", "A holds the spreadsheet error #DIV/0!")
    assert read_cell("#DIV/0!", "General", "A") == error
    assert read_cell("abc", "@", "A") == Unreadable("abc", "A: 'abc' is not a number")
    assert read_cell(True, "General", "A") == Unreadable("TRUE", "A holds TRUE, not a number")
    answers = load_xlsx_answers(key)
    assert answers.example == "self-attention-6x4" and answers.name is None
    assert answers.options == {"convention": "columns", "scale": "floor-half", "exp": "3", "mask": "none"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda ws: ws.delete_rows(6),
            "cell J6 should hold '1  X (given)' (the title of X) but holds nothing",
        ),
        (lambda ws: ws.insert_rows(20), "cell C20 should hold '1' (a column label of WK) but holds nothing"),
        (
            lambda ws: ws.delete_cols(3),
            "cell J6 should hold '1  X (given)' (the title of X) but holds nothing",
        ),
    ],
)
def test_a_changed_layout_names_the_cell(
    cli: Runner, key: Path, tmp_path: Path, change: Callable[[Any], None], message: str
) -> None:
    moved = edit(key, tmp_path / "moved.xlsx", lambda wb: change(wb["Answer key"]))
    result = cli("check", str(moved))
    assert result.code == 2
    assert result.err.startswith(f"Error: {moved}: {message}: the layout was changed")
    assert result.err.count("\n") == 1


def test_a_given_edited_through_the_protection_is_an_error(cli: Runner, key: Path, tmp_path: Path) -> None:
    x = item(key, "X")

    def tamper(wb: Any) -> None:
        wb["Answer key"].cell(*at(x, 0, 1)).value = 5

    result = cli("check", str(edit(key, tmp_path / "t.xlsx", tamper)))
    assert result.code == 2
    assert "cell L8 is X[1,2], given as 0, but now holds 5; restore it" in result.err


def test_another_problem_on_the_command_line_is_refused(cli: Runner, key: Path) -> None:
    sid = class_set(make_params(), 1, 1)[0][0]
    result = cli("check", "--sheet", sid, str(key))
    assert result.code == 2
    assert result.err == (
        f"Error: {key}: the file names example self-attention-6x4, "
        f"but it is being graded against sheet {sid}\n"
    )
    assert cli("check", "--example", "self-attention-6x4", str(key)).code == 0  # the same problem is fine


def test_files_that_are_not_worksheets(cli: Runner, tmp_path: Path) -> None:
    empty = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(empty)
    text = tmp_path / "text.xlsx"
    text.write_text("name,Q\nAda,1\n", encoding="utf-8")
    zipped = tmp_path / "zip.xlsx"
    import zipfile

    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    live = tmp_path / "live.xlsx"
    live.write_bytes(live_workbook(walk(load_example("self-attention-6x4")), "x"))
    expected = {
        empty: "has no bythand record (its hidden sheet 'bythand'); check reads workbooks made by bythand "
        "worksheet --format xlsx",
        text: "is not an xlsx workbook (it is not a zip file); save it as .xlsx",
        zipped: "is not a readable xlsx workbook",
        live: "is a live workbook (bythand run --format xlsx), not a worksheet to check",
    }
    for path, message in expected.items():
        result = cli("check", str(path))
        assert result.code == 2 and result.err.startswith(f"Error: {path}: {message}"), result.err
        assert result.err.count("\n") == 1


def test_a_class_folder_mixes_workbooks_toml_and_json(cli: Runner, key: Path, tmp_path: Path) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(key, folder / "ada.xlsx")
    q = "Q = [[2, 1, 0, 2], [0, 1, 1, 1], [3, 2, 2, 1]]\n"
    (folder / "bob.toml").write_text('example = "self-attention-6x4"\n' + q, encoding="utf-8")
    (folder / "cy.json").write_text('{"example": "self-attention-6x4", "Q": [["?", "?", "?", "?"]]}', "utf-8")
    (folder / "broken.xlsx").write_bytes(b"PK\x03\x04 not really")
    (folder / "notes.txt").write_text("ignored", encoding="utf-8")
    (folder / "~$ada.xlsx").write_bytes(b"\x00" * 165)  # Excel's lock file while ada.xlsx is open
    result = cli("check", str(folder), "--format", "json")
    assert result.code == 2  # one file could not be graded; the rest were
    rows = {Path(r["answers"]).name: r for r in json.loads(result.out)}
    assert sorted(rows) == ["ada.xlsx", "bob.toml", "broken.xlsx", "cy.json"]
    assert rows["ada.xlsx"]["summary"]["correct"] == 128
    assert "is not" in rows["broken.xlsx"]["error"]


def loaded(*args: str) -> set[str]:
    """The modules a fresh `bythand ARGS...` has loaded when it ends."""
    code = (
        "import sys\nfrom bythand.cli import main\ntry:\n    main(sys.argv[1:])\n"
        "except SystemExit:\n    pass\nprint(' '.join(sorted(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    return set(done.stdout.split("\n")[-2].split())


def test_each_xlsx_library_loads_only_where_it_is_needed(tmp_path: Path) -> None:
    live = loaded("run", "-f", "xlsx", "-o", str(tmp_path / "live.xlsx"))
    assert "xlsxwriter" in live and "openpyxl" not in live  # written by XlsxWriter alone
    assert (tmp_path / "live.xlsx").exists()
    toml = tmp_path / "a.toml"
    toml.write_text('example = "self-attention-6x4"\nQ = [[2, 1, 0, 2], [0, 1, 1, 1], [3, 2, 2, 1]]', "utf-8")
    assert not {"openpyxl", "xlsxwriter", "bythand.xlsx_answers"} & loaded("check", str(toml))
    sheet = loaded("worksheet", "-f", "xlsx", "-o", str(tmp_path / "w.xlsx"))
    assert "xlsxwriter" in sheet and not {"openpyxl", "typst"} & sheet
    assert "openpyxl" in loaded("check", str(tmp_path / "w.xlsx"))


def test_same_inputs_give_the_same_bytes_and_heads_share_x(tmp_path: Path) -> None:
    trace = walk(load_example("multi-head-2x4"))
    ref = ("example", "multi-head-2x4")
    first = worksheet_workbook(trace, "multi-head-2x4", ref, "bythand check m.xlsx")
    assert first == worksheet_workbook(trace, "multi-head-2x4", ref, "bythand check m.xlsx")
    assert live_workbook(trace, "x") == live_workbook(trace, "x")
    path = tmp_path / "m.xlsx"
    path.write_bytes(first)
    titles = {it["name"]: it["title"] for it in record(path)["layout"]}
    assert titles["X"] == "1  X (given)"  # one X for both heads
    assert titles["h2.S"] == "4  h2 · S = Kᵀ·Q" and titles["O"] == "11  O = W_O·concat"
    ws = openpyxl.load_workbook(path)["Worksheet"]
    q, copy = item(path, "h1.Q"), next(it for it in record(path)["layout"] if it["kind"] == "Qcopy")
    q_cell = ws.cell(*at(q, 1, 2)).coordinate
    assert ws.cell(*at(copy, 1, 2)).value == f'=IF({q_cell}="","",{q_cell})'  # the copy follows the answer
    key = tmp_path / "k.xlsx"
    key.write_bytes(worksheet_workbook(trace, "multi-head-2x4", ref, "x", key=True))
    how = str(openpyxl.load_workbook(key)["Answer key"]["A4"].value)
    assert "bythand check FOLDER --csv grades.csv" in how


def test_the_method_flags_are_recorded_and_graded_with(cli: Runner, tmp_path: Path) -> None:
    out = tmp_path / "plain.xlsx"
    assert cli("worksheet", "--no-approx", "--key-only", "-f", "xlsx", "-o", str(out)).code == 0
    rec = record(out)
    method = (rec["example"], rec["scale"], rec["exp"], rec["mask"])
    assert method == ("self-attention-6x4", "sqrt", "e", "none")
    a = item(out, "A")
    ws = openpyxl.load_workbook(out)["Answer key"]
    assert ws.cell(*at(a, 0, 0)).value == "0.26"  # e^x and ÷√3: decimals, not the tricks' 9/46
    result = cli("check", str(out), "--format", "json")
    assert result.code == 0, result.out  # graded with √d_k and e, as the workbook records


EXAMPLES = ["self-attention-6x4", "masked-6x4", "cross-attention-6x4", "multi-head-2x4"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_workbook_is_the_shared_layout(tmp_path: Path, name: str) -> None:
    """One layout for every surface: each matrix sits where layout() puts it, one grid unit a cell."""
    for convention in ("columns", "rows"):
        trace = walk(load_example(name).in_convention(convention))
        for kind, data in (("worksheet", worksheet_workbook(trace, name, ("example", name), "x")),
                           ("live", live_workbook(trace, name))):  # fmt: skip
            path = tmp_path / f"{kind}.xlsx"
            path.write_bytes(data)
            wb = openpyxl.load_workbook(path)
            ws = wb["Worksheet" if kind == "worksheet" else "Live"]
            for it in layout(trace).items():
                r, c = it.top + HEADER_ROWS + 1, it.left + 1
                title = ws.cell(r - 2, c - 1).value  # two units above, one to the left: the title
                assert title.startswith(f"{it.step}  ") and ("(given" in title) == it.given, (kind, it, title)
                last = ws.cell(r + it.rows - 1, c + it.cols - 1)  # the last cell: filled, or to fill
                assert last.value is not None or not last.protection.locked, (kind, it.name)
            if kind == "worksheet":
                placed = {(m["name"], m["kind"]): (m["row"], m["col"]) for m in record(path)["layout"]}
                want = {(it.name, it.kind): (it.top + HEADER_ROWS, it.left) for it in layout(trace).items()}
                assert placed == want


def python_with_uno() -> str | None:
    """A Python that has LibreOffice's bridge (Debian's python3-uno), to type as a person does."""
    for candidate in dict.fromkeys(["/usr/bin/python3", shutil.which("python3") or ""]):
        if candidate and Path(candidate).exists():
            done = subprocess.run([candidate, "-c", "import uno"], capture_output=True, check=False)
            if done.returncode == 0:
                return candidate
    return None


def test_typed_in_libreoffice_fractions_stay_text_and_a_date_is_named(cli: Runner, tmp_path: Path) -> None:
    """Typed through LibreOffice's own input line: the text cells keep 9/46; a cell a student reformatted
    as General turns 9/4 into a date, which check grades as unreadable, and the rest is still graded."""
    if SOFFICE is None:
        pytest.skip(NO_SOFFICE)
    python = python_with_uno()
    if python is None:
        pytest.skip("LibreOffice's Python bridge (python3-uno) is not installed; it types into cells")
    trace = walk(load_example("self-attention-6x4"))
    blank = tmp_path / "blank.xlsx"
    blank.write_bytes(worksheet_workbook(trace, "self-attention-6x4", ("example", "self-attention-6x4"), "x"))
    a, x = item(blank, "A"), item(blank, "X")

    def ref(it: dict[str, Any], i: int, j: int) -> str:
        return str(openpyxl.utils.get_column_letter(it["col"] + j + 1)) + str(it["row"] + i + 1)

    def general(wb: Any) -> None:  # as if a student pasted a General cell over two answer cells
        for j in (1, 2):
            wb["Worksheet"][ref(a, 0, j)].number_format = "General"

    edit(blank, tmp_path / "reformatted.xlsx", general)
    typing = [["C2", "Grace Hopper"], [ref(x, 0, 0), "5"],  # the Name cell; a locked given
              [ref(a, 0, 0), "9/46"], [ref(a, 0, 1), "9/4"], [ref(a, 0, 2), "2026-09-04"],
              [ref(a, 0, 3), "0.0833"], [ref(a, 1, 0), "27/46"], [ref(a, 1, 1), "=9/28"]]  # fmt: skip
    helper = Path(__file__).with_name("type_in_libreoffice.py")
    typed = tmp_path / "typed.xlsx"
    done = subprocess.run(
        [python, str(helper), str(tmp_path / "profile"), str(tmp_path / "reformatted.xlsx"), str(typed),
         json.dumps(typing)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0 and typed.exists(), done.stderr
    ws = openpyxl.load_workbook(typed)["Worksheet"]
    assert ws["C2"].value == "Grace Hopper" and ws[ref(x, 0, 0)].value == 2  # the protection held
    assert ws[ref(a, 0, 0)].value == "9/46" and ws[ref(a, 1, 1)].value == "=9/28"  # text cells keep text
    assert isinstance(ws[ref(a, 0, 2)].value, datetime.datetime)  # the General cell made a date of it
    result = cli("check", str(typed), "--format", "json")
    graded = json.loads(result.out)
    assert result.code == 1 and graded["name"] == "Grace Hopper"
    cells = graded["steps"]["A"]["cells"]
    assert cells[0][0] == cells[0][3] == cells[1][0] == cells[1][1] == "correct"
    assert cells[0][1] == cells[0][2] == "unreadable"  # dates, whatever the fraction was
    words = " ".join(cli("check", str(typed), "--format", "plain").out.split())
    date = f"Unreadable A[1,3]: cell {ref(a, 0, 2)} became a date (2026-09-04): type fractions as text"
    assert date in words


def test_a_roster_class_in_workbooks(cli: Runner, tmp_path: Path) -> None:
    names = tmp_path / "names.csv"
    names.write_text("name,email\nAda Lovelace,ada@example.org\nAlan Turing,alan@example.org\n", "utf-8")
    out = tmp_path / "sheets"  # made by the command
    made = cli(
        "worksheet", "--random", "--seed", "3", "--roster", str(names), "--key", "-f", "xlsx", "-o", f"{out}/"
    )
    assert made.code == 0, made.err
    manifest = (out / "manifest.csv").read_text("utf-8").splitlines()
    assert manifest[0] == "name,id,email,sheet,file" and len(manifest) == 3
    ada = manifest[1].split(",")
    assert ada[0] == "Ada Lovelace" and ada[4] == f"{ada[3]}.xlsx" and (out / ada[4]).exists()
    sheet = openpyxl.load_workbook(out / ada[4])["Worksheet"]
    assert sheet["C2"].value == "Ada Lovelace" and not sheet["C2"].protection.locked  # printed, editable
    handed = tmp_path / "handed-in"
    handed.mkdir()
    shutil.copy(out / f"{ada[3]}-key.xlsx", handed / "ada.xlsx")  # Ada hands in a perfect workbook
    graded = cli("check", str(handed), "--roster", str(out / "manifest.csv"), "--format", "json")
    assert graded.code != 0  # Alan handed nothing in
    rows = json.loads(graded.out)
    first = rows[0]
    assert first["name"] == "Ada Lovelace" and first["graded_against"] == f"sheet {ada[3]}"
    assert first["summary"]["correct"] == first["summary"]["total"] == 128
    assert "no answers file from Alan Turing" in graded.out


def test_paper_sizes(cli: Runner, tmp_path: Path) -> None:
    assert cli("worksheet", "-f", "xlsx", "--paper", "us-letter", "-o", str(tmp_path / "l.xlsx")).code == 0
    assert openpyxl.load_workbook(tmp_path / "l.xlsx")["Worksheet"].page_setup.paperSize == 1  # Letter
    bad = cli("worksheet", "-f", "xlsx", "--paper", "b5", "-o", str(tmp_path / "b.xlsx"))
    assert bad.err == "Error: --paper: unknown paper 'b5' (choose a4 or us-letter)\n" and bad.code == 2
    assert not (tmp_path / "b.xlsx").exists()


def test_step_0_workbooks_write_embed_plus_p_equals_x(cli: Runner, tmp_path: Path) -> None:
    problem = tmp_path / "words.toml"
    problem.write_text(WORDS, "utf-8")
    out = tmp_path / "w.xlsx"
    made = cli("worksheet", str(problem), "--key", "--convention", "columns", "-f", "xlsx", "-o", str(out))
    assert made.code == 0, made.err
    ws = openpyxl.load_workbook(out)["Worksheet"]
    titles = {it["kind"]: it for it in record(out)["layout"]}
    assert titles["Xsum"]["title"] == "0  X = embed + P" and titles["Xsum"]["role"] == "answer"
    assert titles["P"]["role"] == "given" and titles["Xcopy"]["role"] == "copy"
    p = titles["P"]
    assert ws.cell(*at(p, 0, 1)).value == pytest.approx(math.sin(1))  # P[1,2] = sin(1/100^0), a number
    signs = [c.value for row in ws.iter_rows() for c in row if c.value in ("+", "=")]
    assert signs == ["+", "="]
    graded = json.loads(cli("check", str(tmp_path / "w-key.xlsx"), "--format", "json").out)
    assert graded["steps"]["X"]["correct"] == 12 and graded["summary"]["wrong"] == 0
    blank = json.loads(cli("check", str(out), "--format", "json").out)
    assert blank["steps"]["X"]["blank"] == 12  # X is the student's first answer


def test_a_rows_convention_worksheet_and_no_interleaved_workbooks(cli: Runner, tmp_path: Path) -> None:
    out = tmp_path / "rows.xlsx"
    assert cli("worksheet", "--convention", "rows", "--key", "-f", "xlsx", "-o", str(out)).code == 0
    rec = record(out)
    assert rec["convention"] == "rows" and item(out, "Q")["rows"] == 4  # tokens down the side
    assert cli("check", str(tmp_path / "rows-key.xlsx")).code == 0  # graded in the rows convention
    bad = cli("worksheet", "--key", "interleave", "-f", "xlsx", "-o", str(tmp_path / "i.xlsx"))
    assert bad.code == 2 and "for workbooks use --key" in bad.err


def test_a_damaged_record_is_named(cli: Runner, key: Path, tmp_path: Path) -> None:
    def damage(wb: Any) -> None:
        sheet = wb[RECORD_SHEET]
        for row in sheet.iter_rows():
            if row[0].value == "matrix":
                row[1].value = '{"name": "Q"}'
                break

    result = cli("check", str(edit(key, tmp_path / "d.xlsx", damage)))
    assert result.code == 2
    assert result.err.endswith("its bythand record is damaged (the hidden sheet 'bythand')\n")


def test_corrupted_workbooks_are_one_line_errors(cli: Runner, key: Path, tmp_path: Path) -> None:
    """A workbook cut short or with bytes changed is an Error line (exit 2), never a traceback (exit 3)."""
    data = key.read_bytes()
    rng = np.random.default_rng(12)
    for k in range(24):
        broken = bytearray(data[: len(data) * (k + 1) // 25] if k % 2 else data)
        if not k % 2:
            for at_ in rng.integers(0, len(broken), size=8):
                broken[at_] = int(rng.integers(0, 256))
        path = tmp_path / f"broken-{k}.xlsx"
        path.write_bytes(bytes(broken))
        result = cli("check", str(path))
        assert result.code in (0, 1, 2), (k, result.err)
        one_line = result.err.startswith("Error: ") and result.err.count("\n") == 1
        assert result.code != 2 or one_line, result.err
