"""A student who works the steps by hand, slips where told, and carries each slip forward."""

from __future__ import annotations

from fractions import Fraction

from bythand import Problem
from bythand.numbers import Matrix, fraction_text
from bythand.walk import MASKED, causal, exponentiate, project, scale, scores, softmax_sums, weight

Slips = dict[str, tuple[int, int, Fraction]]


def work(problem: Problem, slips: Slips | None = None) -> dict[str, Matrix]:
    """One head's steps 2 to 9 in exact arithmetic, each step from the student's own previous numbers."""
    slips = slips or {}
    o, conv = problem.options, problem.options.convention

    def slip(name: str, m: Matrix) -> Matrix:
        if name not in slips:
            return m
        i, j, value = slips[name]
        out = m.copy()
        out[i, j] = value
        return out

    Q, K, V = project(problem.X, problem.C, problem.heads[0], conv)
    Q, K, V = slip("Q", Q), slip("K", K), slip("V", V)
    KT = slip("KT", K.T.copy())
    S = slip("S", scores(Q, KT.T, conv)[1])
    scaled = scale(S, o.scale, problem.d_k)
    scaled = slip("scaled", causal(scaled, conv) if o.mask == "causal" else scaled)
    E = slip("E", exponentiate(scaled, o.base))
    sums = slip("sums", softmax_sums(E, conv))
    A = slip("A", E / sums)
    Z = slip("Z", weight(V, A, conv))
    return {"Q": Q, "K": K, "V": V, "KT": KT, "S": S, "scaled": scaled, "E": E, "sums": sums, "A": A, "Z": Z}


def text(v: object) -> str:
    """A cell as the student types it."""
    if isinstance(v, float) and v == MASKED:
        return '"-inf"'
    assert isinstance(v, Fraction)
    return f'"{fraction_text(v)}"'


def toml(matrices: dict[str, Matrix], name: str = "Ada", extra: str = "") -> str:
    """The answers file the student hands in."""
    lines = [f'name = "{name}"', extra] if extra else [f'name = "{name}"']
    for key, m in matrices.items():
        rows = ", ".join("[" + ", ".join(text(v) for v in row) + "]" for row in m.tolist())
        lines.append(f"{key} = [{rows}]")
    return "\n".join(lines) + "\n"
