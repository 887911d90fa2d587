"""Grade hand-worked answers against a Trace, cell by cell, with errors carried forward -> Report."""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .answers import (
    LOADERS,
    Answer,
    Answers,
    AnswersError,
    Reference,
    Unreadable,
    Written,
    load_answers,
    name_in,
    parse_answers,
    parse_answers_text,
)
from .errors import BythandError
from .explain import Cell, Operands, explain, is_given, number_text, recompute
from .numbers import Matrix, Number, NumberError, cell, is_exact, parse_number, to_float
from .problem import PROBLEM_KEYS, Problem, _read_text, build_problem, check_convention, suggest
from .roster import Match, Student, match, safe_cell
from .walk import MASKED, Trace, walk

__all__ = [  # the answers record and its loaders live in answers.py and are re-exported here
    "GRADEBOOKS",
    "VERDICTS",
    "Answer",
    "Answers",
    "AnswersError",
    "CellResult",
    "Failure",
    "Named",
    "Report",
    "Result",
    "Rules",
    "StepResult",
    "Unreadable",
    "Verdict",
    "answer_files",
    "as_tolerance",
    "canonical_sheet",
    "check",
    "grade_files",
    "gradebook_rows",
    "graded_names",
    "load_answers",
    "looks_like_problem",
    "matches",
    "parse_answers",
    "parse_answers_text",
    "percent",
    "platform_rows",
    "problem_for",
    "report_dict",
    "same_reference",
    "skip_reason",
    "step_names",
    "template_text",
]

Verdict = Literal["correct", "carried", "wrong", "unreadable", "blank"]
VERDICTS: tuple[Verdict, ...] = ("correct", "carried", "wrong", "blank", "unreadable")
FLOAT_SLACK = 2.0**-50  # a few units in the last place: a decimal truth is exact up to its rounding


@dataclass(frozen=True)
class Rules:
    """When an answer counts as right: exact for integers and fractions, half a unit for decimals."""

    decimals: int = 2
    tolerance: Fraction | None = None


@dataclass(frozen=True)
class CellResult:
    """One graded cell: the verdict, what was written, the true value and the student's own value."""

    verdict: Verdict
    answer: str | None
    expected: Number
    own: Number | None
    reason: str | None = None  # why an unreadable cell could not be read
    printed: bool = False  # masked: the sheet prints −∞ (then 0) there, so it counts only if changed

    @property
    def counted(self) -> bool:
        """Does the cell count in the grade? A printed cell only when the student wrote over it."""
        return not self.printed or self.verdict in ("wrong", "unreadable")


@dataclass(frozen=True)
class StepResult:
    """One graded matrix: its cells' verdicts and the work for its first wrong cell."""

    name: str
    number: int
    cells: tuple[tuple[CellResult, ...], ...]
    work: tuple[str, ...] = ()

    def count(self, verdict: Verdict) -> int:
        """How many cells got this verdict."""
        return sum(c.verdict == verdict and c.counted for row in self.cells for c in row)

    @property
    def total(self) -> int:
        """How many cells count: all but the masked cells the sheet prints (unless written over)."""
        return sum(c.counted for row in self.cells for c in row)

    @property
    def score(self) -> int:
        """Cells that earn credit: correct and carried."""
        return self.count("correct") + self.count("carried")


@dataclass(frozen=True)
class Report:
    """One answers file graded against one trace."""

    answers: str
    name: str | None
    problem: str
    trace: Trace
    steps: tuple[StepResult, ...]
    reference: str = ""  # what it was graded against: "sheet 11PVR6TRH", "example NAME", "problem PATH"
    note: str | None = None  # said first in the report (graded against the built-in example by default)
    flags: tuple[str, ...] = ()  # what a roster found: a duplicate, a file that matches nobody
    student: Student | None = None

    def count(self, verdict: Verdict) -> int:
        """How many graded cells got this verdict."""
        return sum(s.count(verdict) for s in self.steps)

    @property
    def total(self) -> int:
        """How many cells were graded."""
        return sum(s.total for s in self.steps)

    @property
    def score(self) -> int:
        """Cells that earn credit: correct, and carried (right from the student's own numbers)."""
        return self.count("correct") + self.count("carried")

    @property
    def passed(self) -> bool:
        """True when no graded cell is wrong, unreadable or blank."""
        return all(self.count(v) == 0 for v in ("wrong", "blank", "unreadable"))


