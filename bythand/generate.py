"""Hand-friendly random problems and the sheet ids that rebuild them, forever, for one generator version."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Literal

import numpy as np

from .errors import BythandError
from .numbers import Matrix, exact_matrix, is_exact
from .problem import Options, Problem, load_example
from .walk import MASKED, walk

GENERATOR_VERSION = 2  # bump when any draw below changes: old ids must keep their problems
VERSIONS = (1, 2)  # every version still rebuilt: 1 draws without the key bounds, 2 holds them
Difficulty = Literal["easy", "medium", "hard"]
DIFFICULTIES: tuple[Difficulty, ...] = ("easy", "medium", "hard")

# Crockford's base 32: no I, L, O or U, so an id read aloud or copied by hand stays unambiguous.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
READ_AS = {"O": "0", "I": "1", "L": "1"}  # the letters people type for the digits they saw
MAX_ID_LENGTH = 16
MAX_SEED = 10**9  # seed × 1000 + sheet number stays within the 8 base-32 characters an id has room for
MAX_COUNT = 1000
SEED_BITS = 41  # every sheet seed (seed × 1000 + sheet number) is below 2**41

# The sizes a sheet can print; the mixed-radix packing of an id depends on these ranges.
TOKENS = (2, 8)
DIM = (2, 8)
WIDTH = (1, 8)  # d_k and d_v
HEADS = (1, 4)

# Hand-friendly bounds with the tricks: ⌊S/2⌋ stays where 3^x lies between 1/9 and 81,
# and a column sum of E stays a small number with a small denominator.
SCALED_RANGE = (-2, 4)
MAX_SUM_PER_TOKEN = 25  # a column sum of E is at most 25·n (100 for the classic 4 tokens)
MAX_SUM_DENOMINATOR = 9
# Without the tricks the scaled scores stay where e^x is easy to look up.
SCALED_ABS_NO_TRICKS = 3.0
MAX_ATTEMPTS = 40  # draws of X; each head gets HEAD_ATTEMPTS draws per X
HEAD_ATTEMPTS = 100
# Large sizes rarely meet the bounds at first; after each share of the attempts the draws get
# gentler: easy ranges, then at most three active rows in W_Q and W_K, then uniform columns allowed.
PHASES = 4


class SheetIdError(BythandError):
    """A sheet id that cannot be read, with what is wrong with it."""


@dataclass(frozen=True)
class Params:
    """What a random problem is drawn with; together with a seed this is a sheet id."""

    tokens: int = 4
    dim: int = 6
    dk: int = 3
    dv: int = 3
    difficulty: Difficulty = "medium"
    approx: bool = True
    mask: bool = False
    heads: int = 1
    version: int = GENERATOR_VERSION  # of the generator, the id's first character (not packed)


# Sizes each difficulty gives when --tokens/--dim/--dk/--dv are left out (medium is the classic sheet).
DEFAULT_SIZES: dict[Difficulty, tuple[int, int, int, int]] = {
    "easy": (3, 4, 2, 2),
    "medium": (4, 6, 3, 3),
    "hard": (4, 6, 3, 3),  # the classic's sizes with harder numbers: one page, unlike 5 tokens
}


@dataclass(frozen=True)
class KeyBounds:
    """What a difficulty's answer key may hold (exact keys, at the difficulty's own sizes)."""

    denominator: tuple[int, int]  # the largest denominator in A and Z lies in this range
    numerator: int  # no numerator in A or Z is larger (in absolute value)
    sums_denominator: int  # no sum of E has a larger denominator


# The classic's key (A and Z denominators up to 46, numerators up to 180, sums in thirds) is medium.
KEY_BOUNDS: dict[Difficulty, KeyBounds] = {
    "easy": KeyBounds((1, 12), 40, 1),
    "medium": KeyBounds((12, 60), 200, 3),
    "hard": KeyBounds((30, 150), 600, 9),
}
BOUNDED_ATTEMPTS = 160  # draws of X for a version-2 sheet at its difficulty's sizes (40 at each phase)
# (X entries, W entries, nonzeros per row of a W): the ranges each difficulty draws from.
RANGES: dict[Difficulty, tuple[tuple[int, ...], tuple[int, ...], tuple[int, int]]] = {
    "easy": ((0, 1), (1,), (1, 2)),
    "medium": ((0, 1, 2), (1, 1, 1, -1), (1, 2)),
    "hard": ((-1, 0, 1, 1, 2), (1, 1, -1, 2), (1, 2)),
}
V_VALUES: dict[Difficulty, tuple[int, ...]] = {"easy": (1, 2), "medium": (1, 2, 3), "hard": (1, 2, 3, -1)}


def make_params(
    tokens: int | None = None,
    dim: int | None = None,
    dk: int | None = None,
    dv: int | None = None,
    difficulty: str = "medium",
    approx: bool = True,
    mask: str = "none",
    heads: int = 1,
) -> Params:
    """Validated parameters; sizes left out come from the difficulty."""
    if difficulty not in DIFFICULTIES:
        raise BythandError(f"--difficulty: unknown value {difficulty!r} (choose easy, medium or hard)")
    if mask not in ("none", "causal"):
        raise BythandError(f"--mask: unknown value {mask!r} (choose none or causal)")
    level: Difficulty = difficulty
    n0, d0, k0, v0 = DEFAULT_SIZES[level]
    chosen = (
        n0 if tokens is None else tokens,
        d0 if dim is None else dim,
        k0 if dk is None else dk,
        v0 if dv is None else dv,
        heads,
    )  # a 0 given is refused below, not taken for "left out"
    for flag, value, (low, high) in zip(
        ("--tokens", "--dim", "--dk", "--dv", "--heads"),
        chosen,
        (TOKENS, DIM, WIDTH, WIDTH, HEADS),
        strict=True,
    ):
        if not low <= value <= high:
            raise BythandError(f"{flag}: {value} is outside {low} to {high}, the sizes a sheet can print")
    return Params(*chosen[:4], difficulty=level, approx=approx, mask=mask == "causal", heads=heads)


# The PRNG: SplitMix64, written out so that no library update can ever change a problem.

MASK64 = (1 << 64) - 1


class SplitMix:
    """A tiny, fixed pseudo-random generator (SplitMix64): the same seed gives the same draws forever."""

    def __init__(self, seed: int) -> None:
        self.state = seed & MASK64

    def next64(self) -> int:
        """The next 64 random bits."""
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def below(self, n: int) -> int:
        """A uniform integer in 0..n-1 (rejection sampling, so no value is favoured)."""
        limit = (1 << 64) - (1 << 64) % n
        while True:
            x = self.next64()
            if x < limit:
                return x % n

    def choice(self, values: tuple[int, ...]) -> int:
        """One of the values, uniformly."""
        return values[self.below(len(values))]


# Sheet ids: version, packed parameters (4 characters), the seed, and a check character.


def _pack(p: Params) -> int:
    digits = (
        (p.tokens - TOKENS[0], TOKENS[1] - TOKENS[0] + 1),
        (p.dim - DIM[0], DIM[1] - DIM[0] + 1),
        (p.dk - WIDTH[0], WIDTH[1] - WIDTH[0] + 1),
        (p.dv - WIDTH[0], WIDTH[1] - WIDTH[0] + 1),
        (DIFFICULTIES.index(p.difficulty), len(DIFFICULTIES)),
        (int(p.approx), 2),
        (int(p.mask), 2),
        (p.heads - HEADS[0], HEADS[1] - HEADS[0] + 1),
    )
    code = 0
    for value, radix in digits:
        code = code * radix + value
    return code


def _unpack(code: int) -> Params | None:
    radices = (4, 2, 2, 3, 8, 8, 7, 7)  # the radices of _pack, last digit first
    values: list[int] = []
    for radix in radices:
        code, value = divmod(code, radix)
        values.append(value)
    if code:
        return None
    heads, mask, approx, level, dv, dk, dim, tokens = values
    return Params(
        tokens=tokens + TOKENS[0],
        dim=dim + DIM[0],
        dk=dk + WIDTH[0],
        dv=dv + WIDTH[0],
        difficulty=DIFFICULTIES[level],
        approx=bool(approx),
        mask=bool(mask),
        heads=heads + HEADS[0],
    )


def _encode(value: int, width: int = 0) -> str:
    out = ""
    while value or not out:
        value, digit = divmod(value, 32)
        out = ALPHABET[digit] + out
    return out.rjust(width, "0")


def _check_character(body: str) -> str:
    """Luhn mod 32: catches every single mistyped character and most swapped neighbours."""
    total = 0
    factor = 2
    # The length too, so a lost character shows; from version 2 on also a fixed salt: with version 1
    # still read, a lost character of a version-2 id too often left a valid id (7% against 2% with it).
    salt = "" if body[:1] == "1" else "7Q"
    for ch in reversed(ALPHABET[len(body) % 32] + salt + body):
        addend = factor * ALPHABET.index(ch)
        total += addend // 32 + addend % 32
        factor = 3 - factor
    return ALPHABET[(32 - total % 32) % 32]


def sheet_id(params: Params, seed: int) -> str:
    """The id printed on a sheet: version, parameters, seed and a check character (at most 16)."""
    body = _encode(params.version) + _encode(_pack(params), 4) + _encode(seed)
    return body + _check_character(body)


def parse_sheet_id(text: str) -> tuple[Params, int]:
    """The parameters and seed of a sheet id; a typo is an error, never someone else's problem."""
    cleaned = re.sub(r"[\s-]", "", text).upper()
    cleaned = "".join(READ_AS.get(ch, ch) for ch in cleaned)
    where = f"sheet id {text!r}"
    if not cleaned:
        raise SheetIdError(f"{where} is empty; copy the id printed at the top of the sheet")
    bad = sorted({ch for ch in cleaned if ch not in ALPHABET})
    if bad:
        raise SheetIdError(f"{where}: {''.join(bad)!r} cannot appear in a sheet id; check it for a typo")
    if not 7 <= len(cleaned) <= MAX_ID_LENGTH:
        raise SheetIdError(f"{where} has {len(cleaned)} characters; sheet ids have 7 to {MAX_ID_LENGTH}")
    body, check = cleaned[:-1], cleaned[-1]
    if _check_character(body) != check:
        raise SheetIdError(f"{where} does not check out (its last character is a check); look for a typo")
    version = ALPHABET.index(body[0])
    if version not in VERSIONS:
        raise SheetIdError(
            f"{where} was made by generator version {version}; this bythand makes version "
            f"{GENERATOR_VERSION} sheets, so install the bythand that printed it"
        )
    params = _unpack(int(body[1:5].translate(_DECODE), 32))
    params = params if params is None else replace(params, version=version)
    seed = int(body[5:].translate(_DECODE), 32)
    if (
        params is None or seed >> SEED_BITS or sheet_id(params, seed) != cleaned
    ):  # only the one spelling bythand prints
        raise SheetIdError(f"{where} does not describe a sheet; look for a typo")
    return params, seed


