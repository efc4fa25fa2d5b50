"""The SQLite implementation of the index: the only code in archiver that speaks SQL."""
