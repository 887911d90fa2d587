"""The nine steps of self-attention, worked as by hand: walk(problem) -> Trace. No printing here."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from .captions import floor_half_note, scale_caption
from .embed import add
from .errors import ProblemError
from .numbers import Matrix, is_exact, matmul, to_float
from .problem import Head, Options, Problem

MASKED = float("-inf")  # a masked score; the only infinity a trace ever holds
EXP_LIMIT = 709.0  # e^709 is near the float maximum; past it e^x (or b^x) cannot be shown


@dataclass(frozen=True)
class Product:
    """result = left · right, drawn by hand as a cross: left operand left, right operand above."""

    left: str
    right: str
    result: str


@dataclass(frozen=True)
class Step:
    """One step of the walkthrough: its number, title, formula and the matrices it produces."""

    number: int
    title: str
    formula: str
    names: tuple[str, ...]
    products: tuple[Product, ...] = ()


@dataclass
class Trace:
    """Every matrix of the walkthrough, in order, with the steps that made them."""

    problem: Problem
    steps: list[Step]
    matrices: dict[str, Matrix]
    notes: list[str] = field(default_factory=list)
    output: str = "Z"

    def __getitem__(self, name: str) -> Matrix:
        try:
            return self.matrices[name]
        except KeyError:
            from .api import missing_matrix

            raise missing_matrix(self, name) from None

    def __repr__(self) -> str:
        from .api import trace_repr

        return trace_repr(self)

    def show(self, steps: str | int | list[int] | None = None, layout: str = "steps", **options: Any) -> None:
        """Print the coloured steps (only `steps`: "A", "S-A", 4), or layout="sheet", to the terminal."""
        from .api import show

        show(self, steps, layout, **options)

    def table(self, name: str) -> Any:
        """The matrix `name` shown as a student writes it (9/46), its rows and columns labelled."""
        from .api import Table

        self[name]  # the error that names the matrices there are
        return Table(self, name)

    @property
    def options(self) -> Options:
        """The options the trace was worked with."""
        return self.problem.options

    @property
    def exact(self) -> bool:
        """True when every matrix is exact (fractions all the way)."""
        return all(is_exact(m) for m in self.matrices.values())

    def _repr_html_(self) -> str:
        """The coloured steps in a Jupyter notebook."""
        from .render.export import to_html  # imported late: renderers depend on walk, not the reverse

        return to_html(self, fragment=True)

    def step(self, number: int) -> Step:
        """The step with this number."""
        for s in self.steps:
            if s.number == number:
                return s
        raise KeyError(number)


# Step 2: Query, Key, Value


def project(X: Matrix, C: Matrix | None, head: Head, convention: str) -> tuple[Matrix, Matrix, Matrix]:
    """Q, K, V: W·X with tokens as columns, X·W with tokens as rows; K and V from C if given."""
    source = X if C is None else C  # cross-attention: keys and values come from the context
    X, source, WQ, WK, WV = _common(X, source, head.WQ, head.WK, head.WV)
    if convention == "columns":
        return matmul(WQ, X), matmul(WK, source), matmul(WV, source)  # (d_k, d)·(d, n) -> (d_k, n)
    return matmul(X, WQ), matmul(source, WK), matmul(source, WV)  # (n, d)·(d, d_k) -> (n, d_k)


# Steps 3 and 4: Prepare for MatMul, MatMul


def scores(Q: Matrix, K: Matrix, convention: str) -> tuple[Matrix, Matrix]:
    """Kᵀ and the scores S: S[i,j] = k_i·q_j (columns) or q_i·k_j (rows)."""
    KT = K.T.copy()
    if convention == "columns":
        return KT, matmul(KT, Q)  # (n, d_k) @ (d_k, n) -> (n, n), row = key, column = query
    return KT, matmul(Q, KT)  # (n, d_k) @ (d_k, n) -> (n, n), row = query, column = key


# Step 5: Scale (and mask)


def scale(S: Matrix, method: str, d_k: int) -> Matrix:
    """S/√d_k (exact when d_k is a perfect square), the hand trick ⌊S/2⌋, or S unchanged."""
    if method == "none":
        return S.copy()
    if method == "floor-half":
        if is_exact(S):
            return _map(S, lambda v: Fraction(math.floor(v / 2)))
        return np.floor(S / 2.0)
    root = math.isqrt(d_k)
    if is_exact(S) and root * root == d_k:
        return _map(S, lambda v: v / root)
    return to_float(S) / math.sqrt(d_k)


def causal(scaled: Matrix, convention: str) -> Matrix:
    """Mask every key that comes after its query with −∞ (key i > query j in columns)."""
    out = scaled.copy()
    n = out.shape[0]
    for i in range(n):
        for j in range(n):
            key, query = (i, j) if convention == "columns" else (j, i)
            if key > query:
                out[i, j] = MASKED
    return out


# Step 6: Softmax: exp


def exponentiate(scaled: Matrix, base: int | None, prefix: str = "", method: str = "sqrt") -> Matrix:
    """E = base^x (exact for an integer base and integer x) or e^x; −∞ becomes 0."""
    log_base = 1.0 if base is None else math.log(base)
    hint = (
        "use smaller inputs" if method != "none" else "scale the scores (--scale sqrt) or use smaller inputs"
    )
    cells = np.ndenumerate(scaled) if is_exact(scaled) else _suspects(scaled, log_base)
    for (i, j), v in cells:
        try:
            x = float(v)
        except OverflowError:  # a Fraction beyond the float range
            x = math.inf
        if math.isnan(x) or (math.isinf(x) and x != MASKED):
            raise ProblemError(
                f"{prefix}scaled[{i + 1},{j + 1}] is beyond the floating-point range; use smaller inputs"
            )
        if x != MASKED and x * log_base > EXP_LIMIT:
            power = "e" if base is None else str(base)
            raise ProblemError(
                f"{prefix}scaled[{i + 1},{j + 1}] = {_short(x)}: {power}^{_short(x)} is too large to compute "
                f"or write down; {hint}"
            )
    # An exact power only while it can be written down: 3^-1000000 is computed as a float (≈ 0) instead.
    if (
        base is not None
        and is_exact(scaled)
        and all(v == MASKED or _small_integer(v, log_base) for v in scaled.flat)
    ):
        return _map(scaled, lambda v: Fraction(0) if v == MASKED else Fraction(base) ** int(v))
    with np.errstate(under="ignore"):
        return np.exp(to_float(scaled) * log_base)  # e^(−∞) = 0 for masked cells


# Steps 7 and 8: Softmax: Σ, Softmax: 1/sum


def softmax_sums(E: Matrix, convention: str) -> Matrix:
    """The sum of each column of E (1 × n) in columns, of each row (n × 1) in rows."""
    axis = 0 if convention == "columns" else 1
    sums: Matrix = E.sum(axis=axis, keepdims=True)
    return sums


def normalise(E: Matrix, sums: Matrix, scaled: Matrix, base: int | None, convention: str) -> Matrix:
    """A = E / sums; in floats, computed stably from the scaled scores (the same values, no 0/0)."""
    if is_exact(E):
        exact: Matrix = E / sums  # exact Fractions: every column (row) sums to exactly 1
        return exact
    axis = 0 if convention == "columns" else 1
    x = to_float(scaled) * (1.0 if base is None else math.log(base))
    shifted = np.exp(x - x.max(axis=axis, keepdims=True))  # the largest term becomes e^0 = 1
    weights: Matrix = shifted / shifted.sum(axis=axis, keepdims=True)
    return weights


# Step 9: MatMul


def weight(V: Matrix, A: Matrix, convention: str) -> Matrix:
    """Z = V·A (columns: z_j = Σ_i A[i,j]·v_i) or A·V (rows)."""
    V, A = _common(V, A)
    if convention == "columns":
        return matmul(V, A)  # (d_v, n) @ (n, n) -> (d_v, n)
    return matmul(A, V)  # (n, n) @ (n, d_v) -> (n, d_v)


# Steps 10 and 11 (several heads, or an output projection)


def concatenate(Zs: list[Matrix], convention: str) -> Matrix:
    """The heads' Z stacked: one under the other in columns, side by side in rows."""
    parts = _common(*Zs)
    out: Matrix = np.concatenate(parts, axis=0 if convention == "columns" else 1)
    return out


