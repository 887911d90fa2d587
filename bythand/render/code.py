"""The trace as a runnable script: NumPy, or PyTorch as the course code writes it (nn.Linear, F.softmax).

The script holds the problem's givens and computes every matrix of the trace again, printing each
by its bythand name; run with a number of digits (`python attention.py 17`) it prints them all.
"""

from __future__ import annotations

import json
import textwrap
from fractions import Fraction

from ..numbers import Matrix, fraction_text
from ..problem import Problem
from ..walk import Trace

INDENT = "    "


def _value(v: object) -> str:
    """One number as Python source: 2, -1, 1/3 (a fraction stays a fraction), 0.1."""
    if isinstance(v, Fraction):
        return fraction_text(v)
    return repr(float(v))  # type: ignore[arg-type]


def _rows(m: Matrix, indent: str) -> list[str]:
    width = max(len(_value(v)) for v in m.flat)
    return [
        indent + INDENT + "[" + ", ".join(_value(v).rjust(width) for v in row) + "]," for row in m.tolist()
    ]


def _literal(name: str, m: Matrix, make: str, indent: str = "", comment: str = "") -> list[str]:
    """`name = make([...rows...])`, one row of the matrix a line."""
    tail = "  # " + comment if comment else ""
    return [f"{indent}{name} = {make}([{tail}", *_rows(m, indent), f"{indent}]{_closing(make)})"]


def _closing(make: str) -> str:
    return ", dtype=torch.float64" if make.startswith("torch") else ", dtype=float"


def _method(trace: Trace) -> str:
    o = trace.options
    scale = {"sqrt": "scale S/√d_k", "floor-half": "scale ⌊S/2⌋ (the hand trick)", "none": "no scaling"}
    exp = "e^x" if o.base is None else f"{o.base}^x"
    mask = ", causal mask" if o.mask == "causal" else ""
    return f"{o.convention} convention, {scale[o.scale]}, {exp}{mask}"


def _doc(text: str) -> str:
    """Text safe inside a docstring: a title may hold backslashes or quotes."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _header(trace: Trace, framework: str, needs: str, file: str) -> list[str]:
    p = trace.problem
    heads = f", {len(p.heads)} heads" if len(p.heads) > 1 else ""
    cross = ", cross-attention (keys and values from C)" if p.C is not None else ""
    layout = "tokens are the columns of X" if p.columns else "tokens are the rows of X"
    about = (
        f"Every matrix of bythand's walkthrough of {p.source}, computed again in {framework}: "
        f"{_method(trace)}{heads}{cross}. Here {layout}; each matrix is printed under its bythand "
        f"name, the same numbers as `bythand run` shows. Needs {needs}:"
    )
    return [
        f'"""{_doc(p.title)}',
        "",
        *(_doc(line) for line in textwrap.wrap(about, 96)),
        "",
        f"    python {file}        # 4 decimal places",
        f"    python {file} 17     # every digit",
        '"""',
        "",
    ]


SHOW = [
    "DIGITS = int(sys.argv[1]) if len(sys.argv) > 1 else 4",
    "",
    "",
    "def show(name, m):",
    '    """Print one named matrix of the walkthrough, a row a line."""',
    '    print(f"{name} =")',
    "    for row in m.tolist():",
    '        print("  " + "  ".join(f"{v:{DIGITS + 6}.{DIGITS}f}" for v in row))',
    "    print()",
]


def _weights(p: Problem, make: str) -> tuple[list[str], list[str]]:
    """The heads' W_Q, W_K, W_V (and W_O) as literals, and the names they are bound to."""
    out: list[str] = []
    names: list[str] = []
    for i, head in enumerate(p.heads):
        suffix = "" if len(p.heads) == 1 else str(i + 1)
        for name, m in (("W_Q", head.WQ), ("W_K", head.WK), ("W_V", head.WV)):
            out += _literal(name + suffix, m, make)
        names.append(suffix)
    if p.WO is not None:
        out += _literal("W_O", p.WO, make)
    return out, names


def _given_names(p: Problem, names: list[str]) -> list[str]:
    """The show() calls of step 1, under bythand's names."""
    lines = ['show("X", X)'] if p.embedding is None else []
    if p.C is not None:
        lines.append('show("C", C)')
    for i, suffix in enumerate(names):
        prefix = p.prefix(i)
        lines += [f'show("{prefix}{w}", W_{w[1]}{suffix})' for w in ("WQ", "WK", "WV")]
    return lines


