"""An independent oracle: attention worked from the textbook formulas with plain Fractions and lists.

It shares no code with the package under test and imports none of it. Exact where the hand is exact
(integers, ⌊x/2⌋, √ of a perfect square, an integer base to an integer power), Python floats where it
is not (√3, e^x, step 0's sin and cos). A matrix is a list of rows; a masked score is float -inf. Each
step is a function, so a test can work a "student" who slips at one step and carries the slip forward.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, TypeVar

Num = Fraction | float
Mat = list[list[Num]]
MASKED = float("-inf")
T = TypeVar("T")
EXP_LIMIT = 709.0  # e^709 is near the float maximum; the exact power is written only below it


def plain(m: Any) -> Mat:
    """Any nested rows (lists, or a numpy array via tolist()) as a list of rows of Fractions or floats."""
    rows = m.tolist() if hasattr(m, "tolist") else m
    return [[v if isinstance(v, Fraction) else _number(v) for v in row] for row in rows]


def _number(v: Any) -> Num:
    if isinstance(v, int):
        return Fraction(v)
    if isinstance(v, str):
        return Fraction(v)
    return float(v)


def is_exact(m: Mat) -> bool:
    """Every cell a Fraction, except masked cells."""
    return all(isinstance(v, Fraction) or v == MASKED for row in m for v in row)


def transpose(m: list[list[T]]) -> list[list[T]]:
    """Rows become columns."""
    return [list(col) for col in zip(*m, strict=True)] if m else []


def matmul(a: Mat, b: Mat) -> Mat:
    """The matrix product, cell by cell: Σ_k a[i][k]·b[k][j]; a float anywhere makes the sum a float."""
    assert len(a[0]) == len(b), (len(a[0]), len(b))
    exact = is_exact(a) and is_exact(b)
    out: Mat = []
    for row in a:
        out_row: list[Num] = []
        for j in range(len(b[0])):
            terms = [row[k] * b[k][j] for k in range(len(b))]
            out_row.append(sum(terms, Fraction(0)) if exact else math.fsum(float(t) for t in terms))
        out.append(out_row)
    return out


# Step 0


def positional_encoding(n: int, d: int, base: int = 10000) -> list[list[float]]:
    """Vaswani et al. (2017), 3.5, tokens as rows: PE[pos][2i] = sin(pos / base^(2i/d)), PE[pos][2i+1] = cos
    of the same angle; pos counts from 0."""
    return [
        [(math.sin if k % 2 == 0 else math.cos)(pos / base ** (2 * (k // 2) / d)) for k in range(d)]
        for pos in range(n)
    ]


# Step 2


def project(X: Mat, src: Mat, WQ: Mat, WK: Mat, WV: Mat, columns: bool) -> tuple[Mat, Mat, Mat]:
    """Q = W_Q·X, K = W_K·src, V = W_V·src (columns) or X·W_Q, src·W_K, src·W_V (rows)."""
    if columns:
        return matmul(WQ, X), matmul(WK, src), matmul(WV, src)
    return matmul(X, WQ), matmul(src, WK), matmul(src, WV)


# Steps 3 and 4


def scores(Q: Mat, KT: Mat, columns: bool) -> Mat:
    """S = Kᵀ·Q (row = key, column = query) or Q·Kᵀ (row = query, column = key)."""
    return matmul(KT, Q) if columns else matmul(Q, KT)


# Step 5


def d_k(WQ: Mat, columns: bool) -> int:
    """The width of a query: W_Q's rows (columns convention) or its columns (rows)."""
    return len(WQ) if columns else len(WQ[0])


def scale(S: Mat, method: str, dk: int) -> Mat:
    """S unchanged, ⌊S/2⌋, or S/√d_k (exact only when S is exact and d_k a perfect square)."""
    if method == "none":
        return [list(row) for row in S]
    if method == "floor-half":
        return [[Fraction(math.floor(v / 2)) if isinstance(v, Fraction) else float(math.floor(v / 2))
                 for v in row] for row in S]  # fmt: skip
    root = math.isqrt(dk)
    if root * root == dk and is_exact(S):
        return [[v / root for v in row] for row in S]
    return [[float(v) / math.sqrt(dk) for v in row] for row in S]


