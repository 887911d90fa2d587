"""Self-attention by hand: 6 features, 4 tokens, d_k = 3

Every matrix of bythand's walkthrough of built-in example self-attention-6x4, computed again in
PyTorch: columns convention, scale ⌊S/2⌋ (the hand trick), 3^x. Here tokens are the columns of
X; each matrix is printed under its bythand name, the same numbers as `bythand run` shows. Needs
torch:

    python attention_torch.py        # 4 decimal places
    python attention_torch.py 17     # every digit
"""

import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)  # double precision: the same digits as bythand
DIGITS = int(sys.argv[1]) if len(sys.argv) > 1 else 4


def show(name, m):
    """Print one named matrix of the walkthrough, a row a line."""
    print(f"{name} =")
    for row in m.tolist():
        print("  " + "  ".join(f"{v:{DIGITS + 6}.{DIGITS}f}" for v in row))
    print()


def linear(W):
    """An nn.Linear without bias holding W; nn.Linear stores its weight as (out, in)."""
    layer = nn.Linear(W.shape[1], W.shape[0], bias=False)
    with torch.no_grad():
        layer.weight.copy_(W)  # W is (out, in) already: tokens are columns here
    return layer


class SelfAttention(nn.Module):
    """One head: nn.Linear layers hold W_Q, W_K, W_V; forward returns every matrix by name."""

    def __init__(self, W_Q, W_K, W_V):
        super().__init__()
        self.W_q = linear(W_Q)
        self.W_k = linear(W_K)
        self.W_v = linear(W_V)

    def forward(self, X, C):
        """Queries from X, keys and values from C (C is X in self-attention)."""
        # Step 2 · Query, Key, Value
        # nn.Linear takes tokens as rows: the columns go in transposed and come out transposed
        Q = self.W_q(X.T).T  # (d, n) -> (d_k, n): W_Q·X
        K = self.W_k(C.T).T  # (d, m) -> (d_k, m): W_K·C
        V = self.W_v(C.T).T  # (d, m) -> (d_v, m): W_V·C
        # Step 3 · Prepare for MatMul
        KT = K.transpose(0, 1)  # (m, d_k)
        # Step 4 · MatMul: S[i, j] = k_i · q_j (row = key, column = query)
        S = torch.matmul(KT, Q)  # (m, d_k) @ (d_k, n) -> (m, n)
        # Step 5 · Scale
        scaled = torch.floor(S / 2)  # the hand trick for S / √3
        # Step 6 · Softmax: exp (3^x, the hand trick for e^x)
        E = torch.pow(3.0, scaled)
        # Step 7 · Softmax: Σ, down each column
        sums = E.sum(dim=0, keepdim=True)
        # Step 8 · Softmax: 1/sum
        A = E / sums
        # Step 9 · MatMul
        Z = torch.matmul(V, A)  # z_j = Σ_i A[i, j] · v_i
        return {"Q": Q, "K": K, "V": V, "KT": KT, "S": S, "scaled": scaled, "E": E, "sums": sums,
                "A": A, "Z": Z}


# Step 1 · Given: the feature vectors are the columns
X = torch.tensor([
    [2, 0, 0, 2],
    [0, 1, 0, 0],
    [0, 2, 1, 0],
    [0, 0, 1, 1],
    [2, 0, 0, 0],
    [1, 0, 1, 1],
], dtype=torch.float64)
W_Q = torch.tensor([
    [1, 1, 0, 0, 0, 0],
    [0, 1, 0, 1, 0, 0],
    [0, 0, 1, 0, 1, 1],
], dtype=torch.float64)
W_K = torch.tensor([
    [ 0,  0,  1,  0,  0,  0],
    [ 0,  1,  0,  0,  0,  0],
    [ 1,  0,  0,  0,  0, -1],
], dtype=torch.float64)
W_V = torch.tensor([
    [10,  0,  0,  0,  0,  0],
    [ 0,  0,  0, 10,  0,  0],
    [ 0, 10,  0,  0,  0,  0],
], dtype=torch.float64)
show("X", X)
show("WQ", W_Q)
show("WK", W_K)
show("WV", W_V)

heads = nn.ModuleList([SelfAttention(W_Q, W_K, W_V)])
with torch.no_grad():
    results = [head(X, X) for head in heads]
for name, value in results[0].items():
    show(name, value)
