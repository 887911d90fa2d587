"""Problem and its options: parsing and validating every way a problem comes in, in one place."""

from __future__ import annotations

import csv
import difflib
import json
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .errors import ProblemError
from .numbers import Matrix, NumberError, exact_matrix, is_exact, parse_number

Convention = Literal["columns", "rows"]
Scale = Literal["sqrt", "floor-half", "none"]
Mask = Literal["none", "causal"]

CONVENTIONS: tuple[Convention, ...] = ("columns", "rows")
SCALES: tuple[Scale, ...] = ("sqrt", "floor-half", "none")
MASKS: tuple[Mask, ...] = ("none", "causal")
GIVENS = ("X", "WQ", "WK", "WV")
PROBLEM_KEYS = ("title", "convention", *GIVENS, "options")
OPTION_KEYS = ("convention", "scale", "exp", "mask", "approx")
EXAMPLE_NAME = "self-attention-6x4"
MAX_FILE_BYTES = 5_000_000  # a problem worked by hand is tiny; refuse to read a huge file


@dataclass(frozen=True)
class Options:
    """How the walkthrough is worked: layout, scaling, exponential base and mask."""

    convention: Convention = "columns"
    scale: Scale = "sqrt"
    exp: str = "e"
    mask: Mask = "none"

    @property
    def base(self) -> int | None:
        """The integer base of the exponential, or None for e."""
        return None if self.exp == "e" else int(self.exp)


def _choices(values: tuple[str, ...]) -> str:
    return ", ".join(values[:-1]) + " or " + values[-1]


def _suggest(word: str, valid: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, valid, n=1, cutoff=0.5)
    if not close:
        close = [v for v in valid if v.lower() == word.lower().replace("_", "")]
    return f" (did you mean {close[0]}?)" if close else ""


def check_convention(value: object, where: str) -> Convention:
    """Validate a convention name."""
    if value not in CONVENTIONS:
        raise ProblemError(f"{where}: unknown convention {value!r} (choose {_choices(CONVENTIONS)})")
    return value


def check_scale(value: object, where: str) -> Scale:
    """Validate a scaling method."""
    if value not in SCALES:
        raise ProblemError(f"{where}: unknown scale {value!r} (choose {_choices(SCALES)})")
    return value


def check_exp(value: object, where: str) -> str:
    """Validate an exponential base: "e" or an integer of at least 2."""
    text = str(value).strip() if isinstance(value, int | str) and not isinstance(value, bool) else ""
    if text == "e" or (re.fullmatch(r"[0-9]+", text) and 2 <= int(text) <= 1000):
        return text if text == "e" else str(int(text))
    raise ProblemError(f"{where}: unknown exp {value!r} (choose e, or an integer base such as 3 or 2)")


def check_mask(value: object, where: str) -> Mask:
    """Validate a mask name."""
    if value not in MASKS:
        raise ProblemError(f"{where}: unknown mask {value!r} (choose {_choices(MASKS)})")
    return value


def _plural(count: int, noun: str) -> str:
    return (
        f"{count} {noun}"
        if count == 1
        else f"{count} {noun[:-1] + 'ies' if noun.endswith('y') else noun + 's'}"
    )


def _entries(count: int) -> str:
    return _plural(count, "entry")


def _shape(m: Matrix) -> str:
    return f"{m.shape[0]}×{m.shape[1]}"


