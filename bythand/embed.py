"""Step 0 · Embed: where X comes from, the tokens' word vectors plus their positional encodings."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .errors import ProblemError
from .numbers import Matrix, NumberError, is_exact, parse_number, to_float

Positions = Literal["none", "sinusoidal", "given"]
POSITIONS: tuple[str, ...] = ("none", "sinusoidal")
DEFAULT_BASE = 10000  # the original paper's 10000; some hand sheets use 10 or 100
EMBED_KEYS = ("tokens", "embeddings", "embedding", "token_ids", "positions", "position_base", "P")


@dataclass(frozen=True)
class Embedding:
    """The parts of X: an embedding table, the tokens' ids in it, and the positional encodings.

    Every matrix is written in the problem's convention: `table` has one row per vocabulary entry
    in rows (as nn.Embedding.weight), one column per entry in columns; `P` is laid out like X.
    """

    table: Matrix
    ids: tuple[int, ...]
    tokens: tuple[str, ...] | None  # the words, when the problem names them
    vocab: tuple[str, ...] | None  # the table's entries by word (an `embeddings` table of words)
    P: Matrix | None
    positions: Positions
    base: int
    columns: bool

    @property
    def embed(self) -> Matrix:
        """The tokens' word vectors, laid out like X: the table's entries picked by id."""
        picked: Matrix = self.table[:, list(self.ids)] if self.columns else self.table[list(self.ids), :]
        return picked.copy()

    @property
    def X(self) -> Matrix:
        """X = embed + P (or the word vectors alone when there are no positional encodings)."""
        return add(self.embed, self.P)

    def token(self, index: int) -> str:
        """How token `index` (0-based) is named in a formula: "a" quoted, or #5 by its id."""
        if self.tokens is not None:
            return '"' + self.tokens[index].replace('"', '\\"') + '"'
        return f"#{self.ids[index]}"

    def transposed(self) -> Embedding:
        """The same parts written in the other convention."""
        return Embedding(
            self.table.T.copy(), self.ids, self.tokens, self.vocab,
            None if self.P is None else self.P.T.copy(), self.positions, self.base, not self.columns,
        )  # fmt: skip


def add(embed: Matrix, P: Matrix | None) -> Matrix:
    """embed + P, exact when both are exact."""
    if P is None:
        return embed.copy()
    if is_exact(embed) and is_exact(P):
        total: Matrix = embed + P
        return total
    floats: Matrix = to_float(embed) + to_float(P)
    return floats


