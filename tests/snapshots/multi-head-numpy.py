"""Multi-head attention by hand: 2 heads, 4 tokens

Every matrix of bythand's walkthrough of example multi-head-2x4, computed again in NumPy: rows
convention, no scaling, 3^x, 2 heads. Here tokens are the rows of X; each matrix is printed
under its bythand name, the same numbers as `bythand run` shows. Needs only numpy:

    python attention_numpy.py        # 4 decimal places
    python attention_numpy.py 17     # every digit
"""

import sys

import numpy as np

DIGITS = int(sys.argv[1]) if len(sys.argv) > 1 else 4


def show(name, m):
    """Print one named matrix of the walkthrough, a row a line."""
    print(f"{name} =")
    for row in m.tolist():
        print("  " + "  ".join(f"{v:{DIGITS + 6}.{DIGITS}f}" for v in row))
    print()


def attention(X, C, W_Q, W_K, W_V):
    """Steps 2 to 9 for one head; queries come from X, keys and values from C."""
    # Step 2 · Query, Key, Value
    Q = X @ W_Q  # (n, d) @ (d, d_k) -> (n, d_k)
    K = C @ W_K  # (m, d) @ (d, d_k) -> (m, d_k)
    V = C @ W_V  # (m, d) @ (d, d_v) -> (m, d_v)
    # Step 3 · Prepare for MatMul
    KT = K.T  # (d_k, m)
    # Step 4 · MatMul: S[i, j] = q_i · k_j (row = query, column = key)
    S = Q @ KT  # (n, d_k) @ (d_k, m) -> (n, m)
    # Step 5 · Scale
    scaled = S  # no scaling
    # Step 6 · Softmax: exp (3^x, the hand trick for e^x)
    E = 3.0 ** scaled
    # Step 7 · Softmax: Σ, along each row
    sums = E.sum(axis=1, keepdims=True)
    # Step 8 · Softmax: 1/sum
    A = E / sums
    # Step 9 · MatMul
    Z = A @ V  # z_i = Σ_j A[i, j] · v_j
    return {"Q": Q, "K": K, "V": V, "KT": KT, "S": S, "scaled": scaled, "E": E, "sums": sums,
            "A": A, "Z": Z}


# Step 1 · Given: tokens are rows
X = np.array([
    [1, 0, 0, 1],
    [0, 1, 1, 0],
    [0, 0, 1, 1],
    [1, 0, 0, 1],
], dtype=float)
W_Q1 = np.array([
    [1, 0],
    [0, 1],
    [0, 0],
    [0, 1],
], dtype=float)
W_K1 = np.array([
    [0, 1],
    [0, 0],
    [1, 0],
    [0, 0],
], dtype=float)
W_V1 = np.array([
    [2, 0],
    [0, 0],
    [0, 1],
    [0, 0],
], dtype=float)
W_Q2 = np.array([
    [0, 0],
    [0, 1],
    [0, 1],
    [1, 0],
], dtype=float)
W_K2 = np.array([
    [1, 0],
    [1, 0],
    [0, 0],
    [0, 1],
], dtype=float)
W_V2 = np.array([
    [0, 0],
    [1, 0],
    [0, 0],
    [0, 3],
], dtype=float)
W_O = np.array([
    [1, 0],
    [0, 1],
    [1, 0],
    [0, 1],
], dtype=float)
show("X", X)
show("h1.WQ", W_Q1)
show("h1.WK", W_K1)
show("h1.WV", W_V1)
show("h2.WQ", W_Q2)
show("h2.WK", W_K2)
show("h2.WV", W_V2)

results = [attention(X, X, W_Q1, W_K1, W_V1), attention(X, X, W_Q2, W_K2, W_V2)]
for h, result in enumerate(results, start=1):
    for name, value in result.items():
        show(f"h{h}.{name}", value)

# Step 10 · Concatenate: the heads' Z side by side
concat = np.concatenate([result["Z"] for result in results], axis=1)
show("concat", concat)

# Step 11 · Output projection
O = concat @ W_O
show("WO", W_O)
show("O", O)
