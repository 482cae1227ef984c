"""Thin HTTP adapters over dailypapers.web.services, one module per feature."""
