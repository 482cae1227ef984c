"""The read layer: what the site, the library, the JSON API, the feeds and the CLI list.

Listings (day, week, month, trending: ``listings``), the Hugging Face lists (``hf_lists``) and
their JSON shape (``hf_shape``), paging (``paging``), search requests (``search_requests``) and
the feeds' base (``feeds``). Each is named once here; the rules underneath are the store's
(visibility, listing days), ``periods`` and search's. Nothing here imports the site or the library.
"""
