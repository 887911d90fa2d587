"""Problem and its options: parsing and validating every way a problem comes in, in one place."""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from .embed import EMBED_KEYS, Embedding, make_embedding
from .errors import ProblemError
from .numbers import Matrix, NumberError, exact_matrix, is_exact, parse_number

Convention = Literal["columns", "rows"]
Scale = Literal["sqrt", "floor-half", "none"]
Mask = Literal["none", "causal"]

CONVENTIONS: tuple[Convention, ...] = ("columns", "rows")
SCALES: tuple[Scale, ...] = ("sqrt", "floor-half", "none")
MASKS: tuple[Mask, ...] = ("none", "causal")
GIVENS = ("X", "WQ", "WK", "WV")
PROBLEM_KEYS = ("title", "convention", "X", "C", "WQ", "WK", "WV", "heads", "WO", "options", *EMBED_KEYS)
OPTION_KEYS = ("convention", "scale", "exp", "mask", "approx")
EXAMPLE_NAME = "self-attention-6x4"
EXAMPLES = Path(__file__).parent / "examples"  # the ready problems, shipped inside the package
MAX_FILE_BYTES = 2_000_000  # a problem worked by hand is tiny; past this TOML alone takes over a second
MAX_BASE = 1000  # the largest integer base of the exponential
MAX_SIDE = 2048  # tokens, features or widths: the scores of 2,048 tokens are already 4 million cells
MAX_HEADS = 64


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


def suggest(word: str, valid: Sequence[str]) -> str:
    """ " (did you mean WQ?)" for a near miss: the same letters in another case first, then difflib."""
    folded = word.lower().replace("_", "")
    close = [v for v in valid if v.lower().replace("_", "") == folded]
    if not close:
        close = difflib.get_close_matches(word, list(valid), n=1, cutoff=0.5)
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
    if text == "e" or (re.fullmatch(r"[0-9]{1,6}", text) and 2 <= int(text) <= MAX_BASE):
        return text if text == "e" else str(int(text))
    if re.fullmatch(r"[0-9]+", text):
        shown = text if len(text) <= 12 else f"{text[:6]}…({len(text)} digits)"
        raise ProblemError(f"{where}: exp {shown} is out of range; an integer base is from 2 to {MAX_BASE}")
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
    if _whole(floats):  # whole numbers stored as floats (np.loadtxt, torch's default dtype): worked exactly
        return to_matrix(floats.astype(np.int64).tolist(), name, where)
    return floats, True


def from_array_like(value: Any) -> Any:
    """A framework array (a torch tensor, a JAX array: anything with __array__) as a numpy array."""
    if isinstance(value, np.ndarray) or not hasattr(value, "__array__"):
        return value
    if hasattr(value, "detach"):  # a torch tensor that requires grad refuses __array__ until detached
        value = value.detach().cpu()
    return np.asarray(value)


class ArrayLike(Protocol):
    """Anything numpy can read as an array: a torch tensor, a JAX array."""

    def __array__(self, *args: Any, **kwargs: Any) -> Any: ...


MatrixLike = Matrix | Sequence[Sequence[Any]] | ArrayLike
"""What a Problem accepts for a matrix: a numpy array or nested lists of numbers and "1/3" strings."""


def _matrix(value: MatrixLike, name: str, where: str) -> tuple[Matrix, bool]:
    """A validated matrix (arrays already in the domain pass through) and whether decimals were written."""
    value = from_array_like(value)
    if isinstance(value, np.ndarray) and value.dtype == np.float64 and _whole(value):
        value = value.astype(np.int64)  # whole numbers stored as floats (np.loadtxt, torch): worked exactly
    if isinstance(value, np.ndarray) and value.ndim == 2 and (is_exact(value) or value.dtype == np.float64):
        if 0 in value.shape:
            raise ProblemError(f"{where}: {name} is empty (shape {value.shape[0]}×{value.shape[1]})")
        return _within_caps(value, name, where), False
    if isinstance(value, list | tuple) and len(value) > MAX_SIDE:  # refused before parsing every cell
        raise ProblemError(
            f"{where}: {name} has {len(value):,} rows; bythand works with at most {MAX_SIDE:,}"
        )
    matrix, decimal = to_matrix(value, name, where)
    return _within_caps(matrix, name, where), decimal


