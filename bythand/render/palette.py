"""The one colour table, shared by the terminal, HTML/SVG and the printed sheets."""

from __future__ import annotations

# Roles after the by-hand sheets; colour only reinforces what labels already say.
ROLES: dict[str, str] = {
    "features": "#C8960C",  # orange-gold: the given feature vectors
    "weights": "#E8711A",  # orange: W_Q, W_K, W_V (and W_O)
    "qkv": "#2E9E44",  # green: Q, K, V, Kᵀ
    "matmul": "#8E44AD",  # purple: MatMul results (S)
    "scaled": "#B7950B",  # yellow: scaled scores
    "softmax": "#1E8449",  # green: E and the sums
    "attention": "#E6B800",  # bright yellow: A
    "output": "#2F6FD0",  # blue: Z (and concat, O)
}

MATRIX_ROLES: dict[str, str] = {
    "X": "features",
    "embed": "features",
    "P": "features",
    "C": "features",
    "WQ": "weights",
    "WK": "weights",
    "WV": "weights",
    "WO": "weights",
    "Q": "qkv",
    "K": "qkv",
    "V": "qkv",
    "KT": "qkv",
    "S": "matmul",
    "scaled": "scaled",
    "E": "softmax",
    "sums": "softmax",
    "A": "attention",
    "Z": "output",
    "concat": "output",
    "O": "output",
}

MASKED_STYLE = "#808080"  # masked cells: grey, and always written as −∞ or 0


def base_name(name: str) -> str:
    """A matrix name without its head prefix: "h2.S" -> "S"."""
    return name.split(".", 1)[1] if "." in name else name


def colour(name: str) -> str:
    """The hex colour of a matrix, by its role."""
    return ROLES[MATRIX_ROLES.get(base_name(name), "output")]


def tint(hex_colour: str, amount: float) -> str:
    """Mix a colour with white (amount 0 = the colour, 1 = white): light enough to write on."""
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    mix = [round(c + (255 - c) * amount) for c in (r, g, b)]
    return "#" + "".join(f"{c:02X}" for c in mix)


# The checker's verdicts: colour only reinforces the marks ✓ → ✗ · that every report writes.
VERDICT_STYLES: dict[str, str] = {
    "correct": "#1E8449",  # green, as the softmax steps
    "carried": "#2F6FD0",  # blue: right from the student's own earlier numbers
    "wrong": "bold #C0392B",  # red
    "blank": "#808080",  # grey, as masked cells
    "unreadable": "bold #B9770E",  # amber: not a number at all, so neither right nor wrong
}
VERDICT_MARKS: dict[str, str] = {
    "correct": "✓",
    "carried": "→",
    "wrong": "✗",
    "blank": "·",
    "unreadable": "?",
}