def _embed_numpy(p: Problem) -> list[str]:
    """Step 0 in numpy: the table, the tokens' rows (columns) of it, the positions, X = embed + P."""
    e = p.embedding
    assert e is not None
    axis = "column" if p.columns else "row"
    out = ["# Step 0 · Embed: each token's word vector plus its position's encoding"]
    out += _literal("embedding", e.table, "np.array", comment=f"one {axis} per entry of the vocabulary")
    out += _token_ids(p)
    out.append("embed = embedding[:, token_ids]" if p.columns else "embed = embedding[token_ids]")
    out += _positions_numpy(p)
    out += ["X = embed + P" if e.P is not None else "X = embed  # no positional encoding", ""]
    out += ['show("embed", embed)', *(['show("P", P)'] if e.P is not None else []), 'show("X", X)', ""]
    return out


def _token_ids(p: Problem) -> list[str]:
    e = p.embedding
    assert e is not None
    if e.vocab is not None:
        entries = (f"{json.dumps(w, ensure_ascii=False)}: {i}" for i, w in enumerate(e.vocab))
        vocab = "{" + ", ".join(entries) + "}"
        return [
            f"vocab = {vocab}",
            f"tokens = {json.dumps(list(e.tokens or ()), ensure_ascii=False)}",
            "token_ids = [vocab[word] for word in tokens]",
        ]
    words = f"  # {json.dumps(list(e.tokens), ensure_ascii=False)}" if e.tokens else ""
    return [f"token_ids = {list(e.ids)!r}{words}"]


def _positions_numpy(p: Problem) -> list[str]:
    e = p.embedding
    assert e is not None
    if e.positions == "given":
        assert e.P is not None
        return _literal("P", e.P, "np.array", comment="the positional encodings, given")
    if e.positions == "none":
        return []
    n, d = p.n, int(p.X.shape[0] if p.columns else p.X.shape[1])
    return [
        "",
        "",
        "def sinusoidal(n, d, base):",
        '    """The original paper\'s encoding, tokens as rows: sin for features 2i, cos for 2i+1."""',
        "    pos = np.arange(n)[:, None]  # (n, 1): positions 0, 1, ...",
        "    two_i = np.arange(d) // 2 * 2  # (d,): 2i for features 2i and 2i+1",
        "    angle = pos / base ** (two_i / d)  # (n, d)",
        "    return np.where(np.arange(d) % 2 == 0, np.sin(angle), np.cos(angle))",
        "",
        "",
        f"P = sinusoidal({n}, {d}, {e.base}){'.T  # laid out like X: (d, n)' if p.columns else ''}",
    ]


def to_numpy(trace: Trace) -> str:
    """A NumPy script that computes and prints every matrix of the trace."""
    p = trace.problem
    cols = p.columns
    out = _header(trace, "NumPy", "only numpy", "attention_numpy.py")
    out += ["import sys", "", "import numpy as np", "", *SHOW, "", "", *_numpy_head(trace), "", ""]
    if p.embedding is not None:
        out += _embed_numpy(p)
    out.append(
        "# Step 1 · Given" + (": the feature vectors are the columns" if cols else ": tokens are rows")
    )
    if p.embedding is None:
        out += _literal("X", p.X, "np.array")
    if p.C is not None:
        out += _literal("C", p.C, "np.array", comment="the context: keys and values come from it")
    weights, names = _weights(p, "np.array")
    out += weights + _given_names(p, names) + [""]
    source = "C" if p.C is not None else "X"
    calls = ", ".join(f"attention(X, {source}, W_Q{s}, W_K{s}, W_V{s})" for s in names)
    out += [f"results = [{calls}]", *_show_results(len(names))]
    out += _combine(p, "np")
    return "\n".join(_tidy(out)) + "\n"


def _show_results(count: int) -> list[str]:
    """Print each head's matrices under bythand's names (h1.Q, h2.Q, ... with several heads)."""
    if count == 1:
        return ["for name, value in results[0].items():", "    show(name, value)", ""]
    return [
        "for h, result in enumerate(results, start=1):",
        "    for name, value in result.items():",
        '        show(f"h{h}.{name}", value)',
        "",
    ]


