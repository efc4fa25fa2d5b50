"""The index's SQL, shared by every database that holds an index: the writes (`store`), the reads
(`query`, `index`), merging posts (`merge`), the journal (`journal`) and text search (`search`).

Statements are written once, with `?` and `:name` placeholders, and run through a backend's
`Connection` (`archiver.index.sqlite.connection`, `archiver.index.postgres.connection`); the few
places where the databases differ ask the backend's `Dialect`."""
