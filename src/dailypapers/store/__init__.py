"""The paper store: models, the one upsert every importer shares, and the change log."""