def to_matrix(value: object, name: str, where: str) -> tuple[Matrix, bool]:
    """Turn nested lists or a numpy array into a matrix; say whether decimals were written."""
    if isinstance(value, np.ndarray):
        return _array_to_matrix(value, name, where)
    if not isinstance(value, list | tuple) or not value:
        kind = "empty" if isinstance(value, list | tuple) else f"a {type(value).__name__}"
        raise ProblemError(f"{where}: {name} is {kind}; write it as a list of rows, like [[1, 2], [3, 4]]")
    rows: list[list[Fraction]] = []
    decimal = False
    width = -1
    for i, row in enumerate(value, start=1):
        if not isinstance(row, list | tuple):
            raise ProblemError(
                f"{where}: {name} row {i} is not a list; write {name} as a list of rows, "
                "like [[1, 2], [3, 4]]"
            )
        if not row:
            raise ProblemError(f"{where}: {name} row {i} is empty")
        if width == -1:
            width = len(row)
        elif len(row) != width:
            raise ProblemError(
                f"{where}: {name} row {i} has {_entries(len(row))}, but row 1 has {_entries(width)}"
            )
        parsed: list[Fraction] = []
        for j, entry in enumerate(row, start=1):
            try:
                number, was_decimal = parse_number(entry)
            except NumberError as exc:
                raise ProblemError(f"{where}: {name} row {i}, column {j}: {exc}") from None
            decimal = decimal or was_decimal
            parsed.append(number)
        rows.append(parsed)
    return exact_matrix(rows), decimal


def _array_to_matrix(array: np.ndarray[Any, Any], name: str, where: str) -> tuple[Matrix, bool]:
    if array.ndim != 2:
        raise ProblemError(f"{where}: {name} must be 2-dimensional, but it has {array.ndim} dimension(s)")
    if 0 in array.shape:
        raise ProblemError(f"{where}: {name} is empty (shape {array.shape[0]}×{array.shape[1]})")
    if array.dtype == object:
        return to_matrix(array.tolist(), name, where)
    if np.issubdtype(array.dtype, np.bool_) or not np.issubdtype(array.dtype, np.number):
        raise ProblemError(f"{where}: {name} holds {array.dtype} values, not numbers")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise ProblemError(f"{where}: {name} holds complex numbers; bythand works with real numbers")
    if np.issubdtype(array.dtype, np.integer):
        return to_matrix(array.tolist(), name, where)
    floats = np.asarray(array, dtype=np.float64)
    bad = np.argwhere(~np.isfinite(floats))
    if bad.size:
        i, j = (int(k) + 1 for k in bad[0])
        raise ProblemError(f"{where}: {name} row {i}, column {j}: {floats[i - 1, j - 1]} is not allowed")
    return floats, True


MatrixLike = Matrix | Sequence[Sequence[Any]]
"""What a Problem accepts for a matrix: a numpy array or nested lists of numbers and "1/3" strings."""


