"""The step table of DESIGN.md as walk() writes it: numbers, titles, formulas, names and products."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bythand import Problem, builtin_example, walk

from test_explain import cross, two_heads

Row = tuple[int, str, str, tuple[str, ...], list[tuple[str, str, str]]]

PROBLEMS: dict[str, Callable[[], Problem]] = {
    "classic": builtin_example,
    "rows-causal-e": lambda: (
        builtin_example().with_options(mask="causal", exp="e", scale="sqrt").in_convention("rows")
    ),
    "cross-none-2": lambda: cross().with_options(exp="2"),
    "two-heads-rows": lambda: two_heads().in_convention("rows"),
}

# fmt: off
STEPS: dict[str, list[Row]] = {
    "classic": [
        (1, 'Given', 'features as columns: X is d×n, W_Q and W_K are d_k×d, W_V is d_v×d',
         ('X', 'WQ', 'WK', 'WV'), []),
        (2, 'Query, Key, Value', 'Q = W_Q·X, K = W_K·X, V = W_V·X',
         ('Q', 'K', 'V'), [('WQ', 'X', 'Q'), ('WK', 'X', 'K'), ('WV', 'X', 'V')]),
        (3, 'Prepare for MatMul', 'copy Q; write Kᵀ, K transposed',
         ('KT', 'Q'), []),
        (4, 'MatMul', 'S = Kᵀ·Q; S[i,j] = k_i·q_j',
         ('S',), [('KT', 'Q', 'S')]),
        (5, 'Scale', '⌊S/2⌋, the hand trick for S / √3 ≈ S / 1.73',
         ('scaled',), []),
        (6, 'Softmax: exp', 'E = 3^x, the hand trick for e^x',
         ('E',), []),
        (7, 'Softmax: Σ', 'sums[j] = Σ_i E[i,j], down each column',
         ('sums',), []),
        (8, 'Softmax: 1/sum', 'A[i,j] = E[i,j] / sums[j]; each column of A sums to 1',
         ('A',), []),
        (9, 'MatMul', 'Z = V·A; z_j = Σ_i A[i,j]·v_i',
         ('Z',), [('V', 'A', 'Z')]),
    ],
    "rows-causal-e": [
        (1, 'Given', 'features as rows: X is n×d, W_Q and W_K are d×d_k, W_V is d×d_v',
         ('X', 'WQ', 'WK', 'WV'), []),
        (2, 'Query, Key, Value', 'Q = X·W_Q, K = X·W_K, V = X·W_V',
         ('Q', 'K', 'V'), [('X', 'WQ', 'Q'), ('X', 'WK', 'K'), ('X', 'WV', 'V')]),
        (3, 'Prepare for MatMul', 'copy Q; write Kᵀ, K transposed',
         ('KT', 'Q'), []),
        (4, 'MatMul', 'S = Q·Kᵀ; S[i,j] = q_i·k_j',
         ('S',), [('Q', 'KT', 'S')]),
        (5, 'Scale', 'S / √d_k = S / √3 ≈ S / 1.73; a key after its query is masked with −∞',
         ('scaled',), []),
        (6, 'Softmax: exp', 'E = e^x; −∞ becomes 0',
         ('E',), []),
        (7, 'Softmax: Σ', 'sums[i] = Σ_j E[i,j], along each row',
         ('sums',), []),
        (8, 'Softmax: 1/sum', 'A[i,j] = E[i,j] / sums[i]; each row of A sums to 1',
         ('A',), []),
        (9, 'MatMul', 'Z = A·V; z_i = Σ_j A[i,j]·v_j',
         ('Z',), [('A', 'V', 'Z')]),
    ],
    "cross-none-2": [
        (1, 'Given',
         'features as columns: X is d×n, W_Q and W_K are d_k×d, W_V is d_v×d; the context C gives'
         ' the keys and values',
         ('X', 'C', 'WQ', 'WK', 'WV'), []),
        (2, 'Query, Key, Value', 'Q = W_Q·X, K = W_K·C, V = W_V·C',
         ('Q', 'K', 'V'), [('WQ', 'X', 'Q'), ('WK', 'C', 'K'), ('WV', 'C', 'V')]),
        (3, 'Prepare for MatMul', 'copy Q; write Kᵀ, K transposed',
         ('KT', 'Q'), []),
        (4, 'MatMul', 'S = Kᵀ·Q; S[i,j] = k_i·q_j',
         ('S',), [('KT', 'Q', 'S')]),
        (5, 'Scale', 'S, no scaling',
         ('scaled',), []),
        (6, 'Softmax: exp', 'E = 2^x',
         ('E',), []),
        (7, 'Softmax: Σ', 'sums[j] = Σ_i E[i,j], down each column',
         ('sums',), []),
        (8, 'Softmax: 1/sum', 'A[i,j] = E[i,j] / sums[j]; each column of A sums to 1',
         ('A',), []),
        (9, 'MatMul', 'Z = V·A; z_j = Σ_i A[i,j]·v_i',
         ('Z',), [('V', 'A', 'Z')]),
    ],
    "two-heads-rows": [
        (1, 'Given',
         'features as rows: X is n×d, W_Q and W_K are d×d_k, W_V is d×d_v; head 1 takes its block'
         ' of W_Q, W_K, W_V',
         ('X', 'h1.WQ', 'h1.WK', 'h1.WV'), []),
        (2, 'Query, Key, Value', 'Q = X·W_Q, K = X·W_K, V = X·W_V',
         ('h1.Q', 'h1.K', 'h1.V'), [('X', 'h1.WQ', 'h1.Q'), ('X', 'h1.WK', 'h1.K'), ('X', 'h1.WV', 'h1.V')]),
        (3, 'Prepare for MatMul', 'copy Q; write Kᵀ, K transposed',
         ('h1.KT', 'h1.Q'), []),
        (4, 'MatMul', 'S = Q·Kᵀ; S[i,j] = q_i·k_j',
         ('h1.S',), [('h1.Q', 'h1.KT', 'h1.S')]),
        (5, 'Scale', '⌊S/2⌋, the hand trick in place of S / √2 ≈ S / 1.41',
         ('h1.scaled',), []),
        (6, 'Softmax: exp', 'E = 2^x',
         ('h1.E',), []),
        (7, 'Softmax: Σ', 'sums[i] = Σ_j E[i,j], along each row',
         ('h1.sums',), []),
        (8, 'Softmax: 1/sum', 'A[i,j] = E[i,j] / sums[i]; each row of A sums to 1',
         ('h1.A',), []),
        (9, 'MatMul', 'Z = A·V; z_i = Σ_j A[i,j]·v_j',
         ('h1.Z',), [('h1.A', 'h1.V', 'h1.Z')]),
        (1, 'Given',
         'features as rows: X is n×d, W_Q and W_K are d×d_k, W_V is d×d_v; head 2 takes its block'
         ' of W_Q, W_K, W_V',
         ('X', 'h2.WQ', 'h2.WK', 'h2.WV'), []),
        (2, 'Query, Key, Value', 'Q = X·W_Q, K = X·W_K, V = X·W_V',
         ('h2.Q', 'h2.K', 'h2.V'), [('X', 'h2.WQ', 'h2.Q'), ('X', 'h2.WK', 'h2.K'), ('X', 'h2.WV', 'h2.V')]),
        (3, 'Prepare for MatMul', 'copy Q; write Kᵀ, K transposed',
         ('h2.KT', 'h2.Q'), []),
        (4, 'MatMul', 'S = Q·Kᵀ; S[i,j] = q_i·k_j',
         ('h2.S',), [('h2.Q', 'h2.KT', 'h2.S')]),
        (5, 'Scale', '⌊S/2⌋, the hand trick in place of S / √2 ≈ S / 1.41',
         ('h2.scaled',), []),
        (6, 'Softmax: exp', 'E = 2^x',
         ('h2.E',), []),
        (7, 'Softmax: Σ', 'sums[i] = Σ_j E[i,j], along each row',
         ('h2.sums',), []),
        (8, 'Softmax: 1/sum', 'A[i,j] = E[i,j] / sums[i]; each row of A sums to 1',
         ('h2.A',), []),
        (9, 'MatMul', 'Z = A·V; z_i = Σ_j A[i,j]·v_j',
         ('h2.Z',), [('h2.A', 'h2.V', 'h2.Z')]),
        (10, 'Concatenate', 'concat = [h1.Z, h2.Z], side by side',
         ('concat',), []),
        (11, 'Output projection', 'O = concat·W_O',
         ('O',), [('concat', 'WO', 'O')]),
    ],
}
# fmt: on


@pytest.mark.parametrize("key", list(PROBLEMS))
def test_the_step_table(key: str) -> None:
    trace = walk(PROBLEMS[key]())
    got = [(s.number, s.title, s.formula, s.names, [(x.left, x.right, x.result) for x in s.products])
           for s in trace.steps]  # fmt: skip
    assert got == STEPS[key]
