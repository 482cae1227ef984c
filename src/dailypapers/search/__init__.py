"""Paper search as a plain library: keyword (tantivy), semantic (MiniLM + vectors), hybrid.

No Django imports here: callers hand in plain document dicts and index directories.
"""