def output_projection(WO: Matrix, concat: Matrix, convention: str) -> Matrix:
    """O = W_O·concat (columns) or concat·W_O (rows)."""
    WO, concat = _common(WO, concat)
    if convention == "columns":
        return matmul(WO, concat)  # (d_o, h·d_v) @ (h·d_v, n) -> (d_o, n)
    return matmul(concat, WO)  # (n, h·d_v) @ (h·d_v, d_o) -> (n, d_o)


def walk_head(problem: Problem, head: Head, prefix: str = "") -> dict[str, Matrix]:
    """Steps 2 to 9 for one head; the names carry the head's prefix ("h2.Q")."""
    opts = problem.options
    conv = opts.convention
    Q, K, V = project(problem.X, problem.C, head, conv)
    KT, S = scores(Q, K, conv)
    scaled = scale(S, opts.scale, problem.d_k_of(head))
    if opts.mask == "causal":
        scaled = causal(scaled, conv)
    E = exponentiate(scaled, opts.base, prefix, opts.scale)
    sums = softmax_sums(E, conv)
    A = normalise(E, sums, scaled, opts.base, conv)
    Z = weight(V, A, conv)
    named = {"WQ": head.WQ, "WK": head.WK, "WV": head.WV, "Q": Q, "K": K, "V": V, "KT": KT, "S": S,
             "scaled": scaled, "E": E, "sums": sums, "A": A, "Z": Z}  # fmt: skip
    return {prefix + name: m for name, m in named.items()}


