"""The one colour table, shared by the terminal, HTML/SVG and the printed sheets."""

from __future__ import annotations

# Roles after the by-hand sheets; colour only reinforces what labels already say.
ROLES: dict[str, str] = {
    "features": "#C8960C",  # orange-gold: the given feature vectors
    "weights": "#E8711A",  # orange: W_Q, W_K, W_V (and W_O)
    "qkv": "#2E9E44",  # green: Q, K, V
    "transpose": "#138D8D",  # teal: Kᵀ, the keys written as rows (told apart from Q, K, V)
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
    "KT": "transpose",
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

# The same roles where a terminal has fewer colours. Letting rich pick the nearest colour merges them
# (in 256 colours Q/K/V and E share a green; in 16, E turns grey and X and scaled the same yellow), so
# each system has its own table, chosen so that no two roles share a colour.
ROLES_256: dict[str, str] = {
    "features": "color(172)",  # #d78700 orange-gold
    "weights": "color(202)",  # #ff5f00 orange
    "qkv": "color(35)",  # #00af5f green
    "transpose": "color(37)",  # #00afaf teal
    "matmul": "color(97)",  # #875faf purple
    "scaled": "color(142)",  # #afaf00 olive yellow
    "softmax": "color(28)",  # #008700 dark green
    "attention": "color(220)",  # #ffd700 bright yellow
    "output": "color(33)",  # #0087ff blue
}
ROLES_16: dict[str, str] = {
    "features": "yellow",
    "weights": "red",
    "qkv": "green",
    "transpose": "cyan",
    "matmul": "magenta",
    "scaled": "bright_magenta",  # no third yellow in 16 colours: a light purple, as S's scaled copy
    "softmax": "bright_green",
    "attention": "bright_yellow",
    "output": "bright_blue",
}
MASKED_BY_SYSTEM = {"truecolor": MASKED_STYLE, "256": "color(244)", "standard": "bright_black"}
COLOUR_SYSTEMS = ("truecolor", "256", "standard")


def base_name(name: str) -> str:
    """A matrix name without its head prefix: "h2.S" -> "S"."""
    return name.split(".", 1)[1] if "." in name else name


def colour(name: str) -> str:
    """The hex colour of a matrix, by its role."""
    return ROLES[MATRIX_ROLES.get(base_name(name), "output")]


def system_of(color_system: str | None) -> str:
    """rich's colour system name as one of COLOUR_SYSTEMS ("windows" has the 16 standard colours)."""
    if color_system in ("256", "eight_bit"):
        return "256"
    if color_system in ("standard", "windows"):
        return "standard"
    return "truecolor"


def terminal_colour(name: str, color_system: str | None = "truecolor") -> str:
    """A matrix's colour as rich writes it for this colour system: every role keeps its own colour."""
    role = MATRIX_ROLES.get(base_name(name), "output")
    table = {"truecolor": ROLES, "256": ROLES_256, "standard": ROLES_16}[system_of(color_system)]
    return table[role]


def masked_colour(color_system: str | None = "truecolor") -> str:
    """The grey of masked cells and elisions, for this colour system."""
    return MASKED_BY_SYSTEM[system_of(color_system)]


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
# In fewer colours rich's nearest match turns "correct" grey and "wrong" the yellow of "unreadable"
VERDICT_STYLES_256: dict[str, str] = {
    "correct": "color(28)",  # #008700 green
    "carried": "color(33)",  # #0087ff blue
    "wrong": "bold color(160)",  # #d70000 red
    "blank": "color(244)",  # grey
    "unreadable": "bold color(136)",  # #af8700 amber
}
VERDICT_STYLES_16: dict[str, str] = {
    "correct": "green",
    "carried": "bright_blue",
    "wrong": "bold red",
    "blank": "bright_black",
    "unreadable": "bold yellow",
}


def verdict_style(verdict: str, color_system: str | None = "truecolor") -> str:
    """A verdict's style as rich writes it for this colour system: each verdict keeps its own colour."""
    table = {"truecolor": VERDICT_STYLES, "256": VERDICT_STYLES_256, "standard": VERDICT_STYLES_16}
    return table[system_of(color_system)][verdict]


VERDICT_MARKS: dict[str, str] = {
    "correct": "✓",
    "carried": "→",
    "wrong": "✗",
    "blank": "·",
    "unreadable": "?",
}