_DECODE = str.maketrans(ALPHABET, "0123456789abcdefghijklmnopqrstuv")  # base 32 as int() reads it


# Drawing problems


def _matrix(rows: list[list[int]]) -> Matrix:
    return exact_matrix([[Fraction(v) for v in row] for row in rows])


def _draw_weights(rng: SplitMix, rows: int, cols: int, level: Difficulty, active: int) -> list[list[int]]:
    """A sparse projection: each active row picks a few features, the way the classic W_Q does."""
    _, values, (low, high) = RANGES[level]
    out = []
    for r in range(rows):
        row = [0] * cols
        count = min(cols, low + rng.below(high - low + 1)) if r < active else 0
        for _ in range(count):
            row[rng.below(cols)] = rng.choice(values)
        out.append(row)
    return out


def _draw_values(rng: SplitMix, rows: int, cols: int, level: Difficulty) -> list[list[int]]:
    """W_V: one feature per row, scaled by a small factor, so Z stays readable."""
    out = []
    for _ in range(rows):
        row = [0] * cols
        row[rng.below(cols)] = rng.choice(V_VALUES[level])
        out.append(row)
    return out


def _draw_features(rng: SplitMix, dim: int, tokens: int, level: Difficulty) -> list[list[int]]:
    """X, with no all-zero token (a token with no features attends to nothing in particular)."""
    values = RANGES[level][0]
    X = [[rng.choice(values) for _ in range(tokens)] for _ in range(dim)]
    for j in range(tokens):
        if all(X[i][j] == 0 for i in range(dim)):
            X[rng.below(dim)][j] = 1
    return X


