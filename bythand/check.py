"""Grade hand-worked answers against a Trace, cell by cell, with errors carried forward -> Report."""

from __future__ import annotations

import json
import math
import re
import sys
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .errors import BythandError
from .explain import GIVEN_NAMES, Cell, Operands, explain, number_text, recompute
from .numbers import Matrix, Number, NumberError, cell, is_exact, parse_number, to_float
from .problem import (
    Problem,
    _read_text,
    build_problem,
    check_convention,
    check_exp,
    check_mask,
    check_scale,
    suggest,
    unreadable,
)
from .walk import MASKED, Trace, walk

Verdict = Literal["correct", "carried", "wrong", "blank"]
VERDICTS: tuple[Verdict, ...] = ("correct", "carried", "wrong", "blank")
META_KEYS = ("name", "problem", "sheet", "example")
BLANKS = ("?", "")
MINUS_INFINITY = ("-inf", "−inf", "-∞", "−∞", "-infinity", "−infinity")
FLOAT_MAX = Fraction(sys.float_info.max)
FLOAT_SLACK = 1e-9  # an exact answer matches a decimal truth up to the float's own rounding


class AnswersError(BythandError):
    """An answers file that cannot be graded, with the file, step and cell where it went wrong."""


@dataclass(frozen=True)
class Answer:
    """One cell as the student wrote it."""

    text: str
    value: Fraction | float  # a float only for −∞, a masked score
    decimals: int | None  # decimal places written, or None for an integer or a fraction


@dataclass(frozen=True)
class Answers:
    """An answers file: the student's name, where the problem is, and each step's cells (None = blank)."""

    path: str
    name: str | None
    problem: Path | None
    sheet: str | None
    matrices: dict[str, list[list[Answer | None]]]
    example: str | None = None
    options: dict[str, str] = field(default_factory=dict)  # the method the answers were worked with


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


@dataclass(frozen=True)
class StepResult:
    """One graded matrix: its cells' verdicts and the work for its first wrong cell."""

    name: str
    number: int
    cells: tuple[tuple[CellResult, ...], ...]
    work: tuple[str, ...] = ()

    def count(self, verdict: Verdict) -> int:
        """How many cells got this verdict."""
        return sum(c.verdict == verdict for row in self.cells for c in row)

    @property
    def total(self) -> int:
        """How many cells the matrix has."""
        return sum(len(row) for row in self.cells)


@dataclass(frozen=True)
class Report:
    """One answers file graded against one trace."""

    answers: str
    name: str | None
    problem: str
    trace: Trace
    steps: tuple[StepResult, ...]

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
        """True when no graded cell is wrong or blank."""
        return self.count("wrong") == 0 and self.count("blank") == 0


@dataclass(frozen=True)
class Failure:
    """An answers file that could not be graded, kept in a class's results."""

    answers: str
    error: str


# Reading answers files


def _parse_cell(value: object, where: str) -> Answer | None:
    """One written cell: None for "?" or "", −∞ for a masked score, else an exact number."""
    if isinstance(value, str) and value.strip() in BLANKS:
        return None
    if isinstance(value, str) and value.strip().lower() in MINUS_INFINITY:
        return Answer(value.strip(), MASKED, None)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise AnswersError(f'{where}: {value!r} is not a number (write a number, a fraction "9/46", or "?")')
    text = str(value).strip() if not isinstance(value, float) else repr(value)
    try:
        number, decimal = parse_number(text)
    except NumberError as exc:
        raise AnswersError(f"{where}: {exc}") from None
    if abs(number) > FLOAT_MAX:
        raise AnswersError(f"{where}: {text} is beyond the floating-point range (at most about 1.8e308)")
    places = None
    if decimal and "/" not in text:
        try:
            exponent = Decimal(text.replace("−", "-")).as_tuple().exponent
        except InvalidOperation:  # pragma: no cover - parse_number accepted it, so Decimal does too
            exponent = 0
        places = max(0, -int(exponent))
    return Answer(text, number, places)


