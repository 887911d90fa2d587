"""The answers record every source becomes (TOML, JSON, a workbook, the practice screen), and its loaders.

A loader turns one kind of file into `Answers`; `LOADERS` picks it by the file's suffix, so a new
source (an .xlsx workbook) is one more function and one more entry there.
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Literal

from .errors import BythandError
from .numbers import NumberError, parse_number
from .problem import _read_text, check_convention, check_exp, check_mask, check_scale, suggest, unreadable
from .walk import MASKED

META_KEYS = ("name", "problem", "sheet", "example")
BLANKS = ("?", "")
MINUS_INFINITY = ("-inf", "−inf", "-∞", "−∞", "-infinity", "−infinity")
FLOAT_MAX = Fraction(sys.float_info.max)
OPTION_KEYS = ("convention", "scale", "exp", "mask", "heads")
MAX_HEADS = 64


class AnswersError(BythandError):
    """An answers file that cannot be graded, with the file, step and cell where it went wrong."""


@dataclass(frozen=True)
class Answer:
    """One cell as the student wrote it."""

    text: str
    value: Fraction | float  # a float only for −∞, a masked score
    decimals: int | None  # decimal places written, or None for an integer or a fraction


@dataclass(frozen=True)
class Unreadable:
    """A cell that could not be read as a number: graded as unreadable, the rest of the file still graded."""

    text: str
    reason: str


Written = Answer | Unreadable | None  # None: left blank ("?")

ReferenceKind = Literal["sheet", "example", "problem"]


@dataclass(frozen=True)
class Reference:
    """Where a problem comes from: a sheet id, a ready example, or a problem file."""

    kind: ReferenceKind
    value: str

    def __str__(self) -> str:
        return f"{self.kind} {self.value}"


@dataclass(frozen=True)
class Answers:
    """One student's answers: name, the problem they name, the method they used, and each step's cells."""

    path: str
    name: str | None
    problem: Path | None
    sheet: str | None
    matrices: dict[str, list[list[Written]]]
    example: str | None = None
    options: dict[str, str] = field(default_factory=dict)  # the method the answers were worked with
    heads: int | None = None  # the heads a problem file was split into (options.heads)
    fill: frozenset[str] = frozenset()  # steps printed already worked: not the student's, not graded

    @property
    def reference(self) -> Reference | None:
        """The problem these answers name, if they name one."""
        if self.sheet is not None:
            return Reference("sheet", self.sheet)
        if self.example is not None:
            return Reference("example", self.example)
        if self.problem is not None:
            return Reference("problem", str(self.problem))
        return None


def parse_cell(value: object, where: str) -> Written:
    """One written cell: None for "?" or "", −∞ for a masked score, an exact number, or Unreadable."""
    if isinstance(value, str) and value.strip() in BLANKS:
        return None
    if isinstance(value, str) and value.strip().lower() in MINUS_INFINITY:
        return Answer(value.strip(), MASKED, None)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        shown = json.dumps(value) if isinstance(value, bool) else repr(value)
        return Unreadable(shown, f'{value!r} is not a number (write a number, a fraction "9/46", or "?")')
    text = str(value).strip() if not isinstance(value, float) else repr(value)
    try:
        number, decimal = parse_number(text)
    except NumberError as exc:
        return Unreadable(text, str(exc))
    if abs(number) > FLOAT_MAX:  # 1e399 is exact, but nothing can be worked with it
        return Unreadable(text, f"{text} is beyond the floating-point range (at most about 1.8e308)")
    places = None
    if decimal and "/" not in text:
        try:
            exponent = Decimal(text.replace("−", "-")).as_tuple().exponent
        except InvalidOperation:  # pragma: no cover - parse_number accepted it, so Decimal does too
            exponent = 0
        places = max(0, -int(exponent))
    return Answer(text, number, places)


def _rows(value: object, name: str, where: str) -> list[list[Written]]:
    """A step's matrix as written: a list of rows (a flat list for a single row or column)."""
    if not isinstance(value, list) or not value:
        raise AnswersError(
            f'{where}: {name} must be a list of rows, like [[1, "9/46"], ["?", 0]], not {value!r}'
        )
    if not any(isinstance(r, list) for r in value):
        value = [value]  # a flat list: one row (sums in the columns convention)
    rows: list[list[Written]] = []
    for i, row in enumerate(value, start=1):
        if not isinstance(row, list):
            raise AnswersError(f"{where}: {name} row {i} is not a list of cells")
        rows.append(
            [parse_cell(v, f"{where}: {name} row {i}, column {j}") for j, v in enumerate(row, start=1)]
        )
        if len(rows[-1]) != len(rows[0]):
            raise AnswersError(
                f"{where}: {name} row {i} has {len(rows[-1])} cells, but row 1 has {len(rows[0])}"
            )
    return rows


def parse_answers(data: object, path: str) -> Answers:
    """Build Answers from a parsed answers file (a table of steps, the name, the problem and the method)."""
    if not isinstance(data, dict):
        raise AnswersError(
            f"{path}: an answers file holds a table of steps (Q, K, ...), not {type(data).__name__}"
        )
    if {"summary", "steps"} <= set(data):
        raise AnswersError(f"{path}: this is a bythand check report (--format json), not an answers file")
    meta: dict[str, str] = {}
    matrices: dict[str, list[list[Written]]] = {}
    options: dict[str, str] = {}
    heads: int | None = None
    fill: frozenset[str] = frozenset()
    for key, value in data.items():
        if key == "options":
            options, heads = _options(value, path)
        elif key == "fill":
            fill = _fill(value, path)
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
        heads,
        fill,
    )


