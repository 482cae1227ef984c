"""The fast first tier of semantic search: static token vectors distilled from MiniLM.

Each vocabulary token is run once through the packaged transformer (as ``[CLS] token
[SEP]``, mean-pooled, like a sentence), the vectors are weighted by how rare the token is
and kept as one float16 table (model2vec's recipe). A text's vector is then the mean of its
tokens' rows, L2-normalised: a table lookup, thousands of abstracts a second on one core,
against ~30 for the transformer. Queries of this tier are embedded the same way.

These vectors live in their own space (:data:`STATIC_SPACE`): a static query is only ever
compared with static paper vectors, and a MiniLM query with MiniLM paper vectors
(search/tiers.py). ``dailypapers embed`` gives every paper a static vector first, then
replaces them with the transformer's, newest papers first.

    python -m dailypapers.search.static OUTPUT_DIR     # build the table (``make install`` runs it)
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

from .embed import DIM, Embedder, EmbedderError, _Batch, tokenizer_path

# Stored vectors are tagged with this; a change to how the table is made must change it.
STATIC_SPACE = "all-MiniLM-L6-v2-static-v1"
TABLE_FILE = "all-MiniLM-L6-v2.static-v1.npy"
# SIF weight a / (a + p(token)), p from Zipf's law over the vocabulary's order (the
# WordPiece vocabulary lists words roughly by frequency): frequent tokens count less.
SIF_A = 1e-5
# Tokens read per text: static vectors cost nothing per token, so abstracts are not cut at 256.
MAX_TOKENS = 512
# Texts tokenized at a time (the tokenizer encodes a batch on several threads).
CHUNK = 256
_SPECIAL = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def table_path(model_dir: Path) -> Path:
    return Path(model_dir) / TABLE_FILE


def distill(
    embedder: Embedder,
    batch: int = 1024,
    log: Callable[[str], None] | None = None,
    only: Collection[int] | None = None,
) -> np.ndarray:
    """(vocabulary, 384) float16: each token's transformer vector times its SIF weight.

    Special and ``[unused…]`` tokens get zero rows: they never carry meaning in a text.
    ``only`` distils just those token ids (the rest stay zero): small tables for tests.
    """
    tokenizer = Tokenizer.from_file(str(tokenizer_path()))
    vocab = tokenizer.get_vocab()
    size = max(vocab.values()) + 1
    cls, sep = vocab["[CLS]"], vocab["[SEP]"]
    skip = {i for token, i in vocab.items() if token in _SPECIAL or token.startswith("[unused")}
    ids = np.array([i for i in (range(size) if only is None else sorted(only)) if i not in skip], dtype=np.int64)
    table = np.zeros((size, DIM), dtype=np.float32)
    started = time.monotonic()
    for start in range(0, len(ids), batch):
        part = ids[start : start + batch]
        seq = np.stack([np.full(len(part), cls), part, np.full(len(part), sep)], axis=1)
        table[part] = embedder._run(_Batch(rows=np.arange(len(part)), ids=seq, mask=np.ones_like(seq)))
        if log:
            log(
                f"distilled {min(start + batch, len(ids)):,} of {len(ids):,} tokens ({time.monotonic() - started:.0f} s)"
            )
    rank = np.arange(1, size + 1, dtype=np.float64)
    p = (1.0 / rank) / np.sum(1.0 / rank)
    table *= (SIF_A / (SIF_A + p))[:, None].astype(np.float32)
    return table.astype(np.float16)


def build(model_dir: Path, log: Callable[[str], None] | None = None, only: Collection[int] | None = None) -> Path:
    """Distil the table into ``model_dir`` (from the per-channel model there, if built) and return its path."""
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    target = table_path(model_dir)
    table = distill(Embedder(model_dir=model_dir, threads=2), log=log, only=only)
    # Written beside the target, then renamed: a reader never sees half a table.
    partial = model_dir / f".{TABLE_FILE}.partial"
    with open(partial, "wb") as fh:
        np.save(fh, table)
    partial.replace(target)
    return target


class StaticEmbedder:
    """Weighted mean of distilled token vectors, L2-normalised; same interface as Embedder."""

    model_id = STATIC_SPACE
    backend = "static"
    device = "cpu"

    def __init__(self, model_dir: Path | None = None, table: np.ndarray | None = None, compact: bool = False):
        """``compact`` keeps the table in float16 (23 MB instead of 47): for a web worker that
        only embeds queries; bulk embedding converts fewer rows with a float32 table."""
        if table is None:
            if model_dir is None or not table_path(model_dir).is_file():
                raise EmbedderError(
                    f"static token table not found in {model_dir} "
                    "(built by `python -m dailypapers.search.static DIR`, which `make install` runs)"
                )
            table = np.load(table_path(model_dir))
        self.table = np.asarray(table, dtype=np.float16 if compact else np.float32)
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path()))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.no_padding()

    @property
    def dim(self) -> int:
        return int(self.table.shape[1])

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """(len(texts), dim) float32, rows in input order; a text with no known token gets zeros."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        table = self.table
        for start in range(0, len(texts), CHUNK):
            encodings = self._tokenizer.encode_batch(
                [t or "" for t in texts[start : start + CHUNK]], add_special_tokens=False
            )
            # One small gather and sum per text: measured ~10x faster than one gather for the
            # whole chunk and np.add.reduceat (which walks the big gathered array slowly).
            for row, encoding in enumerate(encodings, start):
                if encoding.ids:
                    out[row] = table[encoding.ids].sum(axis=0, dtype=np.float32)
            if progress is not None:
                progress(min(start + CHUNK, len(texts)))
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    print(build(Path(args[0])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