def _rows(value: object, name: str, where: str) -> list[list[Answer | None]]:
    """A step's matrix as written: a list of rows (a flat list for a single row or column)."""
    if not isinstance(value, list) or not value:
        raise AnswersError(
            f'{where}: {name} must be a list of rows, like [[1, "9/46"], ["?", 0]], not {value!r}'
        )
    if not any(isinstance(r, list) for r in value):
        value = [value]  # a flat list: one row (sums in the columns convention)
    rows: list[list[Answer | None]] = []
    for i, row in enumerate(value, start=1):
        if not isinstance(row, list):
            raise AnswersError(f"{where}: {name} row {i} is not a list of cells")
        rows.append(
            [_parse_cell(v, f"{where}: {name} row {i}, column {j}") for j, v in enumerate(row, start=1)]
        )
        if len(rows[-1]) != len(rows[0]):
            raise AnswersError(
                f"{where}: {name} row {i} has {len(rows[-1])} cells, but row 1 has {len(rows[0])}"
            )
    return rows


def parse_answers(data: object, path: str) -> Answers:
    """Build Answers from a parsed TOML or JSON answers file."""
    if not isinstance(data, dict):
        raise AnswersError(
            f"{path}: an answers file holds a table of steps (Q, K, ...), not {type(data).__name__}"
        )
    meta: dict[str, str] = {}
    matrices: dict[str, list[list[Answer | None]]] = {}
    options: dict[str, str] = {}
    for key, value in data.items():
        if key == "options":
            options = _options(value, path)
        elif key in META_KEYS:
            if not isinstance(value, str):
                raise AnswersError(f"{path}: {key} must be text, not {value!r}")
            meta[key] = value
        elif re.fullmatch(r"h\d+", key) and isinstance(value, dict):  # [h1] tables and h1.Q dotted keys
            for inner, v in value.items():
                matrices[f"{key}.{inner}"] = _rows(v, f"{key}.{inner}", path)
        else:
            matrices[key] = _rows(value, key, path)
    problem = None
    if meta.get("problem"):
        problem = Path(path).parent / meta["problem"]  # relative to the answers file, as a user expects
    if not matrices:
        raise AnswersError(f"{path}: no answers to check; give steps such as Q = [[...]] or A = [[...]]")
    return Answers(
        path,
        meta.get("name") or None,
        problem,
        meta.get("sheet") or None,
        matrices,
        meta.get("example") or None,
        options,
    )


def _options(value: object, path: str) -> dict[str, str]:
    """An answers file's `options = {scale = "floor-half", ...}`: checked as a problem's options are."""
    checks = {"convention": check_convention, "scale": check_scale, "exp": check_exp, "mask": check_mask}
    if not isinstance(value, dict):
        raise AnswersError(f'{path}: options must be a table, like options = {{scale = "floor-half"}}')
    out: dict[str, str] = {}
    for key, v in value.items():
        if key not in checks:
            raise AnswersError(
                f"{path}: unknown option {key!r}{suggest(key, tuple(checks))}; "
                f"valid options are {', '.join(checks)}"
            )
        out[key] = str(checks[key](v, f"{path}: options.{key}"))
    return out