def _combine(p: Problem, lib: str) -> list[str]:
    """Steps 10 and 11: the heads' Z stacked, and the output projection."""
    cols = p.columns
    out: list[str] = []
    output = 'results[0]["Z"]'
    if len(p.heads) > 1:
        how = "one under the other" if cols else "side by side"
        stack = (
            f'np.concatenate([result["Z"] for result in results], axis={0 if cols else 1})'
            if lib == "np"
            else f'torch.cat([result["Z"] for result in results], dim={0 if cols else 1})'
        )
        out += [
            f"# Step 10 · Concatenate: the heads' Z {how}",
            f"concat = {stack}",
            'show("concat", concat)',
            "",
        ]
        output = "concat"
    if p.WO is None:
        return out
    out.append("# Step 11 · Output projection")
    if lib == "np":
        out.append(f"O = W_O @ {output}" if cols else f"O = {output} @ W_O")
    else:
        apply = f"W_o({output}.T).T  # tokens as rows through nn.Linear" if cols else f"W_o({output})"
        out += [
            "W_o = linear(W_O)  # an nn.Linear without bias holds W_O",
            "with torch.no_grad():",
            f"    O = {apply}",
        ]
    return [*out, 'show("WO", W_O)', 'show("O", O)']


def _numpy_head(trace: Trace) -> list[str]:
    """The function that works steps 2 to 9 for one head, as the options say."""
    o = trace.options
    cols = trace.problem.columns
    axis = 0 if cols else 1
    lines = [
        "def attention(X, C, W_Q, W_K, W_V):",
        '    """Steps 2 to 9 for one head; queries come from X, keys and values from C."""',
        "    # Step 2 · Query, Key, Value",
    ]
    if cols:
        lines += [
            "    Q = W_Q @ X  # (d_k, d) @ (d, n) -> (d_k, n)",
            "    K = W_K @ C  # (d_k, d) @ (d, m) -> (d_k, m)",
            "    V = W_V @ C  # (d_v, d) @ (d, m) -> (d_v, m)",
            "    # Step 3 · Prepare for MatMul",
            "    KT = K.T  # (m, d_k)",
            "    # Step 4 · MatMul: S[i, j] = k_i · q_j (row = key, column = query)",
            "    S = KT @ Q  # (m, d_k) @ (d_k, n) -> (m, n)",
        ]
    else:
        lines += [
            "    Q = X @ W_Q  # (n, d) @ (d, d_k) -> (n, d_k)",
            "    K = C @ W_K  # (m, d) @ (d, d_k) -> (m, d_k)",
            "    V = C @ W_V  # (m, d) @ (d, d_v) -> (m, d_v)",
            "    # Step 3 · Prepare for MatMul",
            "    KT = K.T  # (d_k, m)",
            "    # Step 4 · MatMul: S[i, j] = q_i · k_j (row = query, column = key)",
            "    S = Q @ KT  # (n, d_k) @ (d_k, m) -> (n, m)",
        ]
    lines += ["    # Step 5 · Scale", "    " + _scale_line(o.scale, axis, "np")]
    if o.mask == "causal":
        tri = "np.tril(ones, k=-1)" if cols else "np.triu(ones, k=1)"
        lines += [
            "    ones = np.ones(S.shape, dtype=bool)",
            f"    mask = {tri}  # True where a key comes after its query",
            "    scaled = np.where(mask, -np.inf, scaled)",
        ]
    power = "np.exp(scaled)" if o.base is None else f"{float(o.base)!r} ** scaled"
    lines += [
        "    # Step 6 · Softmax: exp" + ("" if o.base != 3 else " (3^x, the hand trick for e^x)"),
        f"    E = {power}" + ("  # e^(-inf) = 0 where masked" if o.mask == "causal" else ""),
        "    # Step 7 · Softmax: Σ, " + ("down each column" if cols else "along each row"),
        f"    sums = E.sum(axis={axis}, keepdims=True)",
        "    # Step 8 · Softmax: 1/sum",
        "    A = E / sums",
        "    # Step 9 · MatMul",
        "    Z = V @ A  # z_j = Σ_i A[i, j] · v_i" if cols else "    Z = A @ V  # z_i = Σ_j A[i, j] · v_j",
        '    return {"Q": Q, "K": K, "V": V, "KT": KT, "S": S, "scaled": scaled, "E": E, "sums": sums,',
        '            "A": A, "Z": Z}',
    ]
    return lines


def _scale_line(method: str, axis: int, lib: str) -> str:
    if method == "floor-half":
        return f"scaled = {lib}.floor(S / 2)  # the hand trick for S / √3"
    if method == "none":
        return "scaled = S  # no scaling"
    width = "Q.shape[0]" if axis == 0 else "Q.shape[1]"
    if lib == "torch":
        return f"scaled = S / torch.tensor({width} ** 0.5)  # divide by √d_k"
    return f"scaled = S / np.sqrt({width})  # divide by √d_k"