def _whole(array: np.ndarray[Any, Any]) -> bool:
    """Finite whole numbers small enough to be integers exactly."""
    with np.errstate(invalid="ignore"):
        finite = bool(np.all(np.isfinite(array)))
        return finite and bool(np.all(array == np.round(array)) and np.all(np.abs(array) <= 2.0**53))


def _within_caps(m: Matrix, name: str, where: str) -> Matrix:
    """Refuse a matrix past MAX_SIDE rows or columns: its scores alone would be n² cells."""
    for count, what in ((m.shape[0], "rows"), (m.shape[1], "columns")):
        if count > MAX_SIDE:
            raise ProblemError(
                f"{where}: {name} has {count:,} {what}; bythand works with at most {MAX_SIDE:,}"
            )
    return m


def _given_x(
    X: MatrixLike | None, embedding: Embedding | None, columns: bool, where: str
) -> tuple[Matrix, bool]:
    """X as given, or made from its parts (step 0): when both come, they must agree."""
    if embedding is None:
        if X is None:
            raise ProblemError(f"{where}: missing X (a problem needs X, WQ, WK and WV)")
        return _matrix(X, "X", where)
    if embedding.columns != columns:
        raise ProblemError(f"{where}: the embedding is written in the other convention than the problem")
    made = embedding.X
    if X is not None:
        x, was = _matrix(X, "X", where)
        if x.shape != made.shape or not all(a == b for a, b in zip(x.flat, made.flat, strict=True)):
            raise ProblemError(f"{where}: give either X or the tokens it is made from, not both")
        return x, was
    return made, False


@dataclass(frozen=True)
class Head:
    """One attention head's projections W_Q, W_K, W_V."""

    WQ: Matrix
    WK: Matrix
    WV: Matrix

    def transposed(self) -> Head:
        """The same head written in the other convention."""
        return Head(self.WQ.T.copy(), self.WK.T.copy(), self.WV.T.copy())


HeadsLike = int | Sequence[Head | Mapping[str, MatrixLike]]