@dataclass(frozen=True, init=False)
class Problem:
    """The givens of one attention head, written in `options.convention`, and how to work them."""

    X: Matrix
    WQ: Matrix
    WK: Matrix
    WV: Matrix
    title: str
    options: Options
    source: str
    decimal_input: bool

    def __init__(
        self,
        X: MatrixLike,
        WQ: MatrixLike,
        WK: MatrixLike,
        WV: MatrixLike,
        title: str = "Self-attention",
        options: Options | None = None,
        source: str = "<python>",
        decimal_input: bool = False,
    ) -> None:
        decimal = decimal_input
        for name, value in zip(GIVENS, (X, WQ, WK, WV), strict=True):
            if (
                isinstance(value, np.ndarray)
                and value.ndim == 2
                and (is_exact(value) or value.dtype == np.float64)
            ):
                matrix = value
            else:
                matrix, was_decimal = to_matrix(value, name, source)
                decimal = decimal or was_decimal
            object.__setattr__(self, name, matrix)
        object.__setattr__(self, "title", title)
        object.__setattr__(self, "options", options or Options())
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "decimal_input", decimal)
        self._check_shapes()

    @property
    def n(self) -> int:
        """The number of tokens."""
        return int(self.X.shape[1] if self.options.convention == "columns" else self.X.shape[0])

    @property
    def d_k(self) -> int:
        """The width of queries and keys."""
        return int(self.WQ.shape[0] if self.options.convention == "columns" else self.WQ.shape[1])

    @property
    def exact(self) -> bool:
        """True when every given is exact."""
        return all(is_exact(getattr(self, name)) for name in GIVENS)

    def _check_shapes(self) -> None:
        where = self.source
        columns = self.options.convention == "columns"
        d = self.X.shape[0] if columns else self.X.shape[1]
        layout = "rows" if columns else "columns"
        side = "column" if columns else "row"
        for name in ("WQ", "WK", "WV"):
            m = getattr(self, name)
            got = m.shape[1] if columns else m.shape[0]
            if got != d:
                raise ProblemError(
                    f"{where}: {name} is {_shape(m)}, but X is {_shape(self.X)} with "
                    f"{_plural(d, 'feature')} (its {layout}), so {name} needs {_plural(d, side)}"
                )
        q_width = self.WQ.shape[0] if columns else self.WQ.shape[1]
        k_width = self.WK.shape[0] if columns else self.WK.shape[1]
        if q_width != k_width:
            out = "rows" if columns else "columns"
            raise ProblemError(
                f"{where}: WQ is {_shape(self.WQ)} and WK is {_shape(self.WK)}; queries and keys need "
                f"the same width d_k, so both need the same number of {out}"
            )

    def in_convention(self, convention: Convention) -> Problem:
        """The same problem written in the other layout (every given transposed)."""
        if convention == self.options.convention:
            return self
        return replace(
            self,
            X=self.X.T.copy(),
            WQ=self.WQ.T.copy(),
            WK=self.WK.T.copy(),
            WV=self.WV.T.copy(),
            options=replace(self.options, convention=convention),
        )

    def with_options(
        self,
        *,
        convention: str | None = None,
        scale: str | None = None,
        exp: str | None = None,
        mask: str | None = None,
        approx: bool | None = None,
    ) -> Problem:
        """Override options (as command-line flags do): an explicit scale or exp beats approx."""
        opts = self.options
        if approx is not None:
            opts = (
                replace(opts, scale="floor-half", exp="3") if approx else replace(opts, scale="sqrt", exp="e")
            )
        if scale is not None:
            opts = replace(opts, scale=check_scale(scale, "--scale"))
        if exp is not None:
            opts = replace(opts, exp=check_exp(exp, "--exp"))
        if mask is not None:
            opts = replace(opts, mask=check_mask(mask, "--mask"))
        problem = replace(self, options=replace(opts, convention=self.options.convention))
        if convention is not None:
            problem = problem.in_convention(check_convention(convention, "--convention"))
        return problem


def problem_from_dict(data: dict[str, Any], source: str) -> Problem:
    """Build a Problem from the parsed contents of a TOML or JSON problem file."""
    if not isinstance(data, dict):
        raise ProblemError(f"{source}: a problem file must hold a table of keys (title, X, WQ, WK, WV, ...)")
    for key in data:
        if key not in PROBLEM_KEYS:
            raise ProblemError(
                f"{source}: unknown key {key!r}{_suggest(key, PROBLEM_KEYS)}; "
                f"valid keys are {', '.join(PROBLEM_KEYS)}"
            )
    missing = [name for name in GIVENS if name not in data]
    if missing:
        raise ProblemError(f"{source}: missing {', '.join(missing)} (a problem needs X, WQ, WK and WV)")
    raw_options = data.get("options", {})
    if not isinstance(raw_options, dict):
        raise ProblemError(f'{source}: options must be a table, like [options] with scale = "sqrt"')
    for key in raw_options:
        if key not in OPTION_KEYS:
            raise ProblemError(
                f"{source}: unknown option {key!r}{_suggest(key, OPTION_KEYS)}; "
                f"valid options are {', '.join(OPTION_KEYS)}"
            )
    conv_value = raw_options.get("convention", data.get("convention", "columns"))
    opts = Options(convention=check_convention(conv_value, f"{source}: convention"))
    approx = raw_options.get("approx")
    if approx is not None:
        if not isinstance(approx, bool):
            raise ProblemError(f"{source}: options.approx must be true or false, not {approx!r}")
        opts = replace(opts, scale="floor-half", exp="3") if approx else opts
    if "scale" in raw_options:
        opts = replace(opts, scale=check_scale(raw_options["scale"], f"{source}: options.scale"))
    if "exp" in raw_options:
        opts = replace(opts, exp=check_exp(raw_options["exp"], f"{source}: options.exp"))
    if "mask" in raw_options:
        opts = replace(opts, mask=check_mask(raw_options["mask"], f"{source}: options.mask"))
    title = data.get("title", "Self-attention")
    if not isinstance(title, str):
        raise ProblemError(f"{source}: title must be text, not {title!r}")
    return Problem(
        X=data["X"],
        WQ=data["WQ"],
        WK=data["WK"],
        WV=data["WV"],
        title=title,
        options=opts,
        source=source,
    )


