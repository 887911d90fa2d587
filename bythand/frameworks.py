"""Problems from a framework's weights: nn.Linear layers, nn.MultiheadAttention, or any such module.

Nothing here imports torch: a tensor is read through `__array__`, a module through its attributes,
so numpy arrays stand in for `.weight` just as well.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from .errors import ProblemError
from .problem import Mask, Options, Problem, check_convention, check_mask, from_array_like

# the attribute names courses and libraries give a head's three projections (and the output one)
LINEAR_NAMES = (("W_q", "W_k", "W_v"), ("q_proj", "k_proj", "v_proj"), ("query", "key", "value"))
OUTPUT_NAMES = ("W_o", "out_proj", "o_proj")


def _array(value: Any, what: str) -> np.ndarray[Any, Any]:
    """A weight as a 2-D numpy array: from a tensor, an array, or an nn.Linear (its .weight)."""
    if hasattr(value, "weight") and not hasattr(value, "__array__"):
        bias = getattr(value, "bias", None)
        if bias is not None and np.any(np.asarray(from_array_like(bias)) != 0):
            raise ProblemError(f"{what} has a bias; bythand's attention has none (make it with bias=False)")
        value = value.weight
    array = np.asarray(from_array_like(value))
    if array.ndim != 2:
        raise ProblemError(f"{what} must be 2-dimensional (out × in), but it has shape {array.shape}")
    return array


def _tokens(value: Any, what: str) -> np.ndarray[Any, Any]:
    array = np.asarray(from_array_like(value))
    if array.ndim == 3 and array.shape[0] == 1:
        array = array[0]  # a batch of one, as modules with batch_first take it
    if array.ndim != 2:
        raise ProblemError(f"{what} must be tokens × features (n × d), but it has shape {array.shape}")
    return array


def _options(mask: str, options: Options | None) -> Options:
    """PyTorch's method (√d_k and e^x) unless told otherwise, worked in rows as PyTorch computes."""
    opts = options or Options(scale="sqrt", exp="e")
    return replace(opts, convention="rows", mask=check_mask(mask, "mask") if mask else opts.mask)


def from_linear(
    X: Any,
    W_q: Any,
    W_k: Any,
    W_v: Any,
    *,
    W_o: Any = None,
    C: Any = None,
    heads: int = 1,
    mask: Mask | str = "",
    convention: str = "rows",
    title: str = "Self-attention from PyTorch weights",
    options: Options | None = None,
) -> Problem:
    """A Problem from nn.Linear layers (or their `.weight`, stored as out × in) and the tokens X (n × d).

    `heads` splits the projections into equal heads as nn.MultiheadAttention does; `W_o` is the output
    projection. The problem is written in `convention` (rows: X·W, as PyTorch computes it).
    """
    wq, wk, wv = (_array(w, name) for w, name in ((W_q, "W_q"), (W_k, "W_k"), (W_v, "W_v")))
    wo = None if W_o is None else _array(W_o, "W_o")
    x = _tokens(X, "X")
    c = None if C is None else _tokens(C, "C")
    # nn.Linear computes x·weightᵀ, so in the rows convention W_Q is the weight transposed
    problem = Problem(
        x,
        wq.T,
        wk.T,
        wv.T,
        C=c,
        WO=None if wo is None else wo.T,
        heads=heads,
        title=title,
        options=_options(mask, options),
        source="PyTorch weights",
    )
    return problem.in_convention(check_convention(convention, "convention"))


def from_multihead(
    X: Any,
    in_proj_weight: Any,
    num_heads: int,
    out_proj_weight: Any = None,
    *,
    C: Any = None,
    mask: Mask | str = "",
    convention: str = "rows",
    title: str = "Multi-head attention from PyTorch weights",
    options: Options | None = None,
) -> Problem:
    """A Problem from nn.MultiheadAttention's packed `in_proj_weight` (3E × E), split into W_Q, W_K, W_V
    and then into `num_heads` heads, and its `out_proj.weight` (E × E) as W_O."""
    packed = _array(in_proj_weight, "in_proj_weight")
    if packed.shape[0] % 3:
        raise ProblemError(f"in_proj_weight is {packed.shape[0]}×{packed.shape[1]}; it should stack 3 blocks")
    wq, wk, wv = np.split(packed, 3, axis=0)  # PyTorch packs them as [W_q; W_k; W_v]
    return from_linear(
        X, wq, wk, wv, W_o=out_proj_weight, C=C, heads=num_heads, mask=mask, convention=convention,
        title=title, options=options,
    )  # fmt: skip


def from_module(
    module: Any,
    X: Any,
    *,
    C: Any = None,
    mask: Mask | str = "",
    convention: str = "rows",
    title: str | None = None,
    options: Options | None = None,
) -> Problem:
    """A Problem from an attention module: nn.MultiheadAttention, a head with three nn.Linear layers
    (W_q/W_k/W_v, q_proj/k_proj/v_proj or query/key/value, and W_o/out_proj/o_proj), or one holding
    such heads in `.heads`."""
    kw: dict[str, Any] = {"C": C, "mask": mask, "convention": convention, "options": options}
    if hasattr(module, "num_heads") and hasattr(module, "out_proj"):  # nn.MultiheadAttention
        _no_bias(module, ("in_proj_bias", "bias_k", "bias_v"))
        out = _array(module.out_proj, "out_proj")
        name = title or f"nn.MultiheadAttention, {module.num_heads} heads"
        if getattr(module, "in_proj_weight", None) is not None:
            return from_multihead(X, module.in_proj_weight, module.num_heads, out, title=name, **kw)
        weights = (module.q_proj_weight, module.k_proj_weight, module.v_proj_weight)
        return from_linear(X, *weights, W_o=out, heads=module.num_heads, title=name, **kw)
    found = _projections(module)
    if found is not None:
        return from_linear(X, *found, W_o=_output(module), title=title or type(module).__name__, **kw)
    heads = getattr(module, "heads", None)
    if heads is not None and not isinstance(heads, int):
        per_head = [_projections(h) for h in heads]
        if per_head and all(p is not None for p in per_head):
            one = [from_linear(X, *p, C=C, convention="rows") for p in per_head if p is not None]
            problem = Problem(
                one[0].X,
                C=one[0].C,
                heads=[h.heads[0] for h in one],
                WO=None if _output(module) is None else _array(_output(module), "W_o").T,
                title=title or type(module).__name__,
                options=_options(mask, options),
                source="PyTorch weights",
            )
            return problem.in_convention(check_convention(convention, "convention"))
    raise ProblemError(
        f"{type(module).__name__}: no attention weights found; expected nn.MultiheadAttention, "
        "nn.Linear layers named W_q, W_k, W_v (or q_proj, k_proj, v_proj), or .heads of such modules"
    )


def _projections(module: Any) -> tuple[Any, Any, Any] | None:
    for names in LINEAR_NAMES:
        layers = [getattr(module, n, None) for n in names]
        if all(layer is not None for layer in layers):
            return (layers[0], layers[1], layers[2])
    return None


def _output(module: Any) -> Any:
    for name in OUTPUT_NAMES:
        layer = getattr(module, name, None)
        if layer is not None:
            return layer
    return None


def _no_bias(module: Any, names: tuple[str, ...]) -> None:
    for name in names:
        bias = getattr(module, name, None)
        if bias is not None and np.any(np.asarray(from_array_like(bias)) != 0):
            raise ProblemError(
                f"{type(module).__name__}.{name} is not zero; bythand's attention has no biases "
                "(make the module with bias=False)"
            )