@dataclass(frozen=True)
class Failure:
    """An answers file that could not be graded (or a roster's student with no file), kept in a class."""

    answers: str
    error: str
    name: str | None = None
    reference: str = ""
    flags: tuple[str, ...] = ()
    student: Student | None = None
    missing: bool = False  # a student on the roster handed nothing in: not bad input


Result = Report | Failure


def looks_like_problem(path: Path) -> bool:
    """True for a problem file: it gives X and nothing but a problem's keys (never answers with an X)."""
    if not path.is_file() or path.suffix.lower() not in (".toml", ".json"):
        return False
    try:
        text = _read_text(path)
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (BythandError, ValueError, RecursionError):
        return False
    if not isinstance(data, dict) or not set(data) <= set(PROBLEM_KEYS):
        return False
    return "X" in data or "tokens" in data or "token_ids" in data  # step 0 makes X from tokens


def skip_reason(path: Path) -> str | None:
    """Why a file found in a class folder is not a student's answers, or None if it may be."""
    if path.suffix.lower() not in LOADERS:
        return f"not an answers file ({', '.join(LOADERS)})"
    if path.name.startswith("~$"):
        return "the lock file Excel keeps beside a workbook it has open"
    if looks_like_problem(path):
        return "a problem file, not answers"
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(_read_text(path))
        except (BythandError, ValueError, RecursionError):
            return None  # a broken answers file: graded, so its error is named in its row
        if isinstance(data, list) or (isinstance(data, dict) and {"summary", "steps"} & set(data)):
            return "a bythand check report (--format json), not answers"
    return None


