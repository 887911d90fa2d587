"""Step 5's words for the problem's own d_k: √d_k named with its value, degenerate cases said plainly."""

from __future__ import annotations

import math


def _root(dk: int) -> int | None:
    """√d_k when it is a whole number, else None."""
    r = math.isqrt(dk)
    return r if r * r == dk else None


def divide_by_root(dk: int, tex: bool = False) -> str:
    """ "÷√3 ≈ ÷1.73", "÷√4 = ÷2", "÷√1 = ÷1, no change" (LaTeX maths when `tex`)."""
    r = _root(dk)
    if tex:
        root = f"\\div\\sqrt{{{dk}}}"
        if r is None:
            return f"${root} \\approx \\div {math.sqrt(dk):.2f}$"
        return f"${root} = \\div {r}$" + (", no change" if r == 1 else "")
    if r is None:
        return f"÷√{dk} ≈ ÷{math.sqrt(dk):.2f}"
    return f"÷√{dk} = ÷{r}" + (", no change" if r == 1 else "")


def scale_caption(method: str, dk: int, tex: bool = False) -> str:
    """Step 5's rule for a head whose queries and keys have d_k entries."""
    r = _root(dk)
    if method == "none":
        return "$S$, no scaling" if tex else "S, no scaling"
    if tex:
        s_root = f"S / \\sqrt{{{dk}}}"
        if method == "sqrt":
            if r == 1:
                return f"$S / \\sqrt{{d_k}} = {s_root} = S$: with $d_k = 1$ there is nothing to scale"
            if r is not None:
                return f"$S / \\sqrt{{d_k}} = {s_root} = S / {r}$"
            return f"$S / \\sqrt{{d_k}} = {s_root} \\approx S / {math.sqrt(dk):.2f}$"
        if dk == 3:
            return f"$\\lfloor S/2 \\rfloor$, the hand trick for ${s_root} \\approx S / 1.73$"
        if r == 2:
            return f"$\\lfloor S/2 \\rfloor$: ${s_root} = S / 2$, rounded down"
        if r == 1:
            return (
                "$\\lfloor S/2 \\rfloor$, the hand trick (halve, round down); with $d_k = 1$, "
                f"${s_root}$ would leave $S$ as it is"
            )
        approx = f"{s_root} \\approx S / {math.sqrt(dk):.2f}"
        return f"$\\lfloor S/2 \\rfloor$, the hand trick in place of ${approx}$"
    if method == "sqrt":
        if r == 1:
            return f"S / √d_k = S / √{dk} = S: with d_k = 1 there is nothing to scale"
        if r is not None:
            return f"S / √d_k = S / √{dk} = S / {r}"
        return f"S / √d_k = S / √{dk} ≈ S / {math.sqrt(dk):.2f}"
    if dk == 3:
        return "⌊S/2⌋, the hand trick for S / √3 ≈ S / 1.73"
    if r == 2:
        return f"⌊S/2⌋: S / √{dk} = S / 2, rounded down"
    if r == 1:
        return f"⌊S/2⌋, the hand trick (halve, round down); with d_k = 1, S / √{dk} would leave S as it is"
    return f"⌊S/2⌋, the hand trick in place of S / √{dk} ≈ S / {math.sqrt(dk):.2f}"


def floor_half_note(dk: int) -> str | None:
    """The note under the title when ⌊x/2⌋ stands in for a d_k other than 3 (None for d_k = 3)."""
    if dk == 3:
        return None
    if _root(dk) == 2:
        return "⌊x/2⌋ is the hand trick for ÷√3; here d_k = 4, and ÷√4 = ÷2 exactly, rounded down"
    return f"⌊x/2⌋ is the hand trick for ÷√3; here d_k = {dk} ({divide_by_root(dk)})"


def method_scale(method: str, dks: list[int], tex: bool = False) -> str:
    """The scale in the method line: "scale ÷√3", or per head when the heads' d_k differ."""
    if method == "floor-half":
        return "scale $\\lfloor x/2 \\rfloor$" if tex else "scale ⌊x/2⌋"
    if method == "none":
        return "no scaling"

    def short(dk: int) -> str:  # "÷√3" in a line of options; "÷√4 = ÷2" where the root is whole
        if _root(dk) is not None:
            return divide_by_root(dk, tex)
        return f"$\\div\\sqrt{{{dk}}}$" if tex else f"÷√{dk}"

    distinct = list(dict.fromkeys(dks))
    if len(distinct) == 1:
        return f"scale {short(distinct[0])}"
    parts = ", ".join(f"h{i}: {short(dk)}" for i, dk in enumerate(dks, start=1))
    return f"scale ÷√d_k ({parts})" if not tex else f"scale $\\div\\sqrt{{d_k}}$ ({parts})"
