"""`bythand check` for printed sheets: --sheet ID, --example NAME, and answers files that name them."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import Runner

SHEET = "11PVR6TRH"  # pinned in test_generate.py to its problem


def answers_from(cli: Runner, *source: str, slip: bool = False) -> str:
    """A student's answers file made from the true trace of the named problem (one slip in S if asked)."""
    trace = json.loads(cli("run", *source, "-f", "json").out)
    lines = ['name = "Ada"']
    for step in ("Q", "K", "V", "KT", "S", "scaled", "E", "sums", "A", "Z"):
        rows = trace["matrices"][step]["exact"] or [
            [repr(v) for v in r] for r in trace["matrices"][step]["values"]
        ]
        if slip and step == "S":
            rows[0][0] = str(int(rows[0][0]) + 1)
        lines.append(f"{step} = {json.dumps(rows)}")
    return "\n".join(lines) + "\n"


def test_check_by_sheet_id(cli: Runner, tmp_path: Path) -> None:
    path = tmp_path / "ada.toml"
    path.write_text(answers_from(cli, "--sheet", SHEET), encoding="utf-8")
    result = cli("check", "--sheet", SHEET, str(path), "-f", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["summary"]["wrong"] == 0
    # the built-in example is another problem: the same answers are mostly wrong there
    assert cli("check", str(path), "-f", "json").code == 1


def test_answers_file_can_name_its_sheet_and_example(cli: Runner, tmp_path: Path) -> None:
    path = tmp_path / "ada.toml"
    path.write_text(f'sheet = "{SHEET}"\n' + answers_from(cli, "--sheet", SHEET, slip=True), encoding="utf-8")
    result = cli("check", str(path), "-f", "json")
    assert result.code == 1, result.err
    assert json.loads(result.out)["steps"]["S"]["wrong"] == 1
    masked = tmp_path / "masked.toml"
    masked.write_text('example = "masked-6x4"\n' + answers_from(cli, "--example", "masked-6x4"), "utf-8")
    result = cli("check", str(masked), "-f", "json")
    assert result.code == 0, result.err


def test_a_sheet_id_typo_is_a_clear_error(cli: Runner, tmp_path: Path) -> None:
    typo = SHEET[:-1] + ("A" if SHEET[-1] != "A" else "B")
    result = cli("check", "--sheet", typo, "--template")
    assert result.code == 2 and result.err.startswith("Error: ") and result.err.count("\n") == 1
    path = tmp_path / "ada.toml"
    path.write_text(f'sheet = "{typo}"\nQ = [["?"]]\n', encoding="utf-8")
    result = cli("check", str(path))
    assert result.code == 2 and result.err.startswith(f"Error: {path}: ")


def test_template_for_a_sheet_names_it(cli: Runner, tmp_path: Path) -> None:
    target = tmp_path / "answers.toml"
    result = cli("check", "--template", "--sheet", SHEET, "-o", str(target))
    assert result.code == 0, result.err
    text = target.read_text(encoding="utf-8")
    assert f'sheet = "{SHEET}"' in text and 'Q = [\n  ["?", "?", "?", "?"],' in text
    result = cli("check", str(target), "-f", "json")  # nothing filled in yet: every cell blank
    assert result.code == 1
    summary = json.loads(result.out)["summary"]
    assert summary["blank"] == summary["total"] > 0


def test_sheet_and_a_problem_file_together_are_refused(cli: Runner, tmp_path: Path) -> None:
    problem = tmp_path / "p.toml"
    problem.write_text("X = [[1]]\nWQ = [[1]]\nWK = [[1]]\nWV = [[1]]\n", encoding="utf-8")
    answers = tmp_path / "a.toml"
    answers.write_text("Q = [[1]]\n", encoding="utf-8")
    result = cli("check", "--sheet", SHEET, str(problem), str(answers))
    assert (result.code, result.err) == (2, "Error: --sheet names the whole problem; leave out PROBLEM\n")


def test_the_template_records_the_method_so_check_grades_with_it(cli: Runner, tmp_path: Path) -> None:
    target = tmp_path / "t.toml"
    assert cli("check", "--template", "--no-approx", "--mask", "causal", "-o", str(target)).code == 0
    text = target.read_text(encoding="utf-8")
    assert 'options = {convention = "columns", scale = "sqrt", exp = "e", mask = "causal"}' in text
    trace = json.loads(cli("run", "--no-approx", "--mask", "causal", "-f", "json").out)
    scaled = [
        ["-inf" if v is None else f"{v:.2f}" for v in row] for row in trace["matrices"]["scaled"]["values"]
    ]
    filled = re.sub(
        r"^scaled = \[\n.*?^\]$", f"scaled = {json.dumps(scaled)}", text, count=1, flags=re.M | re.S
    )
    assert filled != text
    target.write_text(filled, encoding="utf-8")
    result = cli("check", str(target), "-f", "json")  # no flags: the file says how it was worked
    assert result.code == 1, result.err  # the other steps are still "?"
    steps = json.loads(result.out)["steps"]
    assert steps["scaled"]["correct"] == 10 and steps["scaled"]["wrong"] == 0  # 6 masked cells are printed


def test_answers_options_are_checked(cli: Runner, tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_text('options = {scale = "halve"}\nQ = [[1]]\n', encoding="utf-8")
    result = cli("check", str(path))
    assert (
        result.err
        == f"Error: {path}: options.scale: unknown scale 'halve' (choose sqrt, floor-half or none)\n"
    )


def test_a_sheet_with_another_method_prints_the_flags_to_check_it() -> None:
    from bythand.render.worksheet import build_sheets

    plain = build_sheets(None, "self-attention-6x4", None, None, 1, 1, None, None)[0]
    assert plain.check == (
        "bythand check --template --example self-attention-6x4 -o answers.toml; fill it in; "
        "bythand check answers.toml"
    )
    exact = build_sheets(None, "self-attention-6x4", None, None, 1, 1, False, "causal", "Q,K,V")[0]
    assert exact.check == (
        "bythand check --template --example self-attention-6x4 --scale sqrt --exp e --mask causal "
        "--fill Q,K,V -o answers.toml; fill it in; bythand check answers.toml"
    )


def test_the_sheets_check_line_writes_a_template_that_grades_as_printed(cli: Runner, tmp_path: Path) -> None:
    from bythand.render.worksheet import build_sheets

    sheet = build_sheets(None, "self-attention-6x4", None, None, 1, 1, False, "causal", "Q,K,V")[0]
    template_step = sheet.check.split(";")[0].split()[1:]  # the command as printed, without "bythand"
    target = tmp_path / "answers.toml"
    template_step[template_step.index("answers.toml")] = str(target)
    assert cli(*template_step).code == 0
    data = json.loads(cli("check", str(target), "-f", "json").out)
    assert list(data["steps"]) == ["KT", "S", "scaled", "E", "sums", "A", "Z"]  # Q, K, V are printed
    # the masked cells the sheet prints (−∞ in scaled, 0 in E and A) are written in, and earn nothing
    assert data["summary"]["correct"] == 0 and data["summary"]["blank"] == data["summary"]["total"]


def test_a_decimal_with_too_few_places_is_told_why(cli: Runner, tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_text('A = [[0.2, "9/28", "9/22", "1/12"], ["?", "?", "?", "?"], ["?", "?", "?", "?"], '
                    '["?", "?", "?", "?"]]\n', encoding="utf-8")  # fmt: skip
    out = cli("check", str(path), "-f", "plain").out
    assert "(a decimal needs at least 2 places unless it is exact; 0.2 has fewer)" in out
    assert "\n  A[1,1] = " in out  # the work, worded as tests/test_explain_text.py pins it
    # with --decimals 1 one place is enough, and a whole-number decimal is told it needs one "place"
    path.write_text('A = [["0.", "9/28", "9/22", "1/12"]' + ', ["?", "?", "?", "?"]' * 3 + "]\n", "utf-8")
    out = cli("check", str(path), "-f", "plain", "--decimals", "1").out
    assert "(a decimal needs at least 1 place unless it is exact; 0. has fewer)" in out


def test_a_short_decimal_that_is_simply_wrong_gets_no_note_on_places(cli: Runner, tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_text('A = [[0.5, "9/28", "9/22", "1/12"], ["?", "?", "?", "?"], ["?", "?", "?", "?"], '
                    '["?", "?", "?", "?"]]\n', encoding="utf-8")  # fmt: skip
    out = cli("check", str(path), "-f", "plain").out
    assert "✗ 0.5 (9/46)" in out and "\n  A[1,1] = " in out
    assert "places" not in out  # 9/46 ≈ 0.196: 0.5 is wrong whatever its places


def test_a_short_decimal_right_by_the_students_own_numbers_is_told_why(cli: Runner, tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    blank = ', ["?", "?", "?", "?"]' * 3
    text = f'sums = [11, "28/3", "22/3", 12]\nA = [[0.3, "9/28", "9/22", "1/12"]{blank}]\n'
    path.write_text(text, encoding="utf-8")
    out = cli("check", str(path), "-f", "plain").out  # from their own sums[1] = 11, A[1,1] = 3/11
    assert "\n  A[1,1] = " in out  # worked from their own sums (tests/test_explain_text.py)
    assert "(a decimal needs at least 2 places unless it is exact; 0.3 has fewer)" in out


def test_explain_as_json(cli: Runner) -> None:
    data = json.loads(cli("explain", "A[2,1]", "-f", "json").out)
    assert len(data["lines"]) == 1 and data["lines"][0].startswith("A[2,1] = ")
    assert data == {
        "cell": "A[2,1]",
        "lines": data["lines"],  # the words: tests/test_explain_text.py
        "work": data["work"],
        "value": 27 / 46,
        "exact": "27/46",
        "operands": ["E", "sums", "scaled"],
    }
    masked = json.loads(cli("explain", "scaled[2,1]", "--mask", "causal", "-f", "json").out)
    assert (masked["value"], masked["exact"]) == (None, "-inf")
    assert json.loads(cli("explain", "A[2,1]", "--no-approx", "-f", "json").out)["exact"] is None


def test_decimals_flag_is_checked_like_the_other_numbers(cli: Runner, tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_text("Q = [[2, 1, 0, 2], [0, 1, 1, 1], [3, 2, 2, 1]]\n", encoding="utf-8")
    result = cli("check", "--decimals", "x", str(path))
    assert (result.code, result.err) == (2, "Error: --decimals: 'x' is not a whole number from 0 to 15\n")
    assert cli("check", "--decimals", "3", str(path)).code == 0


def test_the_layout_answers_are_written_in_is_the_command_lines_else_the_files(
    cli: Runner, tmp_path: Path
) -> None:
    """The convention says how the cells are laid out, not what is tested: --convention, else options."""
    rows = answers_from(cli, "--example", "self-attention-6x4", "--convention", "rows")
    columns = answers_from(cli, "--example", "self-attention-6x4")
    recorded = tmp_path / "recorded.toml"
    recorded.write_text('options = {convention = "rows"}\n' + rows, encoding="utf-8")
    flagged = tmp_path / "flagged.toml"
    flagged.write_text(rows, encoding="utf-8")
    for source in ([], ["--example", "self-attention-6x4"]):  # the file graded alone, or the test named
        assert cli("check", *source, str(recorded)).code == 0, source
        assert cli("check", *source, "--convention", "rows", str(flagged)).code == 0, source
    # the command line wins over the file: rows recorded, columns written and flagged
    overruled = tmp_path / "overruled.toml"
    overruled.write_text('options = {convention = "rows"}\n' + columns, encoding="utf-8")
    assert cli("check", "--convention", "columns", str(overruled)).code == 0
    example = ("--example", "self-attention-6x4")
    assert cli("check", *example, "--convention", "columns", str(overruled)).code == 0
    result = cli("check", str(overruled))
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f"Error: {overruled}: Q is 3×4, but this problem's Q is 4×3; it looks transposed "
        "(this problem uses the rows convention)\n"
    )


def test_heads_a_file_records_are_checked_against_the_named_problem(cli: Runner, tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_text("options = {heads = 1}\n" + answers_from(cli, "--sheet", SHEET), encoding="utf-8")
    assert cli("check", "--sheet", SHEET, str(path)).code == 0
    own = tmp_path / "own.toml"
    own.write_text(f'sheet = "{SHEET}"\n' + path.read_text("utf-8"), encoding="utf-8")
    assert cli("check", str(own)).code == 0
    path.write_text("options = {heads = 3}\n" + answers_from(cli, "--sheet", SHEET), encoding="utf-8")
    result = cli("check", "--sheet", SHEET, str(path))
    assert (result.code, result.err) == (2, f"Error: {path}: worked with 3 heads; this sheet has 1\n")


def test_a_sheet_named_in_the_file_refuses_method_flags(cli: Runner, tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_text(f'sheet = "{SHEET}"\n' + answers_from(cli, "--sheet", SHEET), encoding="utf-8")
    result = cli("check", "--scale", "none", str(path))  # the sheet is worked with floor-half
    assert (result.code, result.out) == (2, "")
    assert result.err == f"Error: {path}: sheet {SHEET} fixes the method; leave out the method flags\n"
    assert cli("check", "--scale", "floor-half", str(path)).code == 0  # the sheet's own method is no change
    # a --convention that is no convention is named first, before the method the file records
    path.write_text(f'sheet = "{SHEET}"\noptions = {{scale = "none"}}\nQ = [["?"]]\n', encoding="utf-8")
    result = cli("check", str(path))
    assert result.err == f"Error: {path}: worked with scale none; this sheet uses floor-half\n"
    result = cli("check", "--convention", "diagonal", str(path))
    assert result.err == "Error: --convention: unknown convention 'diagonal' (choose columns or rows)\n"


def test_a_problem_path_in_the_file_is_relative_to_it(cli: Runner, tmp_path: Path) -> None:
    """The problem file a file names: --heads splits it, a missing one is said so, a bad flag named."""
    (tmp_path / "p.toml").write_text(
        'X = [[1, 0], [0, 1]]\nWQ = [[1, 0], [0, 1]]\nWK = [[1, 1], [0, 1]]\nWV = [[2, 0], [0, 1]]\n'
        '[options]\nscale = "none"\nexp = "2"\n', encoding="utf-8")  # fmt: skip
    path = tmp_path / "a.toml"
    # two heads of one feature each: head 1 has q = (1, 0) and k = (1, 1), so S[i,j] = k_i q_j
    path.write_text('problem = "p.toml"\n[h1]\nS = [[1, 0], [1, 0]]\n', encoding="utf-8")
    assert cli("check", "--heads", "2", str(path)).code == 0
    assert cli("check", "--heads", "2", str(path), str(path)).code == 0  # a class of two files alike
    result = cli("check", "--convention", "diagonal", str(path))
    assert result.err == (
        f"Error: {path}: --convention: unknown convention 'diagonal' (choose columns or rows)\n"
    )
    path.write_text('problem = "gone.toml"\nQ = [[1]]\n', encoding="utf-8")
    result = cli("check", str(path))
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f"Error: {path}: its problem file {tmp_path / 'gone.toml'} does not exist "
        "(a problem path is relative to the answers file)\n"
    )
