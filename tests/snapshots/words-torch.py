"""Write a poem

Every matrix of bythand's walkthrough of words.toml, computed again in PyTorch: rows convention,
scale S/√d_k, e^x, causal mask. Here tokens are the rows of X; each matrix is printed under its
bythand name, the same numbers as `bythand run` shows. Needs torch:

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
    layer = nn.Linear(W.shape[0], W.shape[1], bias=False)
    with torch.no_grad():
        layer.weight.copy_(W.T)  # X·W = X·(weight)ᵀ, so the weight is W transposed
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
        Q = self.W_q(X)  # (n, d) -> (n, d_k): X·W_Q
        K = self.W_k(C)  # (m, d) -> (m, d_k): C·W_K
        V = self.W_v(C)  # (m, d) -> (m, d_v): C·W_V
        # Step 3 · Prepare for MatMul
        KT = K.transpose(0, 1)  # (d_k, m)
        # Step 4 · MatMul: S[i, j] = q_i · k_j (row = query, column = key)
        S = torch.matmul(Q, KT)  # (n, d_k) @ (d_k, m) -> (n, m)
        # Step 5 · Scale
        scaled = S / torch.tensor(Q.shape[1] ** 0.5)  # divide by √d_k
        ones = torch.ones(S.shape, dtype=torch.bool)
        mask = torch.triu(ones, diagonal=1)  # True where a key comes after its query
        scaled = scaled.masked_fill(mask, float("-inf"))
        # Step 6 · Softmax: exp
        E = torch.exp(scaled)
        # Step 7 · Softmax: Σ, along each row
        sums = E.sum(dim=1, keepdim=True)
        # Step 8 · Softmax: 1/sum (F.softmax does steps 6 to 8 in one, stably)
        A = F.softmax(scaled, dim=1)
        # Step 9 · MatMul
        Z = torch.matmul(A, V)  # z_i = Σ_j A[i, j] · v_j
        return {"Q": Q, "K": K, "V": V, "KT": KT, "S": S, "scaled": scaled, "E": E, "sums": sums,
                "A": A, "Z": Z}


# Step 0 · Embed: each token's word vector plus its position's encoding
table = torch.tensor([  # one row per entry of the vocabulary
    [1, 0, 1, 0],
    [0, 2, 0, 1],
    [1, 1, 0, 2],
], dtype=torch.float64)
embedding = nn.Embedding.from_pretrained(table)  # one row per entry, as nn.Embedding keeps it
vocab = {'Write': 0, 'a': 1, 'poem': 2}
tokens = ['Write', 'a', 'poem']
token_ids = [vocab[word] for word in tokens]
embed = embedding(torch.tensor(token_ids))  # (n, d)


def sinusoidal(n, d, base):
    """The original paper's encoding, tokens as rows: sin for features 2i, cos for 2i+1."""
    pos = torch.arange(n).unsqueeze(1)  # (n, 1): positions 0, 1, ...
    two_i = torch.arange(d) // 2 * 2  # (d,): 2i for features 2i and 2i+1
    angle = pos / base ** (two_i / d)  # (n, d)
    return torch.where(torch.arange(d) % 2 == 0, torch.sin(angle), torch.cos(angle))


P = sinusoidal(3, 4, 100)
X = embed + P

show("embed", embed)
show("P", P)
show("X", X)

# Step 1 · Given: tokens are rows
W_Q = torch.tensor([
    [1, 0],
    [0, 1],
    [1, 0],
    [0, 1],
], dtype=torch.float64)
W_K = torch.tensor([
    [0, 1],
    [1, 0],
    [0, 1],
    [1, 1],
], dtype=torch.float64)
W_V = torch.tensor([
    [1, 0],
    [0, 1],
    [1, 1],
    [0, 0],
], dtype=torch.float64)
show("WQ", W_Q)
show("WK", W_K)
show("WV", W_V)

heads = nn.ModuleList([SelfAttention(W_Q, W_K, W_V)])
with torch.no_grad():
    results = [head(X, X) for head in heads]
for name, value in results[0].items():
    show(name, value)
