"""Three hints for one cell: the rule in words, the operands from the student's own numbers, the work."""

from __future__ import annotations

from collections.abc import Callable

from ..explain import PRETTY, Cell, explain
from ..walk import MASKED, Trace

Own = Callable[[str, int, int], str]  # the student's text of a cell ("?" when blank), givens as printed


def _pretty(name: str) -> str:
    head, dot, base = name.rpartition(".")
    return head + dot + PRETTY.get(base, base)


def product_operands(trace: Trace, c: Cell) -> tuple[str, str] | None:
    """(left, right) of a product cell, P[i,j] = row i of left · column j of right; None otherwise."""
    p, columns = c.prefix, trace.options.convention == "columns"
    source = "C" if "C" in trace.matrices else "X"
    multi = len(trace.problem.heads) > 1
    pairs: dict[str, tuple[str, str]] = {
        "Q": (p + "WQ", "X"),
        "K": (p + "WK", source),
        "V": (p + "WV", source),
        "S": (p + "KT", p + "Q"),
        "Z": (p + "V", p + "A"),
        "O": ("WO", "concat" if multi else "Z"),
    }
    if c.base not in pairs:
        return None
    left, right = pairs[c.base]
    if columns:
        return left, right
    # rows convention: every product is the transpose, Q = X·W_Q, S = Q·Kᵀ, Z = A·V, O = concat·W_O
    swapped = {"S": (p + "Q", p + "KT")}
    return swapped.get(c.base, (right, left))


def _concat_source(trace: Trace, c: Cell) -> Cell:
    """The head's Z cell that concat[i,j] copies (stacked under one another, or side by side in rows)."""
    columns = trace.options.convention == "columns"
    index = c.row if columns else c.col
    for h in range(len(trace.problem.heads)):
        name = trace.problem.prefix(h) + "Z"
        size = trace[name].shape[0 if columns else 1]
        if index < size:
            return Cell(name, index, c.col) if columns else Cell(name, c.row, index)
        index -= size
    raise IndexError(c)  # pragma: no cover - concat has exactly the heads' rows


def _masked(trace: Trace, c: Cell) -> bool:
    if trace.options.mask != "causal" or c.base not in ("scaled", "E", "A"):
        return False
    return bool(trace[c.prefix + "scaled"][c.row, c.col] == MASKED)


def rule(trace: Trace, c: Cell) -> str:
    """Hint 1: which numbers make this cell, in words."""
    columns = trace.options.convention == "columns"
    label = c.label(columns)
    i, j = c.row + 1, c.col + 1
    if _masked(trace, c):
        return f"{label} is masked (a later key than the query): −∞ in scaled, so 0 in E and A."
    pair = product_operands(trace, c)
    if pair is not None:
        left, right = pair
        return (
            f"{label} = row {i} of {_pretty(left)} times column {j} of {_pretty(right)}: "
            "multiply them entry by entry and add the products."
        )
    p = c.prefix
    if c.base == "KT":
        return f"{label} = {p}K[{j},{i}]: Kᵀ is K transposed, so row {i} of Kᵀ is column {i} of K."
    if c.base == "scaled":
        o = trace.options
        how = {
            "floor-half": f"⌊{p}S[{i},{j}] / 2⌋: halve the score and round down",
            "sqrt": f"{p}S[{i},{j}] / √{trace.problem.d_k}",
            "none": f"{p}S[{i},{j}] unchanged (no scaling)",
        }[o.scale]
        return f"{label} = {how}."
    if c.base == "E":
        base = "e" if trace.options.base is None else str(trace.options.base)
        return f"{label} = {base} to the power {p}scaled[{i},{j}] ({base}^x; −∞ gives 0)."
    if c.base == "sums":
        return (
            f"{label} = the sum of column {j} of {p}E."
            if columns
            else f"{label} = the sum of row {i} of {p}E."
        )
    if c.base == "A":
        k = j if columns else i
        return f"{label} = {p}E[{i},{j}] divided by {p}sums[{k}]."
    if c.base == "concat":
        src = _concat_source(trace, c)
        return f"{label} is a copy of {src.label(columns)}: the heads' Z stacked into one matrix."
    return f"{label} is given."


def operands(trace: Trace, c: Cell, own: Own) -> str:
    """Hint 2: the operands written out from the student's own numbers ("?" where still blank)."""
    columns = trace.options.convention == "columns"
    i, j = c.row, c.col
    p = c.prefix

    def whose(name: str) -> str:
        return "given" if name.rpartition(".")[2] in ("X", "C", "WQ", "WK", "WV", "WO") else "yours"

    if _masked(trace, c):
        return rule(trace, c)
    pair = product_operands(trace, c)
    if pair is not None:
        left, right = pair
        n = trace[left].shape[1]
        row = [own(left, i, k) for k in range(n)]
        col = [own(right, k, j) for k in range(n)]
        products = " + ".join(f"{a}·{b}" for a, b in zip(row, col, strict=True))
        return (
            f"row {i + 1} of {_pretty(left)} ({whose(left)}): {', '.join(row)}\n"
            f"column {j + 1} of {_pretty(right)} ({whose(right)}): {', '.join(col)}\n"
            f"{c.label(columns)} = {products}"
        )
    if c.base == "KT":
        return f"{p}K[{j + 1},{i + 1}] (yours) = {own(p + 'K', j, i)}"
    if c.base in ("scaled", "E"):
        source = p + ("S" if c.base == "scaled" else "scaled")
        return f"{_pretty(source)}[{i + 1},{j + 1}] (yours) = {own(source, i, j)}"
    if c.base == "sums":
        E = trace[p + "E"]
        values = (
            [own(p + "E", k, j) for k in range(E.shape[0])]
            if columns
            else [own(p + "E", i, k) for k in range(E.shape[1])]
        )
        return f"{c.label(columns)} = {' + '.join(values)}  (your E)"
    if c.base == "A":
        si, sj = (0, j) if columns else (i, 0)
        k = (j if columns else i) + 1
        return (
            f"{p}E[{i + 1},{j + 1}] (yours) = {own(p + 'E', i, j)};  "
            f"{p}sums[{k}] (yours) = {own(p + 'sums', si, sj)}"
        )
    if c.base == "concat":
        src = _concat_source(trace, c)
        return f"{src.label(columns)} (yours) = {own(src.name, src.row, src.col)}"
    return rule(trace, c)


def work(trace: Trace, c: Cell) -> str:
    """Hint 3: the whole arithmetic, exactly as `bythand explain` writes it."""
    return explain(trace, c).text


def hint(trace: Trace, c: Cell, level: int, own: Own) -> str:
    """The hints up to `level` (1 to 3), one under another."""
    parts = [rule(trace, c)]
    if level >= 2:
        parts.append(operands(trace, c, own))
    if level >= 3:
        parts.append(work(trace, c))
    return "\n".join(f"Hint {k}: {text}" if "\n" not in text else f"Hint {k}:\n{text}"
                     for k, text in enumerate(parts, start=1))  # fmt: skip