def _read_text(path: Path) -> str:
    """Read a small text file, turning every way it can fail into one clear sentence."""
    if not path.exists():
        raise ProblemError(f"{path}: no such file")
    if path.is_dir():
        raise ProblemError(f"{path}: is a folder, not a file")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ProblemError(
                f"{path}: the file is {size:,} bytes; problem files are at most {MAX_FILE_BYTES:,}"
            )
        return path.read_bytes().decode("utf-8")
    except PermissionError:
        raise ProblemError(f"{path}: permission denied") from None
    except UnicodeDecodeError:
        raise ProblemError(f"{path}: not a text file (it is not valid UTF-8)") from None
    except OSError as exc:
        raise ProblemError(f"{path}: cannot read it ({exc.strerror})") from None


def parse_problem_text(text: str, source: str, kind: str) -> Problem:
    """Parse the text of a TOML or JSON problem file."""
    if kind == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ProblemError(
                f"{source}: JSON syntax error at line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from None
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ProblemError(f"{source}: TOML syntax error: {exc}") from None
    return problem_from_dict(data, source)


def load_problem(path: Path) -> Problem:
    """Load a problem file (.toml or .json; other names are tried as TOML)."""
    text = _read_text(path)
    kind = "json" if path.suffix.lower() == ".json" else "toml"
    return parse_problem_text(text, str(path), kind)


def example_text() -> str:
    """The built-in example's problem file, as shipped inside the package."""
    return resources.files("bythand").joinpath("examples", f"{EXAMPLE_NAME}.toml").read_text("utf-8")


def builtin_example() -> Problem:
    """The classic 6-3 head with 4 tokens, worked with the hand tricks."""
    return parse_problem_text(example_text(), f"built-in example {EXAMPLE_NAME}", "toml")


_ENTRY_SPLIT = re.compile(r"[\s,]+")


def parse_matrix_text(text: str, name: str) -> tuple[Matrix, bool]:
    """Parse an inline matrix: rows split by ';' or newlines, entries by spaces or commas."""
    where = f"--{name.lower()}"
    rows = [r.strip() for r in re.split(r"[;\n]", text)]
    rows = [r for r in rows if r]
    entries = [[e for e in _ENTRY_SPLIT.split(r) if e] for r in rows]
    return to_matrix(entries, name, where)


def load_matrix_file(path: Path, name: str) -> tuple[Matrix, bool]:
    """Load one matrix from a .csv or .npy file (never unpickling)."""
    where = str(path)
    if path.suffix.lower() == ".npy":
        if not path.exists():
            raise ProblemError(f"{path}: no such file (given for {name})")
        if path.is_dir():
            raise ProblemError(f"{path}: is a folder, not a file (given for {name})")
        try:
            array = np.load(path, allow_pickle=False)
        except ValueError as exc:
            if "pickle" in str(exc).lower() or "object" in str(exc).lower():
                raise ProblemError(
                    f"{path}: {name} holds Python objects; bythand loads .npy files without pickle, "
                    "so save a numeric array"
                ) from None
            raise ProblemError(f"{path}: not a valid .npy file ({exc})") from None
        except (OSError, EOFError) as exc:
            raise ProblemError(f"{path}: not a valid .npy file ({exc})") from None
        if not isinstance(array, np.ndarray):
            raise ProblemError(f"{path}: not a single array (given for {name})")
        return _array_to_matrix(array, name, where)
    text = _read_text(path)
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    entries = [[e.strip() for e in row if e.strip() != ""] for row in csv.reader(lines)]
    return to_matrix(entries, name, where)


def matrix_from_flag(value: str, name: str) -> tuple[Matrix, bool]:
    """A matrix flag's value: a path to a .csv/.npy file, or the matrix written inline."""
    stripped = value.strip()
    if stripped.lower().endswith((".csv", ".npy")):
        return load_matrix_file(Path(stripped), name)
    return parse_matrix_text(value, name)


def build_problem(
    path: Path | None,
    inline: dict[str, str | None],
    convention: str | None = None,
) -> Problem:
    """The problem the user asked for: a file, inline matrices, both, or the built-in example."""
    given = {name: text for name, text in inline.items() if text is not None}
    target = check_convention(convention, "--convention") if convention is not None else None
    if path is None and not given:
        example = builtin_example()
        return example.in_convention(target) if target else example
    if path is not None:
        base = load_problem(path)
        if target is not None:
            base = base.in_convention(target)
        values: dict[str, Any] = {name: getattr(base, name) for name in GIVENS}
        title, options, source, decimal = base.title, base.options, base.source, base.decimal_input
    else:
        missing = [n for n in GIVENS if n not in given]
        if missing:
            flags = ", ".join(f"--{n.lower()}" for n in missing)
            raise ProblemError(f"missing {', '.join(missing)}: give {flags}, or a problem file")
        values, title, source, decimal = {}, "Self-attention", "command line", False
        options = Options(convention=target or "columns")
    for name, text in given.items():
        values[name], was_decimal = matrix_from_flag(text, name)
        decimal = decimal or was_decimal
    return Problem(title=title, options=options, source=source, decimal_input=decimal, **values)


TEMPLATE = """\
# A bythand problem file: fill in the numbers, then run
#   bythand run {name}
#
# Numbers may be integers (2), decimals (-0.5) or fractions written as strings ("1/3").
title = "My attention exercise"

# "columns": tokens are the columns of X (as drawn by hand): X is d×n, WQ and WK are d_k×d,
#            WV is d_v×d; Q = W_Q·X, S = Kᵀ·Q, softmax down each column, Z = V·A.
# "rows":    tokens are the rows of X (as in PyTorch): X is n×d, WQ and WK are d×d_k,
#            WV is d×d_v; Q = X·W_Q, S = Q·Kᵀ, softmax along each row, Z = A·V.
convention = "columns"

# The feature vectors: here 4 tokens (columns) of 6 features (rows).
X = [
  [2, 0, 0, 2],
  [0, 1, 0, 0],
  [0, 2, 1, 0],
  [0, 0, 1, 1],
  [2, 0, 0, 0],
  [1, 0, 1, 1],
]

# The projections: each has one column per feature of X.
WQ = [
  [1, 1, 0, 0, 0, 0],
  [0, 1, 0, 1, 0, 0],
  [0, 0, 1, 0, 1, 1],
]
WK = [
  [0, 0, 1, 0, 0, 0],
  [0, 1, 0, 0, 0, 0],
  [1, 0, 0, 0, 0, -1],
]
WV = [
  [10, 0, 0, 0, 0, 0],
  [0, 0, 0, 10, 0, 0],
  [0, 10, 0, 0, 0, 0],
]

[options]
# scale: "sqrt" (divide by √d_k), "floor-half" (the hand trick ⌊x/2⌋ for d_k = 3), or "none".
scale = "floor-half"
# exp: "e", or an integer base such as "3" (the hand trick 3^x for e^x) or "2".
exp = "3"
# mask: "none", or "causal" (a token attends only to itself and the tokens before it).
mask = "none"
"""


def template_text(name: str) -> str:
    """A commented problem file to fill in (it runs as it is: the classic example)."""
    return TEMPLATE.format(name=name)