def sinusoidal(n: int, d: int, base: int = DEFAULT_BASE) -> Matrix:
    """The original paper's encoding, tokens as rows: P[pos, 2i] = sin(pos/base^(2i/d)), P[pos, 2i+1] cos."""
    P = np.empty((n, d), dtype=np.float64)
    for pos in range(n):
        for k in range(d):
            angle = pos / base ** (2 * (k // 2) / d)
            P[pos, k] = math.sin(angle) if k % 2 == 0 else math.cos(angle)
    return P


def angle_text(pos: int, k: int, d: int, base: int) -> str:
    """The argument of sin/cos for one cell, as written: "2 / 10000^(2/4)"."""
    return f"{pos} / {base}^({2 * (k // 2)}/{d})"


def _words(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not value:
        raise ProblemError(f'{where}: tokens must be a list of words, like ["Write", "a", "poem"]')
    for i, word in enumerate(value, start=1):
        if not isinstance(word, str) or not word:
            raise ProblemError(f"{where}: token {i} is {word!r}; tokens are words written as text")
    return tuple(value)


def _vector(value: object, what: str, where: str) -> list[Any]:
    if not isinstance(value, list | tuple) or not value:
        raise ProblemError(f"{where}: {what} must be a list of numbers, like [1, 0, 2]")
    return list(value)


def _ids(value: object, size: int, where: str) -> tuple[int, ...]:
    if not isinstance(value, list | tuple) or not value:
        raise ProblemError(f"{where}: token_ids must be a list of whole numbers, like [3, 0, 5]")
    ids = []
    for i, v in enumerate(value, start=1):
        if isinstance(v, bool) or not isinstance(v, int | np.integer):
            raise ProblemError(f"{where}: token_ids entry {i} is {v!r}, not a whole number")
        if not 0 <= int(v) < size:
            raise ProblemError(
                f"{where}: token_ids entry {i} is {int(v)}, but the embedding table has ids 0 to {size - 1}"
            )
        ids.append(int(v))
    return tuple(ids)


def make_embedding(
    *,
    tokens: Sequence[str] | None = None,
    embeddings: Mapping[str, Sequence[Any]] | None = None,
    embedding: Any = None,
    token_ids: Sequence[int] | None = None,
    positions: str | None = None,
    position_base: object = None,
    P: Any = None,
    columns: bool = True,
    where: str = "<python>",
) -> tuple[Embedding, bool]:
    """Check and assemble the parts of X; also say whether decimals were written."""
    words = _words(tokens, where) if tokens is not None else None
    vocab: tuple[str, ...] | None = None
    if embeddings is not None and embedding is not None:
        raise ProblemError(f"{where}: give either embeddings (a table of words) or embedding and token_ids")
    if embeddings is not None:
        if token_ids is not None:
            raise ProblemError(f"{where}: token_ids goes with an embedding matrix, not an embeddings table")
        vocab, table, decimal = _word_table(embeddings, words, columns, where)
        ids = tuple(vocab.index(w) for w in words or ())
    elif embedding is not None:
        if token_ids is None:
            raise ProblemError(f"{where}: an embedding matrix needs token_ids, the row of each token in it")
        table, decimal = _to_matrix(embedding, "embedding", where)
        ids = _ids(token_ids, int(table.shape[1] if columns else table.shape[0]), where)
        if words is not None and len(words) != len(ids):
            raise ProblemError(f"{where}: {len(words)} tokens but {len(ids)} token_ids; one id per token")
    else:
        raise ProblemError(
            f"{where}: tokens need their vectors: an embeddings table of words, "
            "or an embedding matrix with token_ids"
        )
    base = _base(position_base, where)
    shape = (int(table.shape[0]), len(ids)) if columns else (len(ids), int(table.shape[1]))
    pe, kind, was = _positions(positions, P, base, shape, columns, where)
    return Embedding(table, ids, words, vocab, pe, kind, base, columns), decimal or was


def _to_matrix(value: Any, name: str, where: str) -> tuple[Matrix, bool]:
    from .problem import from_array_like, to_matrix  # problem.py imports this module, so import late

    return to_matrix(from_array_like(value), name, where)


def _word_table(
    embeddings: object, words: tuple[str, ...] | None, columns: bool, where: str
) -> tuple[tuple[str, ...], Matrix, bool]:
    """The vocabulary and its table from an `embeddings` table of word -> vector."""
    if not isinstance(embeddings, Mapping) or not embeddings:
        raise ProblemError(f"{where}: embeddings must be a table of words, like {{ a = [1, 0], b = [0, 2] }}")
    if words is None:
        raise ProblemError(f'{where}: embeddings needs tokens, the words in order, like ["Write", "a"]')
    vocab = tuple(str(w) for w in embeddings)
    rows = [_vector(embeddings[w], f'embeddings["{w}"]', where) for w in vocab]
    for word, row in zip(vocab, rows, strict=True):
        if len(row) != len(rows[0]):
            raise ProblemError(
                f'{where}: embeddings["{word}"] has {len(row)} numbers, '
                f'but embeddings["{vocab[0]}"] has {len(rows[0])}'
            )
    missing = [w for w in words if w not in vocab]
    if missing:
        raise ProblemError(
            f'{where}: the token "{missing[0]}" has no vector in embeddings (it has {", ".join(vocab)})'
        )
    table, decimal = _to_matrix(rows, "embeddings", where)
    return vocab, (table.T.copy() if columns else table), decimal


def _positions(
    positions: object, P: Any, base: int, shape: tuple[int, int], columns: bool, where: str
) -> tuple[Matrix | None, Positions, bool]:
    """The positional encodings laid out like X: a given P, the sinusoidal formula, or none."""
    if P is not None:
        if positions is not None and positions != "given":
            raise ProblemError(f"{where}: give either positions = {positions!r} or a matrix P, not both")
        pe, decimal = _to_matrix(P, "P", where)
        if pe.shape != shape:
            layout = "features × tokens" if columns else "tokens × features"
            raise ProblemError(
                f"{where}: P is {pe.shape[0]}×{pe.shape[1]}, but X will be {shape[0]}×{shape[1]} "
                f"({layout}), so P needs that shape too"
            )
        return pe, "given", decimal
    if positions is None or positions == "none":
        return None, "none", False
    if positions == "sinusoidal":
        n, d = (shape[1], shape[0]) if columns else shape
        pe = sinusoidal(n, d, base)
        return (pe.T.copy() if columns else pe), "sinusoidal", False
    raise ProblemError(
        f"{where}: unknown positions {positions!r} (choose sinusoidal or none, or give a matrix P)"
    )


def _base(value: object, where: str) -> int:
    if value is None:
        return DEFAULT_BASE
    try:
        number, _ = parse_number(value)
        whole = number.denominator == 1 and 2 <= number <= 10**9
    except NumberError:
        whole = False
    if not whole:
        raise ProblemError(
            f"{where}: position_base must be a whole number of at least 2 (like 10000), not {value!r}"
        )
    return int(number)
