"""Problems from a framework's weights: numpy arrays standing in for `.weight`, and torch where installed."""

from __future__ import annotations

import importlib.util
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

import bythand
from bythand import Problem, ProblemError, walk
from bythand.frameworks import from_linear, from_module, from_multihead
from bythand.numbers import to_float

import reference as ref

HAS_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(
    not HAS_TORCH, reason="torch is not installed here (it is not a test dependency: pip install torch)"
)

RNG = np.random.default_rng(7)
E, H, N = 4, 2, 3
X = RNG.normal(size=(N, E))  # tokens as rows, as PyTorch takes them
IN_PROJ = RNG.normal(size=(3 * E, E))  # nn.MultiheadAttention packs [W_q; W_k; W_v], each (out, in)
OUT_PROJ = RNG.normal(size=(E, E))


def softmax(x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    out: np.ndarray[Any, Any] = e / e.sum(axis=-1, keepdims=True)
    return out


def multihead_by_hand(x: np.ndarray[Any, Any], causal: bool = False) -> np.ndarray[Any, Any]:
    """nn.MultiheadAttention's forward without biases, written out independently."""
    q, k, v = (x @ w.T for w in np.split(IN_PROJ, 3))
    d = E // H
    outs = []
    for h in range(H):
        part = slice(h * d, (h + 1) * d)
        scores = q[:, part] @ k[:, part].T / np.sqrt(d)
        if causal:
            scores = np.where(np.triu(np.ones((N, N), dtype=bool), 1), -np.inf, scores)
        outs.append(softmax(scores) @ v[:, part])
    out: np.ndarray[Any, Any] = np.concatenate(outs, axis=1) @ OUT_PROJ.T
    return out


def test_packed_weights_split_into_heads_as_pytorch_does() -> None:
    problem = from_multihead(X, IN_PROJ, H, OUT_PROJ)
    assert problem.options.convention == "rows" and len(problem.heads) == H and problem.split
    assert problem.options.scale == "sqrt" and problem.options.exp == "e"
    # head 1 takes the first E/H rows of W_q (its weight), i.e. the first columns of W_Q = weightᵀ
    assert np.array_equal(to_float(problem.heads[0].WQ), IN_PROJ[: E // H].T)
    assert np.array_equal(to_float(problem.heads[1].WV), IN_PROJ[2 * E + E // H :].T)
    trace = walk(problem)
    assert np.allclose(to_float(trace["O"]), multihead_by_hand(X), rtol=1e-12, atol=1e-12)
    masked = walk(from_multihead(X, IN_PROJ, H, OUT_PROJ, mask="causal"))
    assert np.allclose(to_float(masked["O"]), multihead_by_hand(X, causal=True), rtol=1e-12, atol=1e-12)


def test_linear_weights_in_either_convention() -> None:
    wq, wk, wv = np.split(IN_PROJ[:, :], 3)
    rows = walk(from_linear(X, wq, wk, wv))
    want = softmax((X @ wq.T) @ (X @ wk.T).T / np.sqrt(E)) @ (X @ wv.T)
    assert np.allclose(to_float(rows["Z"]), want, rtol=1e-12, atol=1e-12)
    assert ref.differences({"Z": rows["Z"]}, {"Z": ref.of(rows.problem)["Z"]}, rel=1e-12) == []
    columns = from_linear(X, wq, wk, wv, convention="columns")
    assert columns.options.convention == "columns"
    assert np.array_equal(
        to_float(columns.WQ), wq
    )  # nn.Linear's (out, in) weight is W_Q of the columns layout
    assert np.allclose(to_float(walk(columns)["Z"]), want.T, rtol=1e-12, atol=1e-12)


def linear(weight: Any, bias: Any = None) -> SimpleNamespace:
    """Stands in for an nn.Linear: a .weight (out × in) and a .bias."""
    return SimpleNamespace(weight=weight, bias=bias)


def test_a_module_is_read_by_its_attributes() -> None:
    wq, wk, wv = np.split(IN_PROJ, 3)
    course = SimpleNamespace(W_q=linear(wq), W_k=linear(wk), W_v=linear(wv))  # StatQuest's SelfAttention
    hf = SimpleNamespace(q_proj=linear(wq), k_proj=linear(wk), v_proj=linear(wv), o_proj=linear(OUT_PROJ))
    z = walk(from_module(course, X))["Z"]
    assert np.allclose(
        to_float(walk(from_module(hf, X))["O"]), to_float(z) @ OUT_PROJ.T, rtol=1e-12, atol=1e-12
    )
    multi = SimpleNamespace(heads=[course, course])  # the course's MultiHeadAttention: a list of heads
    concat = walk(from_module(multi, X))["concat"]
    assert np.allclose(to_float(concat), np.hstack([to_float(z), to_float(z)]))
    mha = SimpleNamespace(
        num_heads=H, in_proj_weight=IN_PROJ, in_proj_bias=np.zeros(3 * E), out_proj=linear(OUT_PROJ)
    )
    assert np.allclose(to_float(walk(from_module(mha, X))["O"]), multihead_by_hand(X), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: from_module(SimpleNamespace(), X), "SimpleNamespace: no attention weights found"),
        (
            lambda: from_linear(
                X, SimpleNamespace(weight=IN_PROJ[:4], bias=np.ones(4)), IN_PROJ[:4], IN_PROJ[:4]
            ),
            "W_q has a bias; bythand's attention has none (make it with bias=False)",
        ),
        (lambda: from_multihead(X, IN_PROJ[:10], 2), "in_proj_weight is 10×4; it should stack 3 blocks"),
        (lambda: from_multihead(X, IN_PROJ, 3), "which do not split into 3 equal heads"),
        (lambda: from_linear(X[0], IN_PROJ[:4], IN_PROJ[:4], IN_PROJ[:4]), "X must be tokens × features"),
    ],
)
def test_weights_that_cannot_be_attention_say_why(call: Any, message: str) -> None:
    with pytest.raises(ProblemError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()


class ArrayLike:
    """Stands in for a framework tensor: numpy reads it through __array__ only."""

    def __init__(self, data: list[list[float]]) -> None:
        self.data = data

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray[Any, Any]:
        return np.array(self.data, dtype=dtype)


def test_a_problem_takes_anything_with_array() -> None:
    problem = Problem(ArrayLike([[1, 0], [0, 1]]), ArrayLike([[1, 1]]), ArrayLike([[1, -1]]), [[2, 0]])
    assert problem.exact  # integer arrays stay exact
    assert walk(problem)["S"].tolist() == [[1, 1], [-1, -1]]


def test_the_helpers_are_public() -> None:
    assert {"from_linear", "from_module", "from_multihead"} <= set(bythand.__all__)
    assert bythand.from_module is from_module


@needs_torch
def test_with_torch_modules_and_tensors() -> None:
    torch: Any = importlib.import_module("torch")  # typed loosely: mypy runs where torch is not installed

    torch.manual_seed(0)
    x = torch.randn(N, E, dtype=torch.float64, requires_grad=True)  # __array__ needs detach: done for you
    mha = torch.nn.MultiheadAttention(E, H, bias=False, dtype=torch.float64)
    out, weights = mha(x, x, x, average_attn_weights=False)
    trace = walk(from_module(mha, x))
    assert np.allclose(to_float(trace["O"]), out.detach().numpy(), rtol=1e-12, atol=1e-12)
    assert np.allclose(to_float(trace["h2.A"]), weights[1].detach().numpy(), rtol=1e-12, atol=1e-12)
    mask = torch.triu(torch.ones(N, N, dtype=torch.bool), diagonal=1)
    masked, _ = mha(x, x, x, attn_mask=mask)
    trace = walk(from_module(mha, x, mask="causal"))
    assert np.allclose(to_float(trace["O"]), masked.detach().numpy(), rtol=1e-12, atol=1e-12)

    class SelfAttention(torch.nn.Module):
        """The course's module: three nn.Linear without bias, softmax along the rows."""

        def __init__(self) -> None:
            super().__init__()
            self.W_q = torch.nn.Linear(E, E, bias=False, dtype=torch.float64)
            self.W_k = torch.nn.Linear(E, E, bias=False, dtype=torch.float64)
            self.W_v = torch.nn.Linear(E, E, bias=False, dtype=torch.float64)

        def forward(self, t: torch.Tensor) -> torch.Tensor:
            q, k, v = self.W_q(t), self.W_k(t), self.W_v(t)
            return torch.matmul(torch.softmax(torch.matmul(q, k.T) / k.size(1) ** 0.5, dim=1), v)

    head = SelfAttention()
    trace = walk(from_module(head, x))
    assert np.allclose(to_float(trace["Z"]), head(x).detach().numpy(), rtol=1e-12, atol=1e-12)
    with pytest.raises(ProblemError, match="in_proj_bias is not zero"):
        biased = torch.nn.MultiheadAttention(E, H, dtype=torch.float64)
        with torch.no_grad():
            biased.in_proj_bias.fill_(1.0)
        from_module(biased, x)