def answer_files(paths: Sequence[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The answers files named, each folder opened with its sub-folders; and the files skipped, with why."""
    files: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    for path in paths:
        if not path.is_dir():
            files.append(path)
            continue
        found = 0
        for item in sorted(path.rglob("*")):
            inside = item.relative_to(path).parts
            if any(part.startswith(".") for part in inside) or not item.is_file():
                continue  # hidden files and folders (.git, .DS_Store) are not a class's work
            reason = skip_reason(item)
            if reason is None:
                files.append(item)
                found += 1
            else:
                skipped.append((item, reason))
        if not found:
            raise AnswersError(f"{path}: the folder has no .toml, .json or .xlsx answers files")
    return files, skipped


# Finding the problem


@dataclass(frozen=True)
class Named:
    """A problem the teacher names (PROBLEM, --sheet, --example, or a roster's sheet) and its reference."""

    reference: Reference
    problem: Problem


def same_reference(a: Reference, b: Reference) -> bool:
    """True when two references name the same problem (a sheet id however typed, a file by its path)."""
    if a.kind != b.kind:
        return False
    if a.kind == "sheet":
        from .generate import parse_sheet_id

        try:
            return parse_sheet_id(a.value) == parse_sheet_id(b.value)
        except BythandError:
            return a.value == b.value
    if a.kind == "problem":
        return Path(a.value).resolve() == Path(b.value).resolve()
    return a.value == b.value


def referenced_problem(answers: Answers, convention: str | None, heads: int | None) -> Problem | None:
    """The problem an answers file names by sheet id, example or problem path, if it names one."""
    from .generate import problem_from_sheet_id
    from .problem import load_example

    ref = answers.reference
    if ref is None:
        return None
    try:
        if ref.kind == "sheet":
            problem = problem_from_sheet_id(ref.value)
        elif ref.kind == "example":
            problem = load_example(ref.value)
        else:
            if answers.problem is not None and not answers.problem.exists():
                raise AnswersError(
                    f"{answers.path}: its problem file {answers.problem} does not exist "
                    "(a problem path is relative to the answers file)"
                )
            return build_problem(
                answers.problem, {}, convention, heads if heads is not None else answers.heads
            )
    except AnswersError:
        raise
    except BythandError as exc:
        raise AnswersError(f"{answers.path}: {exc}") from None
    if heads is not None:
        raise AnswersError(f"{answers.path}: --heads cannot change a problem named by a sheet id or example")
    return (
        problem if convention is None else problem.in_convention(check_convention(convention, "--convention"))
    )


METHOD_FIELDS = ("scale", "exp", "mask")


def _refuse_other_method(answers: Answers, problem: Problem, what: str) -> None:
    """A student's recorded method that differs from the test's is an error, never an override."""
    for key in METHOD_FIELDS:
        mine = answers.options.get(key)
        theirs = str(getattr(problem.options, key))
        if mine is not None and mine != theirs:
            raise AnswersError(f"{answers.path}: worked with {key} {mine}; {what} uses {theirs}")
    if answers.heads is not None and answers.heads != len(problem.heads):
        raise AnswersError(
            f"{answers.path}: worked with {answers.heads} heads; {what} has {len(problem.heads)}"
        )


def _recorded(answers: Answers) -> dict[str, Any]:
    """The method an answers file records (scale, exp, mask), for a problem it names itself."""
    return {k: answers.options.get(k) for k in METHOD_FIELDS}


def _in_written_convention(problem: Problem, answers: Answers, convention: str | None) -> Problem:
    """The convention is how the cells are laid out, not the test: the command line's, else the file's."""
    chosen = convention or answers.options.get("convention")
    return problem.with_options(convention=chosen) if chosen else problem


def problem_for(
    answers: Answers,
    named: Named | None,
    convention: str | None,
    heads: int | None,
    method: Mapping[str, Any] | None = None,
    in_class: bool = False,
) -> tuple[Problem, str, str | None]:
    """(the problem to grade, what it is called, a note for the report's first line).

    The teacher's problem (named) is the test: a file naming another, or recording another method,
    is an error. Without one, the file's own reference; without that, in a class an error, and for
    a single file the built-in example, said in the note.
    """
    method = {k: v for k, v in (method or {}).items() if v is not None}
    ref = answers.reference
    if named is not None:
        if ref is not None and not same_reference(ref, named.reference):
            raise AnswersError(
                f"{answers.path}: the file names {ref}, but it is being graded against {named.reference}"
            )
        problem = named.problem.with_options(**method)
        _refuse_other_method(answers, problem, f"this {named.reference.kind}")
        return _in_written_convention(problem, answers, convention), str(named.reference), None
    own = referenced_problem(answers, convention, heads)
    if own is not None and ref is not None:
        if ref.kind == "sheet":  # a sheet id fixes the method: neither the file nor a flag changes the test
            _refuse_other_method(answers, own, "this sheet")
            if own.with_options(**method).options != own.options:
                raise AnswersError(
                    f"{answers.path}: sheet {ref.value} fixes the method; leave out the method flags"
                )
            return _in_written_convention(own, answers, convention), str(ref), None
        recorded = _recorded(answers)
        problem = own.with_options(**recorded).with_options(**method)
        return _in_written_convention(problem, answers, convention), str(ref), None
    if in_class:
        raise AnswersError(
            f"{answers.path}: names no sheet, example or problem; add a line such as "
            'sheet = "ID" to it, or name the problem on the command line (PROBLEM, --sheet or --example)'
        )
    from .problem import EXAMPLE_NAME

    base = build_problem(None, {}, convention, heads if heads is not None else answers.heads)
    recorded = _recorded(answers)
    problem = _in_written_convention(
        base.with_options(**recorded).with_options(**method), answers, convention
    )
    note = "Note: graded against the built-in example (the file names no sheet or problem)"
    return problem, f"example {EXAMPLE_NAME}", note


# Grading


def graded_names(trace: Trace) -> list[str]:
    """The matrices a student can hand in, in the order they are worked."""
    return [n for n in trace.matrices if not is_given(trace, n)]


def _check_names(trace: Trace, answers: Answers) -> None:
    valid = graded_names(trace)
    for name in sorted(answers.fill):
        if name not in valid:
            raise AnswersError(
                f"{answers.path}: fill names {name}, which is not a step{suggest(name, valid)}"
            )
    for name, rows in answers.matrices.items():
        if name not in valid:
            if name in trace.matrices:
                what = "is given in the problem, not an answer"
            else:
                what = "is not a step" + suggest(name, valid)
            raise AnswersError(f"{answers.path}: {name} {what}; the steps are {', '.join(valid)}")
        want = trace[name].shape
        got = (len(rows), len(rows[0]))
        if got == want:
            continue
        if len(rows) == 1 and 1 in want and len(rows[0]) == max(want):
            continue  # a flat list for a single column (sums in the rows convention)
        hint = ""
        if got == want[::-1]:
            hint = f"; it looks transposed (this problem uses the {trace.options.convention} convention)"
        raise AnswersError(
            f"{answers.path}: {name} is {got[0]}×{got[1]}, "
            f"but this problem's {name} is {want[0]}×{want[1]}{hint}"
        )


def _grid(trace: Trace, name: str, rows: list[list[Written]]) -> list[list[Written]]:
    """The answers in the matrix's own shape (a flat list given for a column becomes that column)."""
    shape = trace[name].shape
    if (len(rows), len(rows[0])) != shape:
        return [[a] for a in rows[0]]
    return rows


def matches(answer: Answer, target: Number, rules: Rules) -> bool:
    """Fair comparison: integers and fractions exact, decimals within half a unit of their last place.

    A decimal that is the value exactly (0.2 for 1/5, 1.8 for 9/5) is right whatever its places.
    """
    answer_masked = isinstance(answer.value, float)
    target_masked = isinstance(target, float) and target == MASKED
    if answer_masked or target_masked:
        return answer_masked and target_masked
    a = answer.value
    assert isinstance(a, Fraction)
    t = target if isinstance(target, Fraction) else Fraction(target)
    slack = Fraction(0) if isinstance(target, Fraction) else Fraction(FLOAT_SLACK) * max(Fraction(1), abs(t))
    if abs(a - t) <= slack:
        return True  # exact (a decimal truth: exact up to the float's own rounding)
    if rules.tolerance is not None:
        return abs(a - t) <= rules.tolerance + slack
    if answer.decimals is None:
        return False
    if t.denominator != 1 and answer.decimals < rules.decimals:
        return False  # 0.2 is not an answer for 9/46: write at least rules.decimals places
    return abs(a - t) <= Fraction(1, 2 * 10**answer.decimals) + slack


def _only_too_short(answer: Answer, targets: Sequence[Number | None], rules: Rules) -> bool:
    """A decimal refused only for its places (0.2 for 9/46, or for the student's own value)."""
    # such a slip deserves a word why; 0.5 for 2 is simply wrong, whatever its places
    places = answer.decimals
    if places is None or places >= rules.decimals:
        return False
    return any(t is not None and matches(answer, t, Rules(places, None)) for t in targets)


def _merge(base: Matrix, written: list[list[Written]]) -> Matrix:
    """The student's matrix: what they wrote where they wrote it, `base` (their own value) elsewhere."""
    out = base.copy()
    for i, row in enumerate(written):
        for j, a in enumerate(row):
            if isinstance(a, Answer):
                out[i, j] = a.value if is_exact(out) else float(a.value)  # keep the trace's number domain
    return out


def _own(trace: Trace, name: str, used: Mapping[str, Matrix]) -> tuple[Matrix | None, list[str]]:
    """What the student's own earlier numbers give for a matrix (None if they cannot be worked), and
    the matrices that working read."""
    operands = Operands(trace, used)
    try:
        with np.errstate(all="ignore"):
            own = recompute(trace, name, operands)
    except (ArithmeticError, BythandError, ValueError):
        return None, operands.read  # e.g. a written sum of 0, or a score too large to exponentiate
    return (own if _workable(own) else None), operands.read


def _workable(m: Matrix) -> bool:
    """False when a matrix worked from written numbers holds NaN or +∞ (a division by a written 0)."""
    try:
        values = to_float(m) if is_exact(m) else m
    except OverflowError:  # exact numbers past the float range: not numbers anyone works by hand
        return False
    return not bool(np.isnan(values).any() or np.isposinf(values).any())


def _accepted(
    mine: Matrix,
    truth: Matrix,
    own: Matrix | None,
    written: list[list[Written]] | None,
    clean: bool,
    rules: Rules,
) -> bool:
    """True when the student's matrix differs from the truth only by answers that were accepted:
    right by the rules, or worked right from accepted inputs (a student who rounded as they went)."""
    for (i, j), value in np.ndenumerate(mine):
        if value == truth[i, j]:
            continue
        a = written[i][j] if written is not None else None
        if not isinstance(a, Answer):
            if not clean:
                return False  # their own value, worked from a slip
            continue
        if matches(a, cell(truth, i, j), rules):
            continue
        if not (clean and own is not None and matches(a, cell(own, i, j), rules)):
            return False
    return True


@dataclass(frozen=True)
class _Worked:
    """One matrix as the student's numbers give it."""

    own: Matrix | None  # worked from their own earlier numbers (the truth when those are all true)
    clean: bool  # every earlier number it reads was accepted, so a match with `own` is simply right


def check(trace: Trace, answers: Answers, rules: Rules | None = None, precision: int = 2) -> Report:
    """Grade every step the answers give, carrying each earlier answer forward into the later steps.

    Plain and quick: the practice screen calls it after every edit.
    """
    rules = rules or Rules()
    _check_names(trace, answers)
    used: dict[str, Matrix] = {}  # the student's matrices, where they differ from the trace's
    slipped: set[str] = set()  # those that differ by more than accepted answers
    worked: dict[str, _Worked] = {}
    for name in graded_names(trace):
        if used:
            own, read = _own(trace, name, used)
        else:
            own, read = trace[name], []
        clean = not any(r in slipped for r in read)
        worked[name] = _Worked(own, clean)
        written = None if name in answers.fill else answers.matrices.get(name)
        grid = _grid(trace, name, written) if written else None
        base = own if own is not None else trace[name]
        mine = _merge(base, grid) if grid else base
        if not _same(mine, trace[name]):
            used[name] = mine
            if not _accepted(mine, trace[name], own, grid, clean, rules):
                slipped.add(name)
    steps = []
    for name in graded_names(trace):
        if name not in answers.matrices or name in answers.fill:
            continue
        steps.append(
            _grade(
                trace, name, _grid(trace, name, answers.matrices[name]), worked[name], used, rules, precision
            )
        )
    return Report(answers.path, answers.name, trace.problem.source, trace, tuple(steps))


def _same(a: Matrix, b: Matrix) -> bool:
    return all(x == y for x, y in zip(a.flat, b.flat, strict=True))


def _step_number(trace: Trace, name: str) -> int:
    for step in trace.steps:
        if name in step.names and not (step.number == 3 and name.rpartition(".")[2] == "Q"):
            return step.number
    return 0  # pragma: no cover - every graded matrix is made by a step


def _grade(
    trace: Trace,
    name: str,
    written: list[list[Written]],
    worked: _Worked,
    used: Mapping[str, Matrix],
    rules: Rules,
    precision: int,
) -> StepResult:
    truth = trace[name]
    own = worked.own
    rows: list[tuple[CellResult, ...]] = []
    first_wrong: Cell | None = None
    too_short: str | None = None  # a decimal refused for its places alone deserves a word why
    base = name.rpartition(".")[2]
    scores = trace[name[: len(name) - len(base)] + "scaled"] if base in ("scaled", "E", "A") else None
    for i, line in enumerate(written):
        out: list[CellResult] = []
        for j, a in enumerate(line):
            expected = cell(truth, i, j)
            mine = None if own is None else cell(own, i, j)
            printed = scores is not None and scores[i, j] == MASKED
            if a is None:
                out.append(CellResult("blank", None, expected, mine, printed=printed))
                continue
            if isinstance(a, Unreadable):
                out.append(CellResult("unreadable", a.text, expected, mine, a.reason, printed))
                continue
            if matches(a, expected, rules):
                verdict: Verdict = "correct"
            elif mine is not None and matches(a, mine, rules):
                verdict = "correct" if worked.clean else "carried"
            else:
                verdict = "wrong"
                first_wrong = first_wrong or Cell(name, i, j)
                if too_short is None and _only_too_short(a, (expected, mine), rules):
                    too_short = a.text
            out.append(CellResult(verdict, a.text, expected, mine, printed=printed))
        rows.append(tuple(out))
    work = _work(trace, first_wrong, used, precision) if first_wrong else ()
    if too_short is not None and rules.tolerance is None:
        places = "place" if rules.decimals == 1 else "places"
        work += (
            f"(a decimal needs at least {rules.decimals} {places} unless it is exact; {too_short} has fewer)",
        )
    return StepResult(name, _step_number(trace, name), tuple(rows), work)


def _work(trace: Trace, target: Cell, used: Mapping[str, Matrix], precision: int) -> tuple[str, ...]:
    """The right working of the first wrong cell, from the student's own earlier numbers where they differ."""
    earlier = {k: v for k, v in used.items() if k != target.name}
    try:
        with np.errstate(all="ignore"):
            done = explain(trace, target, earlier, precision)
        finite = math.isfinite(done.value) or done.value == MASKED
    except (ArithmeticError, BythandError, ValueError):
        finite = False
    if not finite:  # their own numbers cannot be worked (a sum of 0): show the true working
        done = explain(trace, target, None, precision)
        earlier = {}
    lines = list(done.lines)
    # only the student's numbers this working reads: Z[1,1] reads A's first column, concat[1,1] h1.Z
    differs = {
        c.name
        for c in done.inputs
        if c.name in earlier and earlier[c.name][c.row, c.col] != trace[c.name][c.row, c.col]
    }
    theirs = [n for n in done.operands if n in differs]
    if theirs:
        truth = cell(trace[target.name], target.row, target.col)
        true_text = number_text(truth, precision)
        lines.append(f"(worked from your own {_and(theirs)}; from the true values it is {true_text})")
    return tuple(lines)


def _and(names: Iterable[str]) -> str:
    items = list(names)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def canonical_sheet(text: str) -> str:
    """A sheet id as it is printed (a typed O for 0 and lower case read as meant); else upper-cased."""
    from .generate import parse_sheet_id, sheet_id

    try:
        return sheet_id(*parse_sheet_id(text))
    except BythandError:
        return text.strip().upper()


def grade_files(
    files: Sequence[Path],
    named: Named | None,
    rules: Rules,
    convention: str | None = None,
    heads: int | None = None,
    method: Mapping[str, Any] | None = None,
    precision: int = 2,
    keep_going: bool = False,
    roster: Sequence[Student] | None = None,
) -> list[Result]:
    """Grade each answers file against its problem; with keep_going (a class) a bad file becomes a Failure.

    With a roster, each file is matched to its student by sheet id or name and graded against that
    student's sheet; a student with no file gets a row of their own.
    """
    traces: dict[str, Trace] = {}  # files that share a problem and method share its trace
    loaded: list[Answers | Failure] = []
    for file in files:
        try:
            loaded.append(load_answers(file))
        except BythandError as exc:
            if not keep_going:
                raise
            loaded.append(Failure(str(file), str(exc), name_in(file)))
    matched: list[Match | None] = [None] * len(loaded)
    if roster is not None:
        entries = [
            (a.path, canonical_sheet(a.sheet) if a.sheet else None, a.name)
            for a in loaded
            if isinstance(a, Answers)
        ]
        found = iter(match(entries, roster))
        matched = [next(found) if isinstance(a, Answers) else None for a in loaded]
    results: list[Result] = []
    for answers, m in zip(loaded, matched, strict=True):
        if isinstance(answers, Failure):
            results.append(answers)
            continue
        student = m.student if m is not None else None
        flags = m.flags if m is not None else ()
        teacher = named
        try:
            if m is not None and m.student is not None:
                teacher = _sheet_named(m.student.sheet)  # the roster names the student's sheet
            if m is not None and m.error is not None:
                raise AnswersError(f"{answers.path}: {m.error}")
            problem, reference, note = problem_for(answers, teacher, convention, heads, method, keep_going)
            key = f"{problem.source}|{problem.options}|{len(problem.heads)}"
            if key not in traces:
                traces[key] = walk(problem)
            report = check(traces[key], answers, rules, precision)
            results.append(replace(report, reference=reference, note=note, flags=flags, student=student))
        except BythandError as exc:
            if not keep_going:
                raise
            name = student.name if student is not None else answers.name
            ref = str(teacher.reference) if teacher is not None else str(answers.reference or "")
            results.append(Failure(answers.path, str(exc), name, ref, flags, student))
    if roster is not None:
        handed_in = {id(m.student) for m in matched if m is not None and m.student is not None}
        for s in roster:
            if id(s) not in handed_in:
                results.append(
                    Failure(
                        "",
                        f"no answers file from {s.name}",
                        s.name,
                        f"sheet {s.sheet}",
                        ("missing",),
                        s,
                        True,
                    )
                )
    return results


def _sheet_named(sheet: str) -> Named:
    """The problem of a roster student's sheet."""
    from .generate import problem_from_sheet_id

    return Named(Reference("sheet", canonical_sheet(sheet)), problem_from_sheet_id(sheet))


# The template


def _toml_row(values: Iterable[str]) -> str:
    return "[" + ", ".join(values) + "]"


def template_text(
    trace: Trace,
    reference: tuple[str, str] | None,
    fill: frozenset[str] = frozenset(),
    heads: int | None = None,
    name: str = "",
) -> str:
    """An answers file for this problem, as its printed sheet is: each step shaped, "?" where the student
    writes, masked cells and the --fill steps already written; the problem and the method recorded, so
    `bythand check FILE` needs no flags."""
    p, o = trace.problem, trace.options
    lines = [
        f"# Answers for: {p.title}",
        f"# Method: {o.convention} convention, scale {o.scale}, exp {o.exp}, mask {o.mask}",
        '# Replace each "?" with your number: 2, "-1", "9/46", "1 1/7" or 0.20 (a decimal: at least',
        "# 2 places unless it is the value exactly). Fractions go in quotes.",
        '# Leave "?" where you did not get that far; delete a step you were not asked to do.',
        '# A masked score is written "-inf". Then run: bythand check THIS-FILE',
        "",
        f"name = {json.dumps(name, ensure_ascii=False)}",
    ]
    if reference is not None:  # ("sheet", ID), ("example", NAME) or ("problem", PATH): found again by check
        lines.append(f"{reference[0]} = {json.dumps(reference[1])}")
    # the method too, so `bythand check THIS-FILE` grades with it and no flag needs remembering
    method: dict[str, Any] = {"convention": o.convention, "scale": o.scale, "exp": o.exp, "mask": o.mask}
    if heads is not None:
        method["heads"] = heads
    lines.append("options = {" + ", ".join(f"{k} = {json.dumps(v)}" for k, v in method.items()) + "}")
    filled = [n for n in graded_names(trace) if n.rpartition(".")[2] in fill]
    if filled:
        lines.append(f"fill = {json.dumps(filled)}  # printed on the sheet: not graded")
    lines += ["", "# Given:"]
    for matrix_name, m in trace.matrices.items():
        if is_given(trace, matrix_name):
            shown = ", ".join(_toml_row(number_text(v) for v in row) for row in _values(m))
            lines.append(f"# {matrix_name} = [{shown}]")
    written: set[str] = set()
    for step in trace.steps:
        names = [n for n in step.names if n in graded_names(trace) and n not in written]
        written.update(names)  # X is made in step 0 and shown again in step 1: asked for once
        if step.number == 3:
            names = [n for n in names if n.rpartition(".")[2] == "KT"]
        if not names:
            continue
        lines += ["", f"# Step {step.number} · {step.title}: {step.formula}"]
        for matrix_name in names:
            rows, cols = trace[matrix_name].shape
            body = ",\n".join(
                "  "
                + _toml_row(
                    _template_cell(trace, matrix_name, i, j, matrix_name in filled) for j in range(cols)
                )
                for i in range(rows)
            )
            lines.append(f"{matrix_name} = [\n{body},\n]")  # a dotted key (h1.Q) makes the [h1] table
    return "\n".join(lines) + "\n"


def _template_cell(trace: Trace, name: str, i: int, j: int, filled: bool) -> str:
    """A template cell: the value where the printed sheet shows it (masked, or a filled step), else "?"."""
    prefix, _, base = name.rpartition(".")
    scaled = trace[f"{prefix}.scaled" if prefix else "scaled"] if base in ("scaled", "E", "A") else None
    if scaled is not None and scaled[i, j] == MASKED:
        return '"-inf"' if base == "scaled" else "0"
    if not filled:
        return '"?"'
    v = cell(trace[name], i, j)
    if isinstance(v, Fraction) and v.denominator == 1:
        return str(v.numerator)
    return json.dumps(number_text(v) if isinstance(v, Fraction) else repr(v))


def _values(m: Matrix) -> list[list[Number]]:
    return [[cell(m, i, j) for j in range(m.shape[1])] for i in range(m.shape[0])]


def as_tolerance(text: str) -> Fraction:
    """The --tolerance value: a number of at least 0."""
    try:
        value, _ = parse_number(text)
    except NumberError as exc:
        raise AnswersError(f"--tolerance: {exc}") from None
    if value < 0:
        raise AnswersError(f"--tolerance: {text} is negative; give an absolute tolerance such as 0.01")
    return value


GRADEBOOK_COLUMNS = ("file", "name", "correct", "carried", "wrong", "blank", "total", "percent", "error")
# after the original columns (a sheet reading them by position still works): what was graded, flags
EXTRA_COLUMNS = ("problem", "unreadable", "flag", "id", "email")


def step_names(results: Sequence[Result]) -> list[str]:
    names: list[str] = []
    for r in results:
        if isinstance(r, Report):
            names.extend(s.name for s in r.steps if s.name not in names)
    return names


def _name(r: Result) -> str:
    if r.student is not None:
        return r.student.name
    return r.name or ""


def percent(r: Report) -> str:
    """The credited share of the graded cells, one decimal place; "" when nothing was graded."""
    return f"{100 * r.score / r.total:.1f}" if r.total else ""


def gradebook_rows(results: Sequence[Result]) -> list[list[str]]:
    """The gradebook: a header, then one row per file (and per missing student).

    Each row: file, name, the counts, total, percent and any error; then the problem graded against,
    the unreadable cells, the roster's flags, the student's id and email; then for each step the
    credited (correct + carried) cells and the step's total.
    """
    steps = step_names(results)
    header = [*GRADEBOOK_COLUMNS, *EXTRA_COLUMNS]
    for step in steps:
        header += [step, f"{step} total"]
    rows = [header]
    for r in results:
        who = r.student
        tail = [r.reference, "", "; ".join(r.flags), who.id if who else "", who.email if who else ""]
        if isinstance(r, Failure):
            rows.append(
                [
                    r.answers,
                    _name(r),
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    r.error,
                    *tail,
                    *("" for _ in steps for _ in "ab"),
                ]
            )
            continue
        tail[1] = str(r.count("unreadable"))
        graded = {s.name: s for s in r.steps}
        per_step = [
            value
            for n in steps
            for value in ((str(graded[n].score), str(graded[n].total)) if n in graded else ("", ""))
        ]
        counts = [str(r.count(v)) for v in ("correct", "carried", "wrong", "blank")]
        rows.append([r.answers, _name(r), *counts, str(r.total), percent(r), "", *tail, *per_step])
    return [[safe_cell(c) for c in row] for row in rows]


# Importing into a learning platform (documented import formats):
# Canvas, Grades > Import: a CSV whose first columns are Student, ID, SIS User ID, SIS Login ID and
# Section (Student name or ID or SIS User ID identifies the student), then one column per assignment,
# headed by its name; a new name makes a new assignment. See "Import a CSV file to Carmen Grades",
# https://teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades
# Moodle, Grades > Import > CSV file: one column is mapped to a user field ("Email address" to
# useremail, or "ID number" to useridnumber) and each other column to a grade item.
# See "CSV grade import", https://docs.moodle.org/311/en/Grade_import
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_COLUMNS = ("Full name", "ID number", "Email address")
GRADEBOOKS = ("canvas", "moodle")


def platform_rows(results: Sequence[Result], platform: str, assignment: str = "bythand") -> list[list[str]]:
    """A gradebook a learning platform imports as it is: one row per student, the percent as the grade.

    A student whose file could not be graded, who handed in nothing, or who handed in two files for
    one sheet gets an empty grade (never a silent 0 or a silent pick); the full gradebook says why.
    """
    header = [*(CANVAS_COLUMNS if platform == "canvas" else MOODLE_COLUMNS), assignment]
    rows = [header]
    seen: dict[int, int] = {}  # a roster student's row, so a second file empties it
    for r in results:
        who = r.student
        grade = percent(r) if isinstance(r, Report) else ""
        if who is not None and id(who) in seen:
            rows[seen[id(who)]][-1] = ""
            continue
        ident, email = (who.id, who.email) if who else ("", "")
        if platform == "canvas":
            rows.append([_name(r), "", ident, "", "", grade])
        else:
            rows.append([_name(r), ident, email, grade])
        if who is not None:
            seen[id(who)] = len(rows) - 1
    return [[safe_cell(c) for c in row] for row in rows]


def report_dict(r: Result) -> dict[str, Any]:
    """The JSON shape of one graded file (a failed file gives its error instead of steps)."""
    who = {"id": r.student.id, "email": r.student.email} if r.student else None
    if isinstance(r, Failure):
        return {
            "name": _name(r) or None,
            "answers": r.answers or None,
            "problem": None,
            "graded_against": r.reference or None,
            "flags": list(r.flags),
            "student": who,
            "error": r.error,
        }
    return {
        "name": r.name,
        "answers": r.answers,
        "problem": r.problem,
        "graded_against": r.reference or None,
        "note": r.note,
        "flags": list(r.flags),
        "student": who,
        "summary": {**{v: r.count(v) for v in VERDICTS}, "total": r.total},
        "steps": {
            s.name: {
                **{v: s.count(v) for v in VERDICTS},
                "cells": [[c.verdict for c in row] for row in s.cells],
                "unreadable_cells": [
                    {"row": i + 1, "column": j + 1, "text": c.answer, "reason": c.reason}
                    for i, row in enumerate(s.cells)
                    for j, c in enumerate(row)
                    if c.verdict == "unreadable"
                ],
            }
            for s in r.steps
        },
    }


def template_file_text(text: str, path: str) -> str:
    """An answers template (TOML text) for a file name: as it is, or the same keys as JSON for .json."""
    from .problem import json_file_text

    suffix = Path(path).suffix.lower()
    if suffix not in ("", ".toml", ".json"):
        raise AnswersError(f"{path}: answers files are .toml or .json, not {suffix}")
    return json_file_text(tomllib.loads(text)) if suffix == ".json" else text