def walk(problem: Problem) -> Trace:
    """Work the nine steps (the step table in the README) for every head, then concatenate and project."""
    with np.errstate(all="ignore"):  # overflow is reported below, as a sentence, not as a warning
        trace = _walk(problem)
    _check_finite(trace)
    return trace


def _check_finite(trace: Trace) -> None:
    """Refuse a float trace that overflowed: NaN and ∞ are never shown silently (−∞ only as a mask)."""
    for name, m in trace.matrices.items():
        if is_exact(m):
            continue
        bad = ~np.isfinite(m)
        if base_name_of(name) == "scaled":
            bad &= m != MASKED
        if bad.any():
            i, j = (int(k) + 1 for k in np.argwhere(bad)[0])
            raise ProblemError(f"{name}[{i},{j}] is beyond the floating-point range; use smaller inputs")


def base_name_of(name: str) -> str:
    """ "h2.scaled" -> "scaled"."""
    return name.rpartition(".")[2]


def _walk(problem: Problem) -> Trace:
    conv = problem.options.convention
    matrices, steps, notes = embed_step(problem)  # step 0 when X is made from tokens, else just X
    if problem.C is not None:
        matrices["C"] = problem.C
    for i, head in enumerate(problem.heads):
        prefix = problem.prefix(i)
        matrices.update(walk_head(problem, head, prefix))
        steps.extend(_steps(problem, head, prefix))
        for note in _notes(problem, head, matrices[prefix + "scaled"], matrices[prefix + "E"]):
            if note not in notes:
                notes.append(note)
    output = "Z"
    if len(problem.heads) > 1:
        zs = [matrices[problem.prefix(i) + "Z"] for i in range(len(problem.heads))]
        matrices["concat"] = concatenate(zs, conv)
        parts = ", ".join(f"h{i}.Z" for i in range(1, len(zs) + 1))
        how = "one under the other" if conv == "columns" else "side by side"
        steps.append(Step(10, "Concatenate", f"concat = [{parts}], {how}", ("concat",)))
        output = "concat"
    if problem.WO is not None:
        matrices["WO"] = problem.WO
        operand = output
        matrices["O"] = output_projection(problem.WO, matrices[operand], conv)
        shown = "concat" if operand == "concat" else "Z"
        if conv == "columns":
            formula, product = f"O = W_O·{shown}", Product("WO", operand, "O")
        else:
            formula, product = f"O = {shown}·W_O", Product(operand, "WO", "O")
        steps.append(Step(11, "Output projection", formula, ("O",), (product,)))
        output = "O"
    return Trace(problem=problem, steps=steps, matrices=matrices, notes=notes, output=output)