def _options(p: Params) -> Options:
    return Options(
        scale="floor-half" if p.approx else "sqrt",
        exp="3" if p.approx else "e",
        mask="causal" if p.mask else "none",
    )


def _draw_head(rng: SplitMix, p: Params, level: Difficulty, active: int) -> dict[str, Matrix]:
    return {
        "WQ": _matrix(_draw_weights(rng, p.dk, p.dim, level, active)),
        "WK": _matrix(_draw_weights(rng, p.dk, p.dim, level, active)),
        "WV": _matrix(_draw_values(rng, p.dv, p.dim, level)),
    }


def _draw(rng: SplitMix, p: Params, phase: int) -> Problem | None:
    """One X, then each head drawn until it is hand-friendly on its own (or None: start again)."""
    level = p.difficulty if phase == 0 else "easy"
    active = p.dk if phase < 2 else min(p.dk, 3)
    X = _matrix(_draw_features(rng, p.dim, p.tokens, level))
    heads: list[dict[str, Matrix]] = []
    for _ in range(p.heads):
        for _ in range(HEAD_ATTEMPTS):
            head = _draw_head(rng, p, level, active)
            if _quick_friendly(X, head, p, uniform_ok=phase == PHASES - 1):
                heads.append(head)
                break
        else:
            return None
    return Problem(X, heads=heads, options=_options(p), title="Self-attention by hand", source="generator")