def mask(scaled: Mat, columns: bool) -> Mat:
    """−∞ wherever the key comes after the query."""
    out: Mat = [list(row) for row in scaled]
    for i, row in enumerate(out):
        for j in range(len(row)):
            key, query = (i, j) if columns else (j, i)
            if key > query:
                row[j] = MASKED
    return out


# Step 6


def exponentiate(scaled: Mat, exp: str) -> Mat:
    """e^x, or base^x exactly when every unmasked x is an integer small enough to write; −∞ gives 0."""
    if exp != "e":
        base = int(exp)
        cells = [v for row in scaled for v in row if v != MASKED]
        if all(
            isinstance(v, Fraction) and v.denominator == 1 and abs(v) * math.log(base) <= EXP_LIMIT
            for v in cells
        ):
            return [[Fraction(0) if v == MASKED else Fraction(base) ** int(v) for v in row] for row in scaled]
    log_base = 1.0 if exp == "e" else math.log(int(exp))
    return [[0.0 if v == MASKED else math.exp(float(v) * log_base) for v in row] for row in scaled]


# Steps 7 and 8


def sums(E: Mat, columns: bool) -> Mat:
    """Column sums as one row (columns) or row sums as one column (rows)."""
    if columns:
        return [[_total(col) for col in zip(*E, strict=True)]]
    return [[_total(row)] for row in E]


def _total(values: Any) -> Num:
    values = list(values)
    if all(isinstance(v, Fraction) for v in values):
        return sum(values, Fraction(0))
    return math.fsum(float(v) for v in values)


def normalise(E: Mat, total: Mat, columns: bool) -> Mat:
    """A[i][j] = E[i][j] divided by its column's (columns) or its row's (rows) sum."""
    out: Mat = []
    for i, row in enumerate(E):
        out.append([])
        for j, v in enumerate(row):
            s = total[0][j] if columns else total[i][0]
            exact = isinstance(v, Fraction) and isinstance(s, Fraction)
            out[-1].append(v / s if exact else float(v) / float(s))
    return out


# Step 9


def weight(V: Mat, A: Mat, columns: bool) -> Mat:
    """Z = V·A (columns) or A·V (rows)."""
    return matmul(V, A) if columns else matmul(A, V)


# Several heads


def split(W: list[list[T]], count: int, columns: bool) -> list[list[list[T]]]:
    """One weight matrix cut into `count` equal heads: blocks of rows (columns) or of columns (rows)."""
    if columns:
        size = len(W) // count
        return [W[h * size : (h + 1) * size] for h in range(count)]
    size = len(W[0]) // count
    return [[row[h * size : (h + 1) * size] for row in W] for h in range(count)]


def concatenate(Zs: list[Mat], columns: bool) -> Mat:
    """The heads' Z one under the other (columns) or side by side (rows); all floats if any head is."""
    if not all(is_exact(Z) for Z in Zs):
        Zs = [[[float(v) for v in row] for row in Z] for Z in Zs]
    if columns:
        return [list(row) for Z in Zs for row in Z]
    return [[v for Z in Zs for v in Z[i]] for i in range(len(Zs[0]))]


def floats(m: Mat) -> Mat:
    """The matrix in floats."""
    return [[float(v) for v in row] for row in m]


