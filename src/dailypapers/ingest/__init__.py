"""Getting papers in: pure parsers for every format, the importer and live sync."""