def _quick_friendly(X: Matrix, head: dict[str, Matrix], p: Params, uniform_ok: bool) -> bool:
    """hand_friendly() for one head in machine integers: thousands of draws cost milliseconds."""
    x = X.astype(np.int64)
    Q = head["WQ"].astype(np.int64) @ x  # (d_k, d) @ (d, n) -> (d_k, n)
    K = head["WK"].astype(np.int64) @ x
    S = K.T @ Q  # (n, d_k) @ (d_k, n) -> (n, n), row = key, column = query
    live = np.ones(S.shape, dtype=bool)
    if p.mask:
        live = np.triu(live)  # key i > query j is masked
    if p.approx:
        scaled = S // 2
        low, high = SCALED_RANGE
        if not ((scaled >= low) & (scaled <= high) | ~live).all():
            return False
        # Σ 3^x with x ≥ -2: nine times the sum is a whole number, so the denominator stays ≤ 9.
        ninths = np.where(live, 3 ** np.clip(scaled - low, 0, None), 0).sum(axis=0)
        if (ninths > 9 * MAX_SUM_PER_TOKEN * p.tokens).any():
            return False
    else:
        scaled = S / np.sqrt(p.dk)
        if (np.abs(scaled[live]) > SCALED_ABS_NO_TRICKS).any():
            return False
    if uniform_ok:
        return True
    return any(len(set(scaled[live[:, j], j].tolist())) > 1 for j in range(scaled.shape[1]))


def hand_friendly(problem: Problem, uniform_ok: bool = False) -> bool:
    """True when every head stays within the hand-friendly bounds (and attends to something)."""
    trace = walk(problem)
    for i in range(len(problem.heads)):
        prefix = problem.prefix(i)
        scaled, sums = trace[prefix + "scaled"], trace[prefix + "sums"]
        live = [v for v in scaled.flat if v != MASKED]
        if problem.options.scale == "floor-half":
            if not all(SCALED_RANGE[0] <= v <= SCALED_RANGE[1] for v in live):
                return False
            if not is_exact(sums) or any(
                s > MAX_SUM_PER_TOKEN * problem.n_keys or s.denominator > MAX_SUM_DENOMINATOR
                for s in sums.flat
            ):
                return False
        elif not all(abs(float(v)) <= SCALED_ABS_NO_TRICKS for v in live):
            return False
        columns = [[scaled[r, c] for r in range(scaled.shape[0]) if scaled[r, c] != MASKED]
                   for c in range(scaled.shape[1])]  # fmt: skip
        if not uniform_ok and not any(len(set(col)) > 1 for col in columns):
            return False  # every query attends uniformly: nothing to learn from the softmax
    return True


def _title(p: Params) -> str:
    parts = [f"{p.dim} features", f"{p.tokens} tokens", f"d_k = {p.dk}"]
    if p.heads > 1:
        parts.append(f"{p.heads} heads")
    if p.mask:
        parts.append("causal mask")
    return "Self-attention by hand: " + ", ".join(parts)


def key_stats(problem: Problem) -> tuple[int, int, int]:
    """(largest denominator, largest numerator) in A and Z and the largest sums denominator, over every
    head of an exact trace."""
    trace = walk(problem)
    den = num = sums = 1
    for i in range(len(problem.heads)):
        pre = problem.prefix(i)
        for name in ("A", "Z"):
            for v in trace[pre + name].flat:
                den, num = max(den, Fraction(v).denominator), max(num, abs(Fraction(v).numerator))
        sums = max([sums, *(Fraction(v).denominator for v in trace[pre + "sums"].flat)])
    return den, num, sums


def bounded(params: Params) -> bool:
    """Do the key bounds of its difficulty hold for these parameters (exact keys at its own sizes)?"""
    sizes = (params.tokens, params.dim, params.dk, params.dv)
    return params.version >= 2 and params.approx and sizes == DEFAULT_SIZES[params.difficulty]


