"""Paper embeddings, stored with the papers: the database stays the source of truth and
each machine's vector index is derived from this table (pgvector is not available)."""

from __future__ import annotations

import numpy as np
from django.db import models

from dailypapers.store.models import Paper

# float16 halves the table (768 bytes a paper). Measured against float32 on 300 arXiv
# abstracts: cosine to the float32 vector >= 0.9999999, top-10 neighbour sets identical.
VECTOR_DTYPE = np.float16


class PaperEmbedding(models.Model):
    paper = models.OneToOneField(Paper, on_delete=models.CASCADE, primary_key=True, related_name="embedding")
    model_id = models.CharField(max_length=128, db_index=True)
    vector = models.BinaryField()  # VECTOR_DTYPE bytes, L2-normalised
    text_hash = models.CharField(max_length=32)  # of the embedded title + abstract
    # The change_seq this row was written under: an indexer whose cursor is below it has not
    # seen this vector yet (a paper's later vote bumps never re-send an unchanged vector).
    seq = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now=True)

    def as_array(self) -> np.ndarray:
        return np.frombuffer(bytes(self.vector), dtype=VECTOR_DTYPE).astype(np.float32)
