"""The `dailypapers` command: thin adapters over the library."""
