"""The throwaway servers the cluster tests start: they answer on loopback, and keep data across a restart."""

from __future__ import annotations

import socket

from tests.services import PostgresServer, RedisServer


def _redis(server: RedisServer, *command: str) -> bytes:
    payload = f"*{len(command)}\r\n" + "".join(f"${len(c)}\r\n{c}\r\n" for c in command)
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(payload.encode())
        return s.recv(1024)


def test_redis_answers_and_keeps_its_data_across_a_restart(redis_server: RedisServer) -> None:
    assert redis_server.url.startswith("redis://127.0.0.1:")
    assert _redis(redis_server, "SET", "services-test", "kept") == b"+OK\r\n"
    redis_server.restart()
    assert _redis(redis_server, "GET", "services-test") == b"$4\r\nkept\r\n"


def test_postgres_gives_each_test_its_own_database(postgres_server: PostgresServer, postgres_url: str) -> None:
    import psycopg

    assert postgres_url.startswith("postgresql://postgres@127.0.0.1:")
    other = postgres_server.database()
    assert other != postgres_url
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SHOW lc_collate").fetchone() == ("C",)
        conn.execute("CREATE TABLE t (x text)")
    with psycopg.connect(other) as conn:
        assert conn.execute("SELECT to_regclass('t')").fetchone() == (None,)