def _tidy(lines: list[str]) -> list[str]:
    """No more than two blank lines in a row, none at the end."""
    out: list[str] = []
    for line in lines:
        if not line and len(out) >= 2 and not out[-1] and not out[-2]:
            continue
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return out


# PyTorch


def _embed_torch(p: Problem) -> list[str]:
    """Step 0 as the course writes it: an nn.Embedding looked up by token id, plus P."""
    e = p.embedding
    assert e is not None
    axis = "column" if p.columns else "row"
    out = ["# Step 0 · Embed: each token's word vector plus its position's encoding"]
    out += _literal("table", e.table, "torch.tensor", comment=f"one {axis} per entry of the vocabulary")
    out.append(
        "embedding = nn.Embedding.from_pretrained(table.T)  # nn.Embedding keeps one row per entry"
        if p.columns
        else "embedding = nn.Embedding.from_pretrained(table)  # one row per entry, as nn.Embedding keeps it"
    )
    out += _token_ids(p)
    out.append(
        "embed = embedding(torch.tensor(token_ids)).T  # (n, d) -> (d, n): tokens as columns"
        if p.columns
        else "embed = embedding(torch.tensor(token_ids))  # (n, d)"
    )
    if e.positions == "given":
        assert e.P is not None
        out += _literal("P", e.P, "torch.tensor", comment="the positional encodings, given")
    elif e.positions == "sinusoidal":
        n, d = p.n, int(p.X.shape[0] if p.columns else p.X.shape[1])
        out += [
            "",
            "",
            "def sinusoidal(n, d, base):",
            '    """The original paper\'s encoding, tokens as rows: sin for features 2i, cos for 2i+1."""',
            "    pos = torch.arange(n).unsqueeze(1)  # (n, 1): positions 0, 1, ...",
            "    two_i = torch.arange(d) // 2 * 2  # (d,): 2i for features 2i and 2i+1",
            "    angle = pos / base ** (two_i / d)  # (n, d)",
            "    return torch.where(torch.arange(d) % 2 == 0, torch.sin(angle), torch.cos(angle))",
            "",
            "",
            f"P = sinusoidal({n}, {d}, {e.base}){'.T  # laid out like X: (d, n)' if p.columns else ''}",
        ]
    out += ["X = embed + P" if e.P is not None else "X = embed  # no positional encoding", ""]
    out += ['show("embed", embed)', *(['show("P", P)'] if e.P is not None else []), 'show("X", X)', ""]
    return out