def parse_answers_text(text: str, path: str, kind: str) -> Answers:
    """Parse the text of an answers file, keeping decimals as written (0.20 keeps its two places)."""
    try:
        if kind == "json":

            def refuse(token: str) -> None:
                raise AnswersError(f'{path}: {token} is not allowed; write -inf as the text "-inf"')

            data = json.loads(text, parse_float=str, parse_constant=refuse)
        else:
            data = tomllib.loads(text, parse_float=str)
    except json.JSONDecodeError as exc:
        raise AnswersError(
            f"{path}: JSON syntax error at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise AnswersError(f"{path}: TOML syntax error: {exc}") from None
    except (ValueError, RecursionError) as exc:  # nested too deeply, or an integer too long to convert
        raise AnswersError(f"{path}: {unreadable(exc)}") from None
    return parse_answers(data, path)


def load_answers(path: Path) -> Answers:
    """Read an answers file (.json as JSON, anything else as TOML)."""
    text = _read_text(path, "answers files")
    return parse_answers_text(text, str(path), "json" if path.suffix.lower() == ".json" else "toml")


def looks_like_problem(path: Path) -> bool:
    """True for a readable problem file (it gives X), so `check PROBLEM ANSWERS...` can tell them apart."""
    if not path.is_file() or path.suffix.lower() not in (".toml", ".json"):
        return False
    try:
        text = _read_text(path)
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (BythandError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and "X" in data


def answer_files(paths: Sequence[Path]) -> list[Path]:
    """The answers files named, with each folder opened to its .toml and .json files."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p for p in path.iterdir() if p.is_file() and p.suffix.lower() in (".toml", ".json")
            )
            if not found:
                raise AnswersError(f"{path}: the folder has no .toml or .json answers files")
            files.extend(found)
        else:
            files.append(path)
    return files


# Finding the problem


def named_answers_problem(answers: Answers) -> Problem | None:
    """The problem an answers file names by `sheet = "ID"` or `example = "NAME"`, if it does."""
    from .generate import problem_from_sheet_id
    from .problem import load_example

    try:
        if answers.sheet is not None:
            return problem_from_sheet_id(answers.sheet)
        if answers.example is not None:
            return load_example(answers.example)
    except BythandError as exc:
        raise AnswersError(f"{answers.path}: {exc}") from None
    return None


def problem_for(
    answers: Answers, given: Path | Problem | None, convention: str | None, heads: int | None
) -> Problem:
    """The problem to grade: the argument (file, --sheet, --example), the answers file's, or the example."""
    named = given if isinstance(given, Problem) else None
    if given is None and answers.problem is None:
        named = named_answers_problem(answers)
    if named is not None:
        if heads is not None:
            raise AnswersError(
                f"{answers.path}: --heads cannot change a problem named by a sheet id or example"
            )
        return (
            named if convention is None else named.in_convention(check_convention(convention, "--convention"))
        )
    path = None if isinstance(given, Problem) else given
    if path is None and answers.problem is not None and not answers.problem.exists():
        raise AnswersError(
            f"{answers.path}: its problem file {answers.problem} does not exist "
            "(a problem path is relative to the answers file)"
        )
    return build_problem(path if path is not None else answers.problem, {}, convention, heads)


# Grading


def graded_names(trace: Trace) -> list[str]:
    """The matrices a student can hand in, in the order they are worked."""
    return [n for n in trace.matrices if n.rpartition(".")[2] not in GIVEN_NAMES]


def _check_names(trace: Trace, answers: Answers) -> None:
    valid = graded_names(trace)
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


def _grid(trace: Trace, name: str, rows: list[list[Answer | None]]) -> list[list[Answer | None]]:
    """The answers in the matrix's own shape (a flat list given for a column becomes that column)."""
    shape = trace[name].shape
    if (len(rows), len(rows[0])) != shape:
        return [[a] for a in rows[0]]
    return rows


def matches(answer: Answer, target: Number, rules: Rules) -> bool:
    """Fair comparison: integers and fractions exact, decimals within half a unit of their last place."""
    answer_masked = isinstance(answer.value, float)
    target_masked = isinstance(target, float) and target == MASKED
    if answer_masked or target_masked:
        return answer_masked and target_masked
    a = answer.value
    assert isinstance(a, Fraction)
    t = target if isinstance(target, Fraction) else Fraction(target)
    slack = Fraction(0) if isinstance(target, Fraction) else Fraction(FLOAT_SLACK) * max(Fraction(1), abs(t))
    if rules.tolerance is not None:
        return abs(a - t) <= rules.tolerance + slack
    if answer.decimals is None:
        return abs(a - t) <= slack
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


def _merge(base: Matrix, written: list[list[Answer | None]]) -> Matrix:
    """The student's matrix: what they wrote where they wrote it, `base` (their own value) elsewhere."""
    out = base.copy()
    for i, row in enumerate(written):
        for j, a in enumerate(row):
            if a is not None:
                out[i, j] = a.value if is_exact(out) else float(a.value)  # keep the trace's number domain
    return out


def _own(trace: Trace, name: str, used: Mapping[str, Matrix]) -> Matrix | None:
    """What the student's own earlier numbers give for a matrix, or None if they cannot be worked."""
    try:
        with np.errstate(all="ignore"):
            own = recompute(trace, name, Operands(trace, used))
    except (ArithmeticError, BythandError, ValueError):
        return None  # e.g. a written sum of 0, or a score too large to exponentiate
    return own if _workable(own) else None


def _workable(m: Matrix) -> bool:
    """False when a matrix worked from written numbers holds NaN or +∞ (a division by a written 0)."""
    try:
        values = to_float(m) if is_exact(m) else m
    except OverflowError:  # exact numbers past the float range: not numbers anyone works by hand
        return False
    return not bool(np.isnan(values).any() or np.isposinf(values).any())


def check(trace: Trace, answers: Answers, rules: Rules | None = None, precision: int = 2) -> Report:
    """Grade every step the answers give, carrying each earlier answer forward into the later steps."""
    rules = rules or Rules()
    _check_names(trace, answers)
    used: dict[str, Matrix] = {}  # the student's matrices, where they differ from the trace's
    own_values: dict[str, Matrix | None] = {}
    for name in graded_names(trace):
        own = _own(trace, name, used) if used else trace[name]
        own_values[name] = own
        written = answers.matrices.get(name)
        base = own if own is not None else trace[name]
        mine = _merge(base, _grid(trace, name, written)) if written else base
        if not _same(mine, trace[name]):
            used[name] = mine
    steps = []
    for name in graded_names(trace):
        if name not in answers.matrices:
            continue
        steps.append(
            _grade(
                trace,
                name,
                _grid(trace, name, answers.matrices[name]),
                own_values[name],
                used,
                rules,
                precision,
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
    written: list[list[Answer | None]],
    own: Matrix | None,
    used: Mapping[str, Matrix],
    rules: Rules,
    precision: int,
) -> StepResult:
    truth = trace[name]
    rows: list[tuple[CellResult, ...]] = []
    first_wrong: Cell | None = None
    too_short: str | None = None  # a decimal refused for its places alone deserves a word why
    for i, line in enumerate(written):
        out: list[CellResult] = []
        for j, a in enumerate(line):
            expected = cell(truth, i, j)
            mine = None if own is None else cell(own, i, j)
            if a is None:
                verdict: Verdict = "blank"
            elif matches(a, expected, rules):
                verdict = "correct"
            elif mine is not None and matches(a, mine, rules):
                verdict = "carried"
            else:
                verdict = "wrong"
                first_wrong = first_wrong or Cell(name, i, j)
                if too_short is None and _only_too_short(a, (expected, mine), rules):
                    too_short = a.text
            out.append(CellResult(verdict, None if a is None else a.text, expected, mine))
        rows.append(tuple(out))
    work = _work(trace, first_wrong, used, precision) if first_wrong else ()
    if too_short is not None and rules.tolerance is None:
        places = "place" if rules.decimals == 1 else "places"
        work += (
            f"(a decimal needs at least {rules.decimals} {places} unless the value is whole; "
            f"{too_short} has fewer)",
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
    theirs = [n for n in done.operands if n in earlier]
    if theirs:
        truth = cell(trace[target.name], target.row, target.col)
        true_text = number_text(truth, precision)
        lines.append(f"(worked from your own {_and(theirs)}; from the true values it is {true_text})")
    return tuple(lines)


def _and(names: Iterable[str]) -> str:
    items = list(names)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def grade_files(
    files: Sequence[Path],
    problem: Path | Problem | None,
    rules: Rules,
    convention: str | None = None,
    heads: int | None = None,
    method: Mapping[str, Any] | None = None,
    precision: int = 2,
    keep_going: bool = False,
) -> list[Report | Failure]:
    """Grade each answers file against its problem; with keep_going a bad file becomes a Failure."""
    traces: dict[str, Trace] = {}  # files that share a problem and method share its trace
    results: list[Report | Failure] = []
    for file in files:
        try:
            answers = load_answers(file)
            # the problem's own method, then the one the answers file records, then the flags
            recorded = answers.options
            chosen = problem_for(answers, problem, convention, heads).with_options(
                convention=recorded.get("convention"),
                scale=recorded.get("scale"),
                exp=recorded.get("exp"),
                mask=recorded.get("mask"),
            )
            if convention is not None:
                chosen = chosen.with_options(convention=convention)
            chosen = chosen.with_options(**(method or {}))
            key = f"{chosen.source}|{chosen.options}"
            if key not in traces:
                traces[key] = walk(chosen)
            results.append(check(traces[key], answers, rules, precision))
        except BythandError as exc:
            if not keep_going:
                raise
            results.append(Failure(str(file), str(exc)))
    return results


# The template


def _toml_row(values: Iterable[str]) -> str:
    return "[" + ", ".join(values) + "]"


def template_text(trace: Trace, problem_ref: str | None, named: tuple[str, str] | None = None) -> str:
    """An answers file for this problem: each step's matrix shaped and full of "?", givens as comments."""
    p, o = trace.problem, trace.options
    lines = [
        f"# Answers for: {p.title}",
        f"# Method: {o.convention} convention, scale {o.scale}, exp {o.exp}, mask {o.mask}",
        '# Replace each "?" with your number: 2, "-1", "9/46" or 0.20 (decimals: at least 2 places).',
        '# Leave "?" where you did not get that far; delete a step you were not asked to do.',
        '# A masked score is written "-inf". Then run: bythand check THIS-FILE',
        "",
        'name = ""',
    ]
    if problem_ref is not None:
        lines.append(f"problem = {json.dumps(problem_ref)}")
    if named is not None:  # ("sheet", ID) or ("example", NAME): the answers find their problem again
        lines.append(f"{named[0]} = {json.dumps(named[1])}")
    # the method too, so `bythand check THIS-FILE` grades with it and no flag needs remembering
    method = {"convention": o.convention, "scale": o.scale, "exp": o.exp, "mask": o.mask}
    lines.append("options = {" + ", ".join(f"{k} = {json.dumps(v)}" for k, v in method.items()) + "}")
    lines += ["", "# Given:"]
    for name, m in trace.matrices.items():
        if name.rpartition(".")[2] in GIVEN_NAMES:
            shown = ", ".join(_toml_row(number_text(v) for v in row) for row in _values(m))
            lines.append(f"# {name} = [{shown}]")
    for step in trace.steps:
        names = [n for n in step.names if n in graded_names(trace)]
        if step.number == 3:
            names = [n for n in names if n.rpartition(".")[2] == "KT"]
        if not names:
            continue
        lines += ["", f"# Step {step.number} · {step.title}: {step.formula}"]
        for name in names:
            rows, cols = trace[name].shape
            body = ",\n".join("  " + _toml_row('"?"' for _ in range(cols)) for _ in range(rows))
            lines.append(f"{name} = [\n{body},\n]")  # a dotted key (h1.Q) makes the [h1] table
    return "\n".join(lines) + "\n"


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


def gradebook_rows(results: Sequence[Report | Failure]) -> list[list[str]]:
    """The gradebook: a header, then one row per file: file, name, counts, total, percent, error."""
    header = ["file", "name", *VERDICTS, "total", "percent", "error"]
    rows = [header]
    for r in results:
        if isinstance(r, Failure):
            rows.append([r.answers, "", "", "", "", "", "", "", r.error])
            continue
        percent = f"{100 * r.score / r.total:.1f}" if r.total else ""
        rows.append(
            [r.answers, r.name or "", *(str(r.count(v)) for v in VERDICTS), str(r.total), percent, ""]
        )
    return rows


def report_dict(r: Report | Failure) -> dict[str, Any]:
    """The JSON shape of one graded file (a failed file gives its error instead of steps)."""
    if isinstance(r, Failure):
        return {"name": None, "answers": r.answers, "problem": None, "error": r.error}
    return {
        "name": r.name,
        "answers": r.answers,
        "problem": r.problem,
        "summary": {**{v: r.count(v) for v in VERDICTS}, "total": r.total},
        "steps": {
            s.name: {
                **{v: s.count(v) for v in VERDICTS},
                "cells": [[c.verdict for c in row] for row in s.cells],
            }
            for s in r.steps
        },
    }


def template_file_text(
    trace: Trace, problem_ref: str | None, named: tuple[str, str] | None, path: str | None
) -> str:
    """The answers template for a file name: TOML, or the same keys as JSON for a .json name."""
    from .problem import json_file_text

    text = template_text(trace, problem_ref, named)
    suffix = Path(path).suffix.lower() if path else ""
    if suffix not in ("", ".toml", ".json"):
        raise AnswersError(f"{path}: answers files are .toml or .json, not {suffix}")
    return json_file_text(tomllib.loads(text)) if suffix == ".json" else text