# Step 0: Embed (when the problem gives tokens rather than X)


def embed_step(problem: Problem) -> tuple[dict[str, Matrix], list[Step], list[str]]:
    """X = embed + P: each token's word vector plus its position's encoding; just X when X is given."""
    e = problem.embedding
    if e is None:
        return {"X": problem.X}, [], []
    embed = e.embed  # (d, n) in columns, (n, d) in rows: the table's entries picked by token id
    matrices = {"embed": embed} | ({} if e.P is None else {"P": e.P}) | {"X": add(embed, e.P)}
    token = "x_j = e(token j) + p_j" if problem.columns else "x_i = e(token i) + p_i"
    if e.P is None:
        formula = "X = embed: each token's word vector (no positional encoding)"
    else:
        formula = f"X = embed + P; {token}"
    if e.positions == "sinusoidal":
        even, odd = ("P[2i, pos]", "P[2i+1, pos]") if problem.columns else ("P[pos, 2i]", "P[pos, 2i+1]")
        angle = f"pos/{e.base}^(2i/d)"
        formula += f"; {even} = sin({angle}), {odd} = cos({angle}), pos from 0"
    notes = []
    if e.positions == "sinusoidal" and is_exact(embed):
        notes.append("sin and cos are irrational, so the trace is worked in decimals from step 0")
    return matrices, [Step(0, "Embed", formula, tuple(matrices))], notes


def _notes(problem: Problem, head: Head, scaled: Matrix, E: Matrix) -> list[str]:
    """Remarks a reader should see: where the trace left exact arithmetic, and why."""
    notes: list[str] = []
    opts = problem.options
    dk = problem.d_k_of(head)
    half_note = floor_half_note(dk) if opts.scale == "floor-half" else None
    if half_note is not None:
        notes.append(half_note)
    if problem.exact and not is_exact(scaled):
        notes.append(f"√{dk} is irrational, so the trace is worked in decimals from step 5")
    elif problem.exact and not is_exact(E):
        if opts.base is None:
            notes.append("e^x is irrational, so the trace is worked in decimals from step 6")
        elif all(v == MASKED or v.denominator == 1 for v in scaled.flat):
            notes.append(
                f"some powers {opts.base}^x are too small to write exactly, so they are worked in decimals"
            )
        else:
            notes.append(f"some exponents are not integers, so {opts.base}^x is worked in decimals")
    axis = 0 if opts.convention == "columns" else 1
    if not is_exact(E) and (to_float(E).sum(axis=axis) == 0).any():
        notes.append("some sums underflow to 0; A is computed stably from the scaled scores")
    return notes


