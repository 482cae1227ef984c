"""Paper search: keyword (tantivy), semantic (MiniLM + vectors), hybrid.

The engine modules (text, keyword, embed, quantize, vectors, hybrid) are a plain library
with no Django imports: callers hand in document dicts and index directories. The Django
side connects them to the store: models (PaperEmbedding), indexer (this machine's indexes
following the change log), backfill (`dailypapers embed`), service (queries from the site,
the API and the CLI).
"""
