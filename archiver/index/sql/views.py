"""The views both backends hold for people reading the index directly (Datasette, psql, sqlite3):
`citations_expanded` as schema version 10 defines it. (`post_history` has not changed since it was
made, and each backend's first schema creates it.)"""

CITATIONS_VIEW = """CREATE VIEW citations_expanded AS
    SELECT a.title AS article_title, a.url AS article_url, p.key AS post_key, p.handle, c.kind, c.evidence,
           c.first_seen, c.dropped_at
    FROM citations c JOIN articles a ON a.id = c.article_id JOIN posts p ON p.id = c.post
    ORDER BY a.url, p.key"""
