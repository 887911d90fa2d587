"""Unicode maths as bythand writes it ("S[2,4] = k2·q4 = 9 / (46/3)") turned into LaTeX (amsmath only).

Lines come marked: words «like this» are set as text, everything else as inline maths."""

from __future__ import annotations

import re

_TEXT_SPECIAL = {c: "\\" + c for c in "&%$#_{}"} | {
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "\\": r"\textbackslash{}",
}
_NAMES = {
    "WQ": "W_Q", "WK": "W_K", "WV": "W_V", "WO": "W_O", "W_Q": "W_Q", "W_K": "W_K", "W_V": "W_V",
    "W_O": "W_O", "KT": "K^{\\top}", "Kᵀ": "K^{\\top}", "scaled": "\\mathrm{scaled}",
    "sums": "\\mathrm{sums}", "concat": "\\mathrm{concat}",
}  # fmt: skip
_TOKEN = re.compile(
    r"""(?P<name>(?:h\d+\.)?(?:W_[QKVO]|Kᵀ|[A-Za-z]+\d*))(?P<index>\[[^\]]*\])?
      | (?P<number>\d+(?:\.\d+)?(?:e-?\d+)?(?:/\d+)?)
      | (?P<root>√)
      | (?P<space>\s+)
      | (?P<other>.)""",
    re.VERBOSE,
)
_SYMBOLS = {
    "·": "\\cdot ", "⌊": "\\lfloor ", "⌋": "\\rfloor ", "≈": "\\approx ", "÷": "\\div ", "−": "-",
    "∞": "\\infty ", "Σ": "\\sum", "×": "\\times ", "…": "\\dots ", "⋯": "\\cdots ",
}  # fmt: skip
_VECTOR = re.compile(r"([a-z])(\d+)")  # x1, q2, k3: a token's vector


def text(words: str) -> str:
    """Words in LaTeX text mode, its special characters escaped and stray symbols set as maths."""
    out = "".join(_TEXT_SPECIAL.get(c, c) for c in words)
    for symbol in ("Kᵀ", "⌊ ⌋", "−∞", "Σ", "≈", "√", "·", "÷"):
        if symbol in out:
            out = out.replace(symbol, f"${maths(symbol)}$")
    return out


def _name(token: str, index: str | None) -> str:
    head, dot, base = token.rpartition(".")
    if not dot and not index and _VECTOR.fullmatch(base):
        letter, number = _VECTOR.fullmatch(base).groups()  # type: ignore[union-attr]
        return f"{letter}_{{{number}}}"
    tex = _NAMES.get(base, base if len(base) == 1 else f"\\mathrm{{{base}}}")
    if head:
        tex = f"{{{tex}}}^{{({head[1:]})}}"
    if index:
        inner = index[1:-1].replace(" ", "")
        tex = f"{{{tex}}}_{{{inner}}}" if head or "^" in tex else f"{tex}_{{{inner}}}"
    return tex


def maths(expression: str) -> str:
    """One maths expression in LaTeX: names with subscripts, fractions as \\frac, ^ with braces."""
    pieces: list[str] = []
    for m in _TOKEN.finditer(expression):
        kind = next(k for k in ("name", "number", "root", "space", "other") if m[k] is not None)
        if kind == "name":
            pieces.append(_name(m["name"], m["index"]))
        elif kind == "number":
            number = m["number"]
            if "/" in number:
                top, bottom = number.split("/")
                pieces.append(f"\\frac{{{top}}}{{{bottom}}}")
            else:
                pieces.append(number)
        elif kind == "root":
            pieces.append("\\sqrt")
        elif kind == "space":
            pieces.append(" ")
        else:
            pieces.append(_SYMBOLS.get(m["other"], m["other"]))
    return _brace(pieces)


def _brace(pieces: list[str]) -> str:
    """Give ^ and √ their argument in braces: 3^-1 -> 3^{-1}, 3^(5/2) -> 3^{(5/2)}, √3 -> \\sqrt{3}."""
    out: list[str] = []
    k = 0
    while k < len(pieces):
        piece = pieces[k]
        if piece in ("^", "\\sqrt") and k + 1 < len(pieces):
            k += 1
            arg = [pieces[k]]
            if pieces[k] == "-" and k + 1 < len(pieces):  # a negative exponent: 3^-1
                k += 1
                arg.append(pieces[k])
            elif pieces[k] == "(":  # a bracketed exponent, to its closing bracket
                depth = 1
                while depth and k + 1 < len(pieces):
                    k += 1
                    arg.append(pieces[k])
                    depth += {"(": 1, ")": -1}.get(pieces[k], 0)
            out.append(f"{piece}{{{''.join(arg)}}}")
        else:
            out.append(piece)
        k += 1
    return re.sub(r" {2,}", " ", "".join(out)).replace(" }", "}").strip()


def line(marked: str) -> str:
    """One marked line: words as text, the rest as inline maths; leading spaces as an indent."""
    stripped = marked.lstrip(" ")
    lead = len(marked) - len(stripped)  # 2: an operand or a step; more: a step lined up under the last
    indent = "" if lead == 0 else "\\quad " if lead <= 2 else "\\qquad\\quad "
    out: list[str] = []
    for k, part in enumerate(re.split(r"[«»]", stripped)):
        if not part:
            continue
        if k % 2:  # inside «»: words
            out.append(text(part))
        elif part.strip():
            before, after = part[: len(part) - len(part.lstrip())], part[len(part.rstrip()) :]
            out.append(f"{before}${maths(part.strip())}${after}")
        else:
            out.append(part)
    return indent + "".join(out)


def lines(marked: list[str] | tuple[str, ...]) -> str:
    """Marked lines as one LaTeX paragraph, a line each."""
    return " \\\\[0.6ex]\n".join(line(x) for x in marked)  # room for the fractions between lines