def quick_key_stats(problem: Problem) -> tuple[int, int, int]:
    """key_stats() of a problem with the tricks, in machine integers: E in ninths (3^x, x ≥ −2)."""
    x = problem.X.astype(np.int64)
    den = num = sums = 1
    causal = problem.options.mask == "causal"  # key i > query j is masked
    for head in problem.heads:
        Q, K, V = (np.asarray(w).astype(np.int64) @ x for w in (head.WQ, head.WK, head.WV))
        scaled = (K.T @ Q) // 2  # row = key, column = query
        live = np.triu(np.ones(scaled.shape, dtype=bool)) if causal else np.ones(scaled.shape, dtype=bool)
        # 9·E: whole numbers, as a live scaled score is at least -2; a masked one gives E = 0
        ninths = np.where(live, 3 ** np.clip(scaled - SCALED_RANGE[0], 0, None), 0)
        total = ninths.sum(axis=0)  # 9·sums, one per query
        for top, bottom in ((ninths, total), (V @ ninths, total)):  # A = E/Σ and Z = V·A, column by column
            g = np.gcd(top, bottom)
            den = max(den, int((bottom // g).max()))
            num = max(num, int((np.abs(top) // g).max()))
        sums = max(sums, int((9 // np.gcd(total, 9)).max()))
    return den, num, sums


def within_bounds(problem: Problem, level: Difficulty) -> bool:
    """The key of a problem within its difficulty's bounds."""
    b = KEY_BOUNDS[level]
    den, num, sums = quick_key_stats(problem)
    return b.denominator[0] <= den <= b.denominator[1] and num <= b.numerator and sums <= b.sums_denominator


def generate(params: Params, seed: int) -> Problem:
    """The problem of this seed: the first hand-friendly draw of a generator seeded by (params, seed)
    (version 2: also within the difficulty's key bounds)."""
    rng = SplitMix((_pack(params) << SEED_BITS) + seed)  # one stream per (parameters, seed)
    bound = bounded(params)
    attempts = BOUNDED_ATTEMPTS if bound else MAX_ATTEMPTS
    for attempt in range(attempts):
        problem = _draw(rng, params, attempt * PHASES // attempts)
        if problem is not None and (not bound or within_bounds(problem, params.difficulty)):
            return replace(problem, title=_title(params), source=f"sheet {sheet_id(params, seed)}")
    raise BythandError(  # pragma: no cover - the bounds are loose enough for every supported size
        f"no hand-friendly problem found for {params} after {MAX_ATTEMPTS} draws; try other sizes"
    )


def problem_from_sheet_id(sheet_id: str) -> Problem:
    """Rebuild exactly the problem printed on a sheet with this id."""
    params, seed = parse_sheet_id(sheet_id)
    return generate(params, seed)


def class_set(params: Params, seed: int, count: int) -> list[tuple[str, Problem]]:
    """`count` distinct problems for a class, with their ids; seed s gives sheets s·1000, s·1000+1, ..."""
    if not 0 <= seed <= MAX_SEED:
        raise BythandError(f"--seed: {seed} is outside 0 to {MAX_SEED}")
    if not 1 <= count <= MAX_COUNT:
        raise BythandError(f"--count: {count} is outside 1 to {MAX_COUNT}")
    out: list[tuple[str, Problem]] = []
    seen: set[bytes] = set()
    for i in range(MAX_COUNT):
        if len(out) == count:
            break
        sheet_seed = seed * MAX_COUNT + i
        problem = generate(params, sheet_seed)
        key = repr(
            [problem.X.tolist(), [[h.WQ.tolist(), h.WK.tolist(), h.WV.tolist()] for h in problem.heads]]
        )
        if key.encode() in seen:
            continue  # tiny sizes can repeat; every student gets a problem of their own
        seen.add(key.encode())
        out.append((sheet_id(params, sheet_seed), problem))
    if len(out) < count:
        raise BythandError(f"only {len(out)} distinct problems exist at these sizes; ask for fewer or larger")
    return out


def named_problem(example: str | None, sheet: str | None, others: list[str]) -> Problem | None:
    """The problem of --example NAME or --sheet ID, if one was given (and nothing else names one)."""
    chosen = [flag for flag, value in (("--example", example), ("--sheet", sheet)) if value is not None]
    if not chosen:
        return None
    if len(chosen) + len(others) > 1:
        raise BythandError(
            f"{chosen[0]} names the whole problem; leave out {', '.join((chosen + others)[1:])}"
        )
    return load_example(example) if example is not None else problem_from_sheet_id(sheet or "")