@dataclass(frozen=True, init=False)
class Problem:
    """The givens of an attention layer, written in `options.convention`, and how to work them.

    One head: X, WQ, WK, WV. Cross-attention: a context C gives the keys and values.
    Multi-head: `heads` as a list of {WQ, WK, WV}, or an int h that splits one WQ/WK/WV into h
    equal blocks (of rows in columns, of columns in rows), with an optional output projection WO.
    `options` is an Options or a dict ({"scale": "none", "exp": "2"}); `convention="rows"` says the
    matrices are written with tokens as rows.
    """

    X: Matrix
    heads: tuple[Head, ...]
    C: Matrix | None
    WO: Matrix | None
    title: str
    options: Options
    source: str
    decimal_input: bool
    split: bool
    embedding: Embedding | None

    def __init__(
        self,
        X: MatrixLike | None = None,
        WQ: MatrixLike | None = None,
        WK: MatrixLike | None = None,
        WV: MatrixLike | None = None,
        title: str = "Self-attention",
        options: Options | Mapping[str, Any] | None = None,
        source: str = "<python>",
        decimal_input: bool = False,
        *,
        C: MatrixLike | None = None,
        heads: HeadsLike | None = None,
        WO: MatrixLike | None = None,
        split: bool = False,
        convention: str | None = None,
        embedding: Embedding | None = None,
    ) -> None:
        opts = _options_from(options, source)
        if convention is not None:
            opts = replace(opts, convention=check_convention(convention, f"{source}: convention"))
        decimal = decimal_input
        x, was = _given_x(X, embedding, opts.convention == "columns", source)
        decimal |= was
        c: Matrix | None = None
        if C is not None:
            c, was = _matrix(C, "C", source)
            decimal |= was
        wo: Matrix | None = None
        if WO is not None:
            wo, was = _matrix(WO, "WO", source)
            decimal |= was
        weights = (WQ, WK, WV)
        parsed: list[Head] = []
        if heads is None or isinstance(heads, int):
            missing = [n for n, w in zip(("WQ", "WK", "WV"), weights, strict=True) if w is None]
            if missing:
                raise ProblemError(
                    f"{source}: missing {', '.join(missing)} (a problem needs X, WQ, WK and WV)"
                )
            ws = []
            for name, w in zip(("WQ", "WK", "WV"), weights, strict=True):
                m, was = _matrix(w, name, source)  # type: ignore[arg-type]
                decimal |= was
                ws.append(m)
            count = 1 if heads is None else heads
            parsed = _split(Head(*ws), count, opts.convention, source)
            split = split or count > 1
        else:
            if any(w is not None for w in weights):
                raise ProblemError(f"{source}: give either WQ, WK, WV or a list of heads, not both")
            if not heads:
                raise ProblemError(f"{source}: heads is empty; give at least one head with WQ, WK and WV")
            if len(heads) > MAX_HEADS:
                raise ProblemError(
                    f"{source}: {len(heads):,} heads; bythand works with at most {MAX_HEADS} heads"
                )
            for i, head in enumerate(heads, start=1):
                if isinstance(head, Head):
                    parsed.append(head)
                    continue
                ws = []
                for name in ("WQ", "WK", "WV"):
                    if not isinstance(head, Mapping) or name not in head:
                        raise ProblemError(
                            f"{source}: head {i} has no {name} (each head needs WQ, WK and WV)"
                        )
                    m, was = _matrix(head[name], f"h{i}.{name}", source)
                    decimal |= was
                    ws.append(m)
                parsed.append(Head(*ws))
        for name, value in (
            ("X", x),
            ("heads", tuple(parsed)),
            ("C", c),
            ("WO", wo),
            ("title", title),
            ("options", opts),
            ("source", source),
            ("decimal_input", decimal),
            ("split", split),
            ("embedding", embedding),
        ):
            object.__setattr__(self, name, value)
        self._check_shapes()

    def __repr__(self) -> str:
        o = self.options
        d = self.X.shape[0] if self.columns else self.X.shape[1]
        heads = f", {len(self.heads)} heads" if len(self.heads) > 1 else ""
        context = f", {self.n_keys} context tokens" if self.C is not None else ""
        return (
            f"<Problem {self.title!r}: {d} features, {self.n} tokens{context}, d_k = {self.d_k}{heads}; "
            f"{o.convention}, scale {o.scale}, exp {o.exp}, mask {o.mask}>"
        )

    @property
    def WQ(self) -> Matrix:
        """W_Q of a one-head problem."""
        return self._only().WQ

    @property
    def WK(self) -> Matrix:
        """W_K of a one-head problem."""
        return self._only().WK

    @property
    def WV(self) -> Matrix:
        """W_V of a one-head problem."""
        return self._only().WV

    def _only(self) -> Head:
        if len(self.heads) != 1:
            raise AttributeError("this problem has several heads; use problem.heads")
        return self.heads[0]

    @property
    def columns(self) -> bool:
        """True in the columns convention (tokens as columns)."""
        return self.options.convention == "columns"

    def prefix(self, index: int) -> str:
        """The name prefix of head `index` (0-based): "" for one head, else "h1.", "h2.", ..."""
        return "" if len(self.heads) == 1 else f"h{index + 1}."

    @property
    def n(self) -> int:
        """The number of tokens (queries)."""
        return int(self.X.shape[1] if self.columns else self.X.shape[0])

    @property
    def n_keys(self) -> int:
        """The number of keys: the context's tokens in cross-attention, else n."""
        source = self.X if self.C is None else self.C
        return int(source.shape[1] if self.columns else source.shape[0])

    def d_k_of(self, head: Head) -> int:
        """The width of a head's queries and keys."""
        return int(head.WQ.shape[0] if self.columns else head.WQ.shape[1])

    @property
    def d_k(self) -> int:
        """The width of queries and keys (of the first head)."""
        return self.d_k_of(self.heads[0])

    @property
    def exact(self) -> bool:
        """True when every given is exact."""
        ms = [self.X, *(m for h in self.heads for m in (h.WQ, h.WK, h.WV))]
        ms += [m for m in (self.C, self.WO) if m is not None]
        return all(is_exact(m) for m in ms)

    def _check_shapes(self) -> None:
        where = self.source
        columns = self.columns
        layout = "rows" if columns else "columns"
        side = "column" if columns else "row"
        out = "rows" if columns else "columns"

        def features(m: Matrix) -> int:
            return int(m.shape[0] if columns else m.shape[1])

        for i, head in enumerate(self.heads):
            prefix = self.prefix(i)
            for name, m, given, given_name in (
                ("WQ", head.WQ, self.X, "X"),
                ("WK", head.WK, self.X if self.C is None else self.C, "X" if self.C is None else "C"),
                ("WV", head.WV, self.X if self.C is None else self.C, "X" if self.C is None else "C"),
            ):
                d = features(given)
                got = m.shape[1] if columns else m.shape[0]
                if got != d:
                    raise ProblemError(
                        f"{where}: {prefix}{name} is {_shape(m)}, but {given_name} is {_shape(given)} with "
                        f"{_plural(d, 'feature')} (its {layout}), so {prefix}{name} needs {_plural(d, side)}"
                    )
            q_width = head.WQ.shape[0] if columns else head.WQ.shape[1]
            k_width = head.WK.shape[0] if columns else head.WK.shape[1]
            if q_width != k_width:
                raise ProblemError(
                    f"{where}: {prefix}WQ is {_shape(head.WQ)} and {prefix}WK is {_shape(head.WK)}; queries "
                    f"and keys need the same width d_k, so both need the same number of {out}"
                )
        if self.WO is not None:
            width = sum(int(h.WV.shape[0] if columns else h.WV.shape[1]) for h in self.heads)
            got = self.WO.shape[1] if columns else self.WO.shape[0]
            if got != width:
                what = (
                    f"the heads' values stacked have {_plural(width, out[:-1])} (h·d_v)"
                    if len(self.heads) > 1
                    else f"V has d_v = {width}"
                )
                raise ProblemError(
                    f"{where}: WO is {_shape(self.WO)}, but {what}, so WO needs {_plural(width, side)}"
                )
        if self.options.mask == "causal" and self.n_keys != self.n:
            raise ProblemError(
                f"{where}: a causal mask needs as many keys as queries, but the context C has "
                f"{self.n_keys} tokens and X has {self.n}; use mask none for this cross-attention"
            )

    def in_convention(self, convention: Convention) -> Problem:
        """The same problem written in the other layout (every given transposed)."""
        if convention == self.options.convention:
            return self
        return replace(
            self,
            X=self.X.T.copy(),
            heads=tuple(h.transposed() for h in self.heads),
            C=None if self.C is None else self.C.T.copy(),
            WO=None if self.WO is None else self.WO.T.copy(),
            embedding=None if self.embedding is None else self.embedding.transposed(),
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


def _options_from(options: Options | Mapping[str, Any] | None, where: str) -> Options:
    """Options as given to Problem: an Options, or a dict such as {"scale": "none", "exp": "2"}."""
    if options is None or isinstance(options, Options):
        return options or Options()
    if not isinstance(options, Mapping):
        raise ProblemError(f"{where}: options must be a dict such as {{'scale': 'none'}}, not {options!r}")
    for key in options:
        if key not in OPTION_KEYS:
            raise ProblemError(
                f"{where}: unknown option {key!r}{suggest(str(key), OPTION_KEYS)}; options are "
                f"{', '.join(OPTION_KEYS)}"
            )
    opts = Options()
    approx = options.get("approx")
    if approx is not None:
        if not isinstance(approx, bool):
            raise ProblemError(f"{where}: approx must be True or False, not {approx!r}")
        opts = replace(opts, scale="floor-half", exp="3") if approx else replace(opts, scale="sqrt", exp="e")
    if "convention" in options:
        opts = replace(opts, convention=check_convention(options["convention"], f"{where}: convention"))
    if "scale" in options:
        opts = replace(opts, scale=check_scale(options["scale"], f"{where}: scale"))
    if "exp" in options:
        opts = replace(opts, exp=check_exp(options["exp"], f"{where}: exp"))
    if "mask" in options:
        opts = replace(opts, mask=check_mask(options["mask"], f"{where}: mask"))
    return opts


def _split(head: Head, count: int, convention: str, where: str) -> list[Head]:
    """Split one head's projections into `count` equal blocks, the way PyTorch does."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ProblemError(f"{where}: heads must be a whole number of at least 1, not {count!r}")
    if count > MAX_HEADS:
        raise ProblemError(f"{where}: heads is {count:,}; bythand works with at most {MAX_HEADS} heads")
    if count == 1:
        return [head]
    axis = 0 if convention == "columns" else 1
    what = "rows" if axis == 0 else "columns"
    for name, m in (("WQ", head.WQ), ("WK", head.WK), ("WV", head.WV)):
        if m.shape[axis] % count:
            raise ProblemError(
                f"{where}: {name} has {m.shape[axis]} {what}, which do not split into {count} equal heads"
            )
    blocks = [np.split(m, count, axis=axis) for m in (head.WQ, head.WK, head.WV)]
    return [Head(q.copy(), k.copy(), v.copy()) for q, k, v in zip(*blocks, strict=True)]


def problem_from_dict(data: dict[str, Any], source: str) -> Problem:
    """Build a Problem from the parsed contents of a TOML or JSON problem file."""
    if not isinstance(data, dict):
        raise ProblemError(f"{source}: a problem file must hold a table of keys (title, X, WQ, WK, WV, ...)")
    for key in data:
        if key in OPTION_KEYS and key != "convention":
            raise ProblemError(f"{source}: {key} is an option; put it under [options] (after the matrices)")
        if key not in PROBLEM_KEYS:
            raise ProblemError(
                f"{source}: unknown key {key!r}{suggest(key, PROBLEM_KEYS)}; "
                f"valid keys are {', '.join(PROBLEM_KEYS)}"
            )
    heads = data.get("heads")
    embedded = any(key in data for key in EMBED_KEYS)
    if "X" not in data and not embedded:
        raise ProblemError(f"{source}: missing X (a problem needs X, WQ, WK and WV)")
    if "X" in data and embedded:
        raise ProblemError(
            f"{source}: give either X or the tokens it is made from (tokens, embeddings, positions), not both"
        )
    if isinstance(heads, list):
        for i, head in enumerate(heads, start=1):
            if not isinstance(head, dict):
                raise ProblemError(f"{source}: head {i} must be a table with WQ, WK and WV")
            for key in head:
                if key not in ("WQ", "WK", "WV"):
                    raise ProblemError(
                        f"{source}: head {i} has an unknown key {key!r}{suggest(key, ('WQ', 'WK', 'WV'))}; "
                        "a head has WQ, WK and WV"
                    )
    elif heads is not None and (isinstance(heads, bool) or not isinstance(heads, int)):
        raise ProblemError(
            f"{source}: heads must be a number (to split WQ, WK, WV) or a list of [[heads]] tables"
        )
    else:
        missing = [name for name in ("WQ", "WK", "WV") if name not in data]
        if missing:
            raise ProblemError(f"{source}: missing {', '.join(missing)} (a problem needs X, WQ, WK and WV)")
    raw_options = data.get("options", {})
    if not isinstance(raw_options, dict):
        raise ProblemError(f'{source}: options must be a table, like [options] with scale = "sqrt"')
    for key in raw_options:
        if key not in OPTION_KEYS:
            raise ProblemError(
                f"{source}: unknown option {key!r}{suggest(key, OPTION_KEYS)}; "
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
    embedding, embed_decimal = (None, False)
    if embedded:
        embedding, embed_decimal = _embedding_from_dict(data, opts.convention == "columns", source)
    return Problem(
        X=data.get("X"),
        embedding=embedding,
        decimal_input=embed_decimal,
        WQ=data.get("WQ"),
        WK=data.get("WK"),
        WV=data.get("WV"),
        C=data.get("C"),
        WO=data.get("WO"),
        heads=heads,
        title=title,
        options=opts,
        source=source,
    )


def _embedding_from_dict(data: dict[str, Any], columns: bool, source: str) -> tuple[Embedding, bool]:
    """Step 0's parts from a problem file: tokens with embeddings (or embedding and token_ids), positions."""
    if "tokens" not in data and "token_ids" not in data:
        raise ProblemError(
            f'{source}: X is made from tokens: give tokens = ["Write", "a", "poem"] (or token_ids)'
        )
    return make_embedding(
        tokens=data.get("tokens"),
        embeddings=data.get("embeddings"),
        embedding=data.get("embedding"),
        token_ids=data.get("token_ids"),
        positions=data.get("positions"),
        position_base=data.get("position_base"),
        P=data.get("P"),
        columns=columns,
        where=source,
    )


def read_file(path: Path, limit: int = MAX_FILE_BYTES, what: str = "problem files") -> bytes:
    """The bytes of a regular file of at most `limit` bytes, refused before reading otherwise: a FIFO or
    a device (/dev/zero) would block or never end, and a huge file is no hand-sized problem."""
    import os
    import stat

    if not str(path):  # the command line turns "" into an error earlier; this is for the library
        raise ProblemError("the path is empty; give a file name")
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise ProblemError(f"{path}: is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise ProblemError(f"{path}: is not a regular file (a pipe or a device); give a file")
        if info.st_size > limit:
            raise ProblemError(f"{path}: the file is {info.st_size:,} bytes; {what} are at most {limit:,}")
        # O_NONBLOCK: should the name be swapped for a FIFO after the check, opening it cannot hang
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise ProblemError(f"{path}: is not a regular file (a pipe or a device); give a file")
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise ProblemError(f"{path}: no such file") from None
    except PermissionError:
        raise ProblemError(f"{path}: permission denied") from None
    except OSError as exc:
        raise ProblemError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if len(data) > limit:  # it grew after the check
        raise ProblemError(f"{path}: the file is over {limit:,} bytes; {what} are at most {limit:,}")
    return data


def _read_text(path: Path, what: str = "problem files") -> str:
    """Read a small text file (a UTF-8 byte-order mark is fine), every failure one clear sentence."""
    try:
        return read_file(path, what=what).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProblemError(f"{path}: not a text file (it is not valid UTF-8)") from None


def unreadable(exc: BaseException) -> str:
    """Why a parser gave up on text that is syntactically fine: too deep, or a number too long."""
    if isinstance(exc, RecursionError):
        return "the brackets nest too deeply to read"
    return f"a number is too long to read ({_one_line(exc)})"


def parse_problem_text(text: str, source: str, kind: str) -> Problem:
    """Parse the text of a TOML or JSON problem file."""
    if kind == "json":
        import json  # loaded for JSON files only: every start-up millisecond counts

        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ProblemError(
                f"{source}: JSON syntax error at line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from None
        except (ValueError, RecursionError) as exc:
            raise ProblemError(f"{source}: {unreadable(exc)}") from None
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ProblemError(f"{source}: TOML syntax error: {exc}") from None
        except (ValueError, RecursionError) as exc:
            raise ProblemError(f"{source}: {unreadable(exc)}") from None
    return problem_from_dict(data, source)


def load_problem(path: str | Path) -> Problem:
    """Load a problem file (.toml or .json; other names are tried as TOML), named by a str or a Path."""
    if not isinstance(path, str | Path):
        raise ProblemError(f"load_problem takes a file name (a str or a Path), not {type(path).__name__}")
    path = Path(path)
    text = _read_text(path)
    kind = "json" if path.suffix.lower() == ".json" else "toml"
    return parse_problem_text(text, str(path), kind)


def example_names() -> list[str]:
    """The ready problems shipped inside the package (the same as worksheets/ in a checkout)."""
    return sorted(f.name.removesuffix(".toml") for f in EXAMPLES.iterdir() if f.name.endswith(".toml"))


def example_text(name: str = EXAMPLE_NAME) -> str:
    """A ready problem's file, as shipped inside the package."""
    names = example_names()
    if name not in names:
        raise ProblemError(
            f"unknown example {name!r}{suggest(name, tuple(names))}; `bythand examples` lists them"
        )
    return (EXAMPLES / f"{name}.toml").read_text("utf-8")


def load_example(name: str) -> Problem:
    """A ready problem by name."""
    source = "built-in example" if name == EXAMPLE_NAME else "example"
    return parse_problem_text(example_text(name), f"{source} {name}", "toml")


def builtin_example() -> Problem:
    """The classic 6-3 head with 4 tokens, worked with the hand tricks."""
    return load_example(EXAMPLE_NAME)


_ENTRY_SPLIT = re.compile(r"[\s,]+")


_INNER_BRACKETS = re.compile(r"\[([^\[\]]*)\]")


def _bracketed_rows(text: str, name: str, where: str) -> list[str]:
    """The rows of "1 2; 3 4", of [[1, 2], [3, 4]] (Python) and of [1 2; 3 4] (MATLAB)."""
    body = text.strip().rstrip(";,").rstrip()  # a trailing ; or , as MATLAB or a pasted line leaves it
    if "[" not in body and "]" not in body:
        return re.split(r"[;\n]", body)
    unpaired = ProblemError(
        f"{where}: {name}: the brackets do not pair up as rows; write [[1, 2], [3, 4]] or 1 2; 3 4"
    )
    if not (body.startswith("[") and body.endswith("]")):
        raise unpaired
    inner = body[1:-1]
    if "[" not in inner and "]" not in inner:  # [1 2; 3 4], or one row [1, 0]
        return re.split(r"[;\n]", inner)
    rows = _INNER_BRACKETS.findall(inner)
    between = _INNER_BRACKETS.sub("", inner)  # [[1, 2], [3, 4]]: only commas may be left between the rows
    if between.strip(" ,;\t\r\n") or any(";" in row for row in rows):
        raise unpaired
    for i, row in enumerate(rows, 1):
        if not row.strip(" ,\t\r\n"):  # [] written as a row is a slip, not a row to skip
            raise ProblemError(f"{where}: {name} row {i} is empty")
    return rows


def parse_matrix_text(text: str, name: str) -> tuple[Matrix, bool]:
    """Parse an inline matrix: rows split by ';' or newlines, entries by spaces or commas, or bracketed."""
    where = "--context" if name == "C" else f"--{name.lower()}"
    rows = [r.strip() for r in _bracketed_rows(text, name, where)]
    rows = [r for r in rows if r]
    entries = [[e for e in _ENTRY_SPLIT.split(r) if e] for r in rows]
    return to_matrix(entries, name, where)


def _npy_array(data: bytes, path: Path, name: str) -> np.ndarray[Any, Any]:
    """The array of a .npy file's bytes, its header checked against the bytes there really are before
    anything is allocated (a header that claims 10⁹ rows must not make numpy reserve them)."""
    import io
    import math as _math

    from numpy.lib import format as npy

    buffer = io.BytesIO(data)
    try:
        version = npy.read_magic(buffer)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f"format version {version[0]}.{version[1]} is not supported")
        read_header = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
        shape, fortran, dtype = read_header(buffer)
    except (ValueError, SyntaxError, EOFError, TypeError, OverflowError, RecursionError, MemoryError) as exc:
        raise ProblemError(f"{path}: not a valid .npy file ({_one_line(exc)})") from None
    if dtype.hasobject:
        raise ProblemError(
            f"{path}: {name} holds Python objects; bythand loads .npy files without pickle, "
            "so save a numeric array"
        )
    needed = _math.prod(shape) * dtype.itemsize
    there = len(data) - buffer.tell()
    if needed != there:
        raise ProblemError(
            f"{path}: not a valid .npy file (its header says shape {tuple(shape)} of {dtype}, "
            f"{needed:,} bytes, but the file holds {there:,})"
        )
    flat = np.frombuffer(data, dtype=dtype, count=_math.prod(shape), offset=buffer.tell())
    return flat.reshape(shape, order="F" if fortran else "C")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]


def _csv_rows(text: str, path: Path, name: str) -> list[list[str]]:
    """The cells of a CSV matrix: comma-separated, or (as numpy.savetxt writes) separated by blanks."""
    import csv

    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not any("," in ln for ln in lines):  # no comma anywhere: the cells are separated by blanks
        return [ln.split() for ln in lines]
    try:
        rows = list(csv.reader(lines))
    except csv.Error as exc:
        raise ProblemError(f"{path}: {name}: not a CSV file this can read ({_one_line(exc)})") from None
    for i, row in enumerate(rows, start=1):
        while len(row) > 1 and not row[-1].strip():  # a trailing comma, as some spreadsheets write
            row.pop()
        for j, entry in enumerate(row, start=1):
            if not entry.strip():
                raise ProblemError(f"{path}: {name} row {i}, column {j} is empty; write a number there")
            if len(entry.split()) > 1:
                raise ProblemError(
                    f"{path}: {name} row {i}, column {j}: {entry.strip()[:40]!r} holds several numbers; "
                    "separate the cells all with commas or all with blanks"
                )
    return [[e.strip() for e in row] for row in rows]


def load_matrix_file(path: Path, name: str) -> tuple[Matrix, bool]:
    """Load one matrix from a .csv or .npy file (never unpickling), read whole and bounded first."""
    where = str(path)
    try:
        data = read_file(path, what="matrix files")
    except ProblemError as exc:
        raise ProblemError(f"{exc} (given for {name})") from None
    if path.suffix.lower() == ".npy":
        return _array_to_matrix(_npy_array(data, path, name), name, where)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProblemError(f"{path}: not a text file (it is not valid UTF-8) (given for {name})") from None
    return to_matrix(_csv_rows(text, path, name), name, where)


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
    heads: int | None = None,
) -> Problem:
    """The problem the user asked for: a file, inline matrices, both, or the built-in example."""
    given = {name: text for name, text in inline.items() if text is not None}
    target = check_convention(convention, "--convention") if convention is not None else None
    values: dict[str, Any] = {}
    if path is not None or not given:
        base = load_problem(path) if path is not None else builtin_example()
        if target is not None:
            base = base.in_convention(target)
        if len(base.heads) == 1:
            values.update(WQ=base.WQ, WK=base.WK, WV=base.WV)
        elif given.keys() & {"WQ", "WK", "WV"}:
            raise ProblemError(
                f"{base.source}: has {len(base.heads)} heads; --wq, --wk, --wv cannot replace them"
            )
        else:
            values.update(heads=base.heads, split=base.split)
        values.update(X=base.X, C=base.C, WO=base.WO)
        if base.embedding is not None and "X" not in given:
            values.update(X=None, embedding=base.embedding)  # step 0 stays: X is still made from tokens
        title, options, source, decimal = base.title, base.options, base.source, base.decimal_input
    else:
        missing = [n for n in GIVENS if n not in given]
        if missing:
            flags = ", ".join(f"--{n.lower()}" for n in missing)
            raise ProblemError(f"missing {', '.join(missing)}: give {flags}, or a problem file")
        title, source, decimal = "Self-attention", "command line", False
        options = Options(convention=target or "columns")
    for name, text in given.items():
        values[name], was_decimal = matrix_from_flag(text, name)
        decimal = decimal or was_decimal
    if heads is not None:
        if "heads" in values:
            raise ProblemError(f"{source}: already lists its heads; --heads splits a single WQ, WK, WV")
        values["heads"] = heads
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
    """A problem file to fill in (it runs as it is: the classic example): commented TOML, or JSON for a
    .json name (JSON has no comments); another suffix is refused, so no file holds the wrong format."""
    suffix = Path(name).suffix.lower()
    if suffix not in ("", ".toml", ".json"):
        raise ProblemError(f"{name}: problem files are .toml or .json, not {suffix}")
    text = TEMPLATE.format(name=name)
    return json_file_text(tomllib.loads(text)) if suffix == ".json" else text


def json_file_text(data: Mapping[str, Any]) -> str:
    """A problem or answers file as JSON a person can edit: one key a line, one matrix row a line."""
    import json

    def value(v: Any, indent: str) -> str:
        if isinstance(v, list) and v and all(isinstance(row, list) for row in v):
            rows = ",\n".join(f"{indent}  {json.dumps(row, ensure_ascii=False)}" for row in v)
            return f"[\n{rows}\n{indent}]"
        if isinstance(v, Mapping):
            items = ",\n".join(f"{indent}  {json.dumps(k)}: {value(x, indent + '  ')}" for k, x in v.items())
            return "{\n" + items + f"\n{indent}}}"
        return json.dumps(v, ensure_ascii=False)

    return value(data, "") + "\n"
