"""The index in PostgreSQL (psycopg 3): the shared index SQL (`archiver.index.sql`) on a server many
workers reach. psycopg is imported only by `connection`, so naming an index (`url`) costs nothing."""