def head(X: Mat, src: Mat, WQ: Mat, WK: Mat, WV: Mat, opts: dict[str, str]) -> dict[str, Mat]:
    """Steps 2 to 9 of one head."""
    columns = opts["convention"] == "columns"
    given = {"WQ": WQ, "WK": WK, "WV": WV}  # shown as written
    givens = (X, src, WQ, WK, WV)
    if any(isinstance(v, float) for m in givens for row in m for v in row):  # worked in one number domain
        X, src, WQ, WK, WV = (floats(m) for m in givens)
    Q, K, V = project(X, src, WQ, WK, WV, columns)
    KT = transpose(K)
    S = scores(Q, KT, columns)
    scaled = scale(S, opts["scale"], d_k(WQ, columns))
    if opts["mask"] == "causal":
        scaled = mask(scaled, columns)
    E = exponentiate(scaled, opts["exp"])
    total = sums(E, columns)
    A = normalise(E, total, columns)
    Z = weight(V, A, columns)
    return {**given, "Q": Q, "K": K, "V": V, "KT": KT, "S": S, "scaled": scaled,
            "E": E, "sums": total, "A": A, "Z": Z}  # fmt: skip


def trace(
    X: Mat,
    heads: list[tuple[Mat, Mat, Mat]],
    *,
    C: Mat | None = None,
    WO: Mat | None = None,
    convention: str = "columns",
    scale: str = "sqrt",
    exp: str = "e",
    mask: str = "none",
) -> dict[str, Mat]:
    """Every matrix of the walkthrough by name ("h2.A" with several heads), givens included."""
    opts = {"convention": convention, "scale": scale, "exp": exp, "mask": mask}
    columns = convention == "columns"
    out: dict[str, Mat] = {"X": X} if C is None else {"X": X, "C": C}
    zs = []
    for h, (WQ, WK, WV) in enumerate(heads):
        prefix = f"h{h + 1}." if len(heads) > 1 else ""
        worked = head(X, X if C is None else C, WQ, WK, WV, opts)
        out.update({prefix + name: m for name, m in worked.items()})
        zs.append(worked["Z"])
    last = zs[0]
    if len(zs) > 1:
        last = out["concat"] = concatenate(zs, columns)
    if WO is not None:
        out["WO"] = WO
        out["O"] = matmul(WO, last) if columns else matmul(last, WO)
    return out


def of(problem: Any) -> dict[str, Mat]:
    """The reference trace of anything shaped like a Problem, read by attribute (nothing imported)."""
    o = problem.options
    heads = [(plain(h.WQ), plain(h.WK), plain(h.WV)) for h in problem.heads]
    C = None if problem.C is None else plain(problem.C)
    WO = None if problem.WO is None else plain(problem.WO)
    return trace(plain(problem.X), heads, C=C, WO=WO, convention=o.convention, scale=o.scale, exp=o.exp,
                 mask=o.mask)  # fmt: skip


def same(got: Num, expected: Num, rel: float = 1e-9) -> bool:
    """Exactly equal Fractions; floats (never a Fraction for a float) equal to within `rel`."""
    if isinstance(expected, Fraction):
        return isinstance(got, Fraction) and got == expected
    if isinstance(got, Fraction):
        return False
    if math.isinf(expected) or math.isinf(got):
        return got == expected
    return math.isclose(got, expected, rel_tol=rel, abs_tol=1e-12)


def differences(got: dict[str, Any], expected: dict[str, Mat], rel: float = 1e-9) -> list[str]:
    """Every name, shape or cell where `got` (numpy or lists) differs from the reference; [] when none."""
    problems = []
    if sorted(got) != sorted(expected):
        problems.append(f"names {sorted(got)} != {sorted(expected)}")
    for name, want in expected.items():
        if name not in got:
            continue
        have = plain(got[name])
        if [len(r) for r in have] != [len(r) for r in want]:
            problems.append(f"{name}: shape {len(have)}×{len(have[0])} != {len(want)}×{len(want[0])}")
            continue
        for i, (hr, wr) in enumerate(zip(have, want, strict=True)):
            for j, (h, w) in enumerate(zip(hr, wr, strict=True)):
                if not same(h, w, rel):
                    problems.append(f"{name}[{i + 1},{j + 1}]: {h!r} != {w!r}")
    return problems