def _torch_module(trace: Trace) -> list[str]:
    """The course's SelfAttention module for this problem's options and convention."""
    o = trace.options
    cols = trace.problem.columns
    dim = 0 if cols else 1
    lines = [
        "def linear(W):",
        '    """An nn.Linear without bias holding W; nn.Linear stores its weight as (out, in)."""',
        "    layer = nn.Linear(W.shape[1], W.shape[0], bias=False)"
        if cols
        else "    layer = nn.Linear(W.shape[0], W.shape[1], bias=False)",
        "    with torch.no_grad():",
        "        layer.weight.copy_(W)  # W is (out, in) already: tokens are columns here"
        if cols
        else "        layer.weight.copy_(W.T)  # X·W = X·(weight)ᵀ, so the weight is W transposed",
        "    return layer",
        "",
        "",
        "class SelfAttention(nn.Module):",
        '    """One head: nn.Linear layers hold W_Q, W_K, W_V; forward returns every matrix by name."""',
        "",
        "    def __init__(self, W_Q, W_K, W_V):",
        "        super().__init__()",
        "        self.W_q = linear(W_Q)",
        "        self.W_k = linear(W_K)",
        "        self.W_v = linear(W_V)",
        "",
        "    def forward(self, X, C):",
        '        """Queries from X, keys and values from C (C is X in self-attention)."""',
        "        # Step 2 · Query, Key, Value",
    ]
    if cols:
        lines += [
            "        # nn.Linear takes tokens as rows: the columns go in transposed and come out transposed",
            "        Q = self.W_q(X.T).T  # (d, n) -> (d_k, n): W_Q·X",
            "        K = self.W_k(C.T).T  # (d, m) -> (d_k, m): W_K·C",
            "        V = self.W_v(C.T).T  # (d, m) -> (d_v, m): W_V·C",
            "        # Step 3 · Prepare for MatMul",
            "        KT = K.transpose(0, 1)  # (m, d_k)",
            "        # Step 4 · MatMul: S[i, j] = k_i · q_j (row = key, column = query)",
            "        S = torch.matmul(KT, Q)  # (m, d_k) @ (d_k, n) -> (m, n)",
        ]
    else:
        lines += [
            "        Q = self.W_q(X)  # (n, d) -> (n, d_k): X·W_Q",
            "        K = self.W_k(C)  # (m, d) -> (m, d_k): C·W_K",
            "        V = self.W_v(C)  # (m, d) -> (m, d_v): C·W_V",
            "        # Step 3 · Prepare for MatMul",
            "        KT = K.transpose(0, 1)  # (d_k, m)",
            "        # Step 4 · MatMul: S[i, j] = q_i · k_j (row = query, column = key)",
            "        S = torch.matmul(Q, KT)  # (n, d_k) @ (d_k, m) -> (n, m)",
        ]
    lines += ["        # Step 5 · Scale", "        " + _scale_line(o.scale, dim, "torch")]
    if o.mask == "causal":
        tri = "torch.tril(ones, diagonal=-1)" if cols else "torch.triu(ones, diagonal=1)"
        lines += [
            "        ones = torch.ones(S.shape, dtype=torch.bool)",
            f"        mask = {tri}  # True where a key comes after its query",
            '        scaled = scaled.masked_fill(mask, float("-inf"))',
        ]
    if o.base is None:
        lines += [
            "        # Step 6 · Softmax: exp",
            "        E = torch.exp(scaled)",
            f"        # Step 7 · Softmax: Σ, {'down each column' if cols else 'along each row'}",
            f"        sums = E.sum(dim={dim}, keepdim=True)",
            "        # Step 8 · Softmax: 1/sum (F.softmax does steps 6 to 8 in one, stably)",
            f"        A = F.softmax(scaled, dim={dim})",
        ]
    else:
        trick = " (3^x, the hand trick for e^x)" if o.base == 3 else ""
        lines += [
            f"        # Step 6 · Softmax: exp{trick}",
            f"        E = torch.pow({float(o.base)!r}, scaled)",
            f"        # Step 7 · Softmax: Σ, {'down each column' if cols else 'along each row'}",
            f"        sums = E.sum(dim={dim}, keepdim=True)",
            "        # Step 8 · Softmax: 1/sum",
            "        A = E / sums",
        ]
    lines += [
        "        # Step 9 · MatMul",
        "        Z = torch.matmul(V, A)  # z_j = Σ_i A[i, j] · v_i" if cols else
        "        Z = torch.matmul(A, V)  # z_i = Σ_j A[i, j] · v_j",
        '        return {"Q": Q, "K": K, "V": V, "KT": KT, "S": S, "scaled": scaled, "E": E, "sums": sums,',
        '                "A": A, "Z": Z}',
    ]  # fmt: skip
    return lines


def to_pytorch(trace: Trace) -> str:
    """A PyTorch script in the course's style that computes and prints every matrix of the trace."""
    p = trace.problem
    cols = p.columns
    out = _header(trace, "PyTorch", "torch", "attention_torch.py")
    out += [
        "import sys",
        "",
        "import torch",
        "import torch.nn as nn",
        *(["import torch.nn.functional as F"] if trace.options.base is None else []),  # F.softmax: e^x
        "",
        "torch.set_default_dtype(torch.float64)  # double precision: the same digits as bythand",
        *SHOW,
        "",
        "",
        *_torch_module(trace),
        "",
        "",
    ]
    if p.embedding is not None:
        out += _embed_torch(p)
    out.append(
        "# Step 1 · Given" + (": the feature vectors are the columns" if cols else ": tokens are rows")
    )
    if p.embedding is None:
        out += _literal("X", p.X, "torch.tensor")
    if p.C is not None:
        out += _literal("C", p.C, "torch.tensor", comment="the context: keys and values come from it")
    weights, names = _weights(p, "torch.tensor")
    out += weights + _given_names(p, names) + [""]
    source = "C" if p.C is not None else "X"
    heads = ", ".join(f"SelfAttention(W_Q{s}, W_K{s}, W_V{s})" for s in names)
    out += [
        f"heads = nn.ModuleList([{heads}])",
        "with torch.no_grad():",
        f"    results = [head(X, {source}) for head in heads]",
        *_show_results(len(names)),
    ]
    out += _combine(p, "torch")
    return "\n".join(_tidy(out)) + "\n"