def _options(value: object, path: str) -> tuple[dict[str, str], int | None]:
    """An answers file's `options = {scale = "floor-half", ...}`: checked as a problem's options are."""
    checks = {"convention": check_convention, "scale": check_scale, "exp": check_exp, "mask": check_mask}
    if not isinstance(value, dict):
        raise AnswersError(f'{path}: options must be a table, like options = {{scale = "floor-half"}}')
    out: dict[str, str] = {}
    heads = None
    for key, v in value.items():
        if key == "heads":
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_HEADS:
                raise AnswersError(f"{path}: options.heads must be a whole number from 1 to {MAX_HEADS}")
            heads = v
            continue
        if key not in checks:
            raise AnswersError(
                f"{path}: unknown option {key!r}{suggest(key, OPTION_KEYS)}; "
                f"valid options are {', '.join(OPTION_KEYS)}"
            )
        out[key] = str(checks[key](v, f"{path}: options.{key}"))
    return out, heads


def _fill(value: object, path: str) -> frozenset[str]:
    """`fill = ["Q", "K", "V"]`: the steps printed already worked on the sheet."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AnswersError(f'{path}: fill must be a list of step names, like fill = ["Q", "K", "V"]')
    return frozenset(value)


# An unquoted fraction such as 81/94 outside a string: TOML reads it as a syntax error
_UNQUOTED_FRACTION = re.compile(r"(?<![\w.\"'])([+-]?\d+(?:\.\d+)?\s*/\s*\d+)")
_STRINGS_AND_COMMENTS = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'[^']*'|#.*")


def _fraction_hint(text: str) -> str:
    """The hint for TOML's error when the file holds a fraction outside quotes."""
    for line in text.splitlines():
        found = _UNQUOTED_FRACTION.search(_STRINGS_AND_COMMENTS.sub("", line))
        if found:
            fraction = re.sub(r"\s+", "", found[1])
            return f'; write fractions in quotes, "{fraction}"'
    return ""


def parse_toml(text: str, path: str) -> Answers:
    """Answers from TOML text, keeping decimals as written (0.20 keeps its two places)."""
    try:
        data = tomllib.loads(text, parse_float=str)
    except tomllib.TOMLDecodeError as exc:
        raise AnswersError(f"{path}: TOML syntax error: {exc}{_fraction_hint(text)}") from None
    except (ValueError, RecursionError) as exc:  # nested too deeply, or an integer too long to convert
        raise AnswersError(f"{path}: {unreadable(exc)}") from None
    return parse_answers(data, path)


def parse_json(text: str, path: str) -> Answers:
    """Answers from JSON text, keeping decimals as written."""

    def refuse(token: str) -> None:
        raise AnswersError(f'{path}: {token} is not allowed; write -inf as the text "-inf"')

    try:
        data = json.loads(text, parse_float=str, parse_constant=refuse)
    except json.JSONDecodeError as exc:
        raise AnswersError(
            f"{path}: JSON syntax error at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except (ValueError, RecursionError) as exc:  # nested too deeply, or an integer too long to convert
        raise AnswersError(f"{path}: {unreadable(exc)}") from None
    return parse_answers(data, path)


def parse_answers_text(text: str, path: str, kind: str) -> Answers:
    """Parse the text of an answers file of a kind ("toml" or "json")."""
    return parse_json(text, path) if kind == "json" else parse_toml(text, path)


def load_toml(path: Path) -> Answers:
    """Read a TOML answers file."""
    return parse_toml(_read_text(path, "answers files"), str(path))


def load_json(path: Path) -> Answers:
    """Read a JSON answers file."""
    return parse_json(_read_text(path, "answers files"), str(path))


def load_xlsx(path: Path) -> Answers:
    """Read a worksheet workbook (bythand worksheet --format xlsx); openpyxl loads only for these."""
    from .xlsx_answers import load_xlsx_answers

    return load_xlsx_answers(path)


# The file suffixes bythand reads answers from, and the loader of each
LOADERS: dict[str, Callable[[Path], Answers]] = {".toml": load_toml, ".json": load_json, ".xlsx": load_xlsx}


def name_in(path: Path) -> str | None:
    """The name written in an answers file that cannot be graded, if it can be read at all (for its row)."""
    if path.suffix.lower() == ".xlsx":
        from .xlsx_answers import workbook_name

        return workbook_name(path)
    try:
        text = _read_text(path)
    except BythandError:
        return None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, RecursionError):  # broken syntax elsewhere: the name line may still be plain to see
        found = re.search(r'^\s*"?name"?\s*[=:]\s*"([^"\n]*)"', text, re.M)
        return (found[1] or None) if found else None
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name else None


def load_answers(path: Path) -> Answers:
    """Read an answers file with the loader of its suffix (an unknown suffix is read as TOML)."""
    return LOADERS.get(path.suffix.lower(), load_toml)(path)
