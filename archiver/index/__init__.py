"""The SQLite index of an archive: `schema` (tables, migrations), `store` (writes, `Index`),
`query` (`Filters`, `lookup`, `show`, `records_for`).

Import from the submodules (`from archiver.index.store import Index`): this package stays empty so
that importing one pure helper (`times`, `search`) does not load sqlite-utils.
"""
