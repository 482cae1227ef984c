"""Ranking: pure scoring functions (trending.py) and the service that stores scores (refresh.py)."""