def _steps(p: Problem, head: Head, prefix: str) -> list[Step]:
    """The step table (as in the README) for one head, with formulas for this convention and these options."""
    o = p.options
    cols = o.convention == "columns"
    dk = p.d_k_of(head)
    src = "X" if p.C is None else "C"  # cross-attention takes keys and values from the context
    mask = "; a key after its query is masked with −∞" if o.mask == "causal" else ""
    scale_text = scale_caption(o.scale, dk)
    exp_text = "e^x" if o.base is None else f"{o.base}^x"
    exp_note = ", the hand trick for e^x" if o.base == 3 else ""

    def n(*names: str) -> tuple[str, ...]:
        return tuple(name if name in ("X", "C") else prefix + name for name in names)

    def product(left: str, right: str, result: str) -> Product:
        return Product(*n(left, right, result))

    if cols:
        given = "features as columns: X is d×n, W_Q and W_K are d_k×d, W_V is d_v×d"
        qkv = f"Q = W_Q·X, K = W_K·{src}, V = W_V·{src}"
        qkv_products = (product("WQ", "X", "Q"), product("WK", src, "K"), product("WV", src, "V"))
        s_text, s_product = "S = Kᵀ·Q; S[i,j] = k_i·q_j", product("KT", "Q", "S")
        sums_text = "sums[j] = Σ_i E[i,j], down each column"
        a_text = "A[i,j] = E[i,j] / sums[j]; each column of A sums to 1"
        z_text, z_product = "Z = V·A; z_j = Σ_i A[i,j]·v_i", product("V", "A", "Z")
    else:
        given = "features as rows: X is n×d, W_Q and W_K are d×d_k, W_V is d×d_v"
        qkv = f"Q = X·W_Q, K = {src}·W_K, V = {src}·W_V"
        qkv_products = (product("X", "WQ", "Q"), product(src, "WK", "K"), product(src, "WV", "V"))
        s_text, s_product = "S = Q·Kᵀ; S[i,j] = q_i·k_j", product("Q", "KT", "S")
        sums_text = "sums[i] = Σ_j E[i,j], along each row"
        a_text = "A[i,j] = E[i,j] / sums[i]; each row of A sums to 1"
        z_text, z_product = "Z = A·V; z_i = Σ_j A[i,j]·v_j", product("A", "V", "Z")
    if p.C is not None:
        given += "; the context C gives the keys and values"
    if prefix and p.split:
        given += f"; head {prefix[1:-1]} takes its block of W_Q, W_K, W_V"
    givens = n("X", *(("C",) if p.C is not None else ()), "WQ", "WK", "WV")
    return [
        Step(1, "Given", given, givens),
        Step(2, "Query, Key, Value", qkv, n("Q", "K", "V"), qkv_products),
        Step(3, "Prepare for MatMul", "copy Q; write Kᵀ, K transposed", n("KT", "Q")),
        Step(4, "MatMul", s_text, n("S"), (s_product,)),
        Step(5, "Scale", scale_text + mask, n("scaled")),
        Step(6, "Softmax: exp", f"E = {exp_text}{exp_note}" + ("; −∞ becomes 0" if mask else ""), n("E")),
        Step(7, "Softmax: Σ", sums_text, n("sums")),
        Step(8, "Softmax: 1/sum", a_text, n("A")),
        Step(9, "MatMul", z_text, n("Z"), (z_product,)),
    ]


def _common(*ms: Matrix) -> list[Matrix]:
    """Bring operands into one domain: all exact, or all float if any is float."""
    if all(is_exact(m) for m in ms):
        return list(ms)
    return [to_float(m) for m in ms]


def _map(m: Matrix, fn: Any) -> Matrix:
    """Apply fn to every cell of an exact matrix, keeping it exact."""
    out = np.empty(m.shape, dtype=object)
    for idx, v in np.ndenumerate(m):
        out[idx] = fn(v)
    return out


def _suspects(scaled: Matrix, log_base: float) -> list[tuple[tuple[int, int], Any]]:
    """The first float cell exponentiate would refuse, found for the whole matrix at once."""
    x = np.asarray(scaled, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        bad = np.isnan(x) | (np.isinf(x) & (x != MASKED)) | ((x != MASKED) & (x * log_base > EXP_LIMIT))
    found = np.argwhere(bad)
    if not found.size:
        return []
    i, j = (int(k) for k in found[0])
    return [((i, j), x[i, j])]


def _small_integer(v: Fraction, log_base: float) -> bool:
    """An integer exponent whose exact power stays within the float range (so it can be written down)."""
    return v.denominator == 1 and abs(v) * log_base <= EXP_LIMIT


def _short(x: float) -> str:
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else f"{x:.4g}"
