"""dailypapers embed — compute and store paper embeddings (resumable), then update the index.

First the fast static tier gives every paper without a vector one (seconds: search/static.py)
and the index takes them, so every paper is searchable by meaning at once; then the full
model replaces them, newest papers first. Log lines carry the time; progress counts against
every paper (one denominator across restarts), and a restart says how many were already done.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from dailypapers.search import indexer, static
from dailypapers.search.backfill import backfill, backfill_static, papers_to_cover, remaining
from dailypapers.search.embed import DEFAULT_MAX_LENGTH, Embedder, EmbedderError


class Command(BaseCommand):
    requires_system_checks = []
    help = (
        "Embed papers lacking an embedding for the current model (or whose title or abstract changed), "
        "in chunks committed one by one: an interrupted run continues where it stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--device",
            choices=["cpu", "cuda"],
            default="cpu",
            help="cuda runs the model in fp16 through PyTorch (`make install-gpu`) on an NVIDIA GPU.",
        )
        parser.add_argument(
            "--batch", type=int, default=None, help="Texts per model call (default: 32 on cpu, 256 on cuda)."
        )
        parser.add_argument(
            "--chunk", type=int, default=None, help="Papers per committed chunk (default: 512 on cpu, 16384 on cuda)."
        )
        parser.add_argument("--limit", type=int, default=None, help="Embed at most this many papers.")
        parser.add_argument(
            "--max-length",
            type=int,
            default=DEFAULT_MAX_LENGTH,
            help="Tokens kept per text (128 is ~2.4x faster on cpu, slightly less accurate).",
        )
        parser.add_argument("--threads", type=int, default=2, help="CPU threads for the model.")
        parser.add_argument(
            "--sessions",
            type=int,
            default=2,
            help="cpu: model sessions running batches side by side, threads/sessions threads each "
            "(2 x 1 thread beat 1 x 2 threads on 2 cores: bench/embed_bench.py --cpu); same vectors.",
        )
        parser.add_argument(
            "--no-index", action="store_true", help="Do not update this machine's search index afterwards."
        )
        parser.add_argument(
            "--index-every",
            type=float,
            default=15.0,
            help="Seconds between updates of this machine's search index while embedding, so semantic "
            "search grows as it goes (0: only at the end).",
        )
        parser.add_argument(
            "--no-static",
            action="store_true",
            help="Skip the fast first tier (static token vectors for papers that have no vector yet).",
        )
        parser.add_argument("--json", action="store_true", help="Print the summary as one JSON object.")
        parser.add_argument(
            "--progress", action="store_true", default=None, help="Show a progress bar even when not on a terminal."
        )

    def handle(self, *args, **options):
        if options["no_index"]:
            return self.embed(options)
        with indexer.embedding_here():
            return self.embed(options)

    def embed(self, options):
        cuda = options["device"] == "cuda"
        try:
            embedder = Embedder(
                device=options["device"],
                max_length=options["max_length"],
                threads=options["threads"],
                model_dir=Path(settings.SEARCH_MODEL_DIR),
                batch_size=options["batch"] or (256 if cuda else 32),
                sessions=1 if cuda else options["sessions"],
            )
        except EmbedderError as exc:
            raise CommandError(f"{exc}.", returncode=2) from exc
        show = sys.stderr.isatty() if options["progress"] is None else options["progress"]
        fast = None if options["no_static"] else self.static_tier(options)
        papers = papers_to_cover()
        already = papers - remaining(embedder.model_id)
        if already:
            self.log(f"resumed ({already:,} already embedded)")
        # On a terminal a bar (rate, ETA); otherwise (a log, `make run`'s background embedder) a line per chunk.
        bar = tqdm(unit="paper", file=sys.stderr, disable=not show, desc="embed", total=papers, initial=already)
        started = time.monotonic()
        indexed_at = [started]

        def progress(done: int, total: int) -> None:
            every = options["index_every"]
            if every > 0 and not options["no_index"] and time.monotonic() - indexed_at[0] >= every:
                indexer.catch_up(wait=False)  # another process indexing already: it will see these too
                indexed_at[0] = time.monotonic()
            bar.update(already + done - bar.n)
            if not show:
                self.log(progress_line(done, already, papers, time.monotonic() - started))

        try:
            result = backfill(
                embedder, chunk=options["chunk"] or (16384 if cuda else 512), limit=options["limit"], progress=progress
            )
        finally:
            bar.close()
        if not options["no_index"]:
            indexer.catch_up(wait=True)
        if options["json"]:
            self.stdout.write(json.dumps({**result.as_dict(), **({"static": fast.as_dict()} if fast else {})}))
        else:
            left = remaining(embedder.model_id)
            self.stdout.write(
                f"embedded {result.embedded} abstracts in {result.seconds:.1f} s "
                f"({result.per_second:.1f} abstracts/s; model {embedder.model_id}, {embedder.backend} on {embedder.device}); "
                f"{result.unchanged} unchanged; {left} papers still to embed"
                + (f" (about {_duration(left / result.per_second)} at this rate)" if left and result.per_second else "")
            )

    def log(self, message: str) -> None:
        self.stderr.write(f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M:%S %z} {message}")

    def static_tier(self, options):
        """Static vectors for every paper still without one, then an index update: seconds
        after this, every paper is searchable by meaning. None when the table cannot be had."""
        model_dir = Path(settings.SEARCH_MODEL_DIR)
        try:
            if not static.table_path(model_dir).is_file():
                self.log(
                    f"distilling the fast tier's token table from the model into {model_dir} (once, about a minute)"
                )
                static.build(model_dir)
            fast = static.StaticEmbedder(model_dir)
        except (OSError, EmbedderError) as exc:
            self.log(f"fast tier unavailable ({exc}); the full model alone makes papers searchable by meaning")
            return None
        result = backfill_static(fast)
        if result.embedded:
            self.log(
                f"fast tier: {result.embedded:,} papers given static vectors in {result.seconds:.1f} s "
                f"({result.per_second:,.0f}/s)"
            )
            if not options["no_index"]:
                indexer.catch_up(wait=True)
                self.log(
                    "every paper is searchable by meaning; the full model now replaces the fast vectors, newest first"
                )
        return result


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours} h {rest // 60:02d} min" if hours else f"{rest // 60} min {rest % 60:02d} s"


def progress_line(done: int, already: int, papers: int, elapsed: float) -> str:
    """``embedded 2,048 of 80,317 (25.3/s); 78,269 left, ETA 51 min 33 s``: ``done`` this run
    on top of ``already`` from earlier runs, of every paper; the rate is this run's."""
    rate = done / elapsed if elapsed > 0 else 0.0
    left = max(papers - already - done, 0)
    eta = _duration(left / rate) if rate else "unknown"
    return f"embedded {already + done:,} of {papers:,} ({rate:.1f}/s); {left:,} left, ETA {eta}"
