"""Captures per minute with 1, 2 and 3 `archiver worker` processes against one on one machine, and
what each capture costs: CPU-seconds, memory, PostgreSQL statements, Redis commands, bytes written.

Usage: .venv/bin/python bench/scale.py [--rounds 3] [--articles 40] [--workers 1,2,3]

Starts its own throwaway services, as the tests do (tests/services.py): a Redis (append-only,
`appendfsync always`) and a PostgreSQL (fsync off) with `pg_stat_statements` preloaded, both on
loopback, and the impersonating web (tests/fakeweb). The articles are news pages made for the bench
(bench/flight.py's `make_articles`: each embeds two or three of the fake web's tweets, every third its
YouTube video), so posts are shared between articles and each is captured once per run.

Configurations, interleaved within each round (the order reversed every other round):

- `local`: `archiver run` with the archive's SQLite index, no broker: the baseline;
- `N worker(s)`: N `archiver worker --concurrency 1 --index postgresql://…` processes, started and
  ready before the clock starts, and `archiver run --broker … --index …` as the scheduler. Each
  configuration of each round gets a fresh archive folder, a fresh database and an emptied Redis.

Figures, per configuration, best and median of the rounds where two are given:

- captures: rows of the index's `captures` table (articles and posts captured) after the run;
  captures/minute over the scheduler's (or the local run's) wall time;
- CPU-seconds per capture. Workers: utime+stime+cutime+cstime summed over every process of each
  worker's tree (main process, pool process, Playwright's driver, every Chromium process; one that
  ended and is not yet reaped too) read from
  /proc when the scheduler starts and when it ends, the difference (a process that ends meanwhile is
  counted through its parent's cutime/cstime once reaped). The scheduler and the local run: the same
  sum over their trees, sampled every 0.2 s while they run, the largest value (their last fraction
  of a second excepted). Not getrusage(RUSAGE_CHILDREN): Chromium and Playwright's driver are not
  all reaped by the process that started them, and getrusage found less than half of a local run's
  CPU. The servers apart: PostgreSQL's postmaster tree from /proc as for workers (less the server process answering
  the bench's own lock samples, below); Redis's `INFO cpu`;
- peak memory: the peak summed PSS of each worker's process tree (bench/flight.py's `Watch`,
  sampled every 50 ms), the largest worker's and the sum over workers;
- PostgreSQL statements per capture: `pg_stat_statements` calls in the configuration's database
  between the scheduler's start and end, and of them the write transactions: calls of
  `pg_advisory_xact_lock`, which every write transaction of the index takes. BEGIN, SET LOCAL and
  COMMIT are counted from the latter, once each per write transaction: psycopg prepares a
  statement run five times, and pg_stat_statements misses a prepared utility statement's calls;
- Redis commands per capture: `INFO stats` total_commands_processed between the same two moments
  (idle polling of the workers included: it is part of the cost), and the most called commands;
- bytes written per capture: the WARC files (`*.warc.gz`) and everything else in the archive folder
  but the index and the browser's profile (screenshots, media);
- the tool's own HTTP requests in a run, per host, from the fake web's request log (not the
  browser's page loads): the requests the per-host politeness gate lets through one at a time;
- how busy the index's write lock was: whether a session holds it, from pg_locks every 10 ms while
  the scheduler runs; the share of samples it was held (at the throughput measured divided by that
  share, it would be held all the time), and the time writers waited for it (pg_stat_statements);
- once, at the end: the median round trip of `SELECT 1` to the bench's PostgreSQL (loopback), and
  the server's execution time per capture (pg_stat_statements `total_exec_time`), the two parts of
  the time a write transaction holds the index's write lock.

The local run uses `archiver run`'s default of two pages in flight in its one Chromium; a worker
process captures one page at a time.

Every worker is stopped by PID (SIGTERM, then SIGKILL to what is left of its tree) at the end of
its configuration and on any error; the services are stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.flight import Watch, make_articles  # noqa: E402
from bench.proctree import tree_cpu  # noqa: E402
from tests.cluster import Workers  # noqa: E402
from tests.fakeweb import FakeWeb  # noqa: E402
from tests.services import PostgresServer, RedisServer  # noqa: E402

LOCAL = "local (SQLite, no broker)"


class CpuWatch:
    """The largest tree_cpu(root) seen, sampled every 0.2 s until stopped: the CPU-seconds a process
    tree used while it ran, its last fraction of a second and its exit excepted."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.seconds = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.seconds = max(self.seconds, tree_cpu(self.root))
            self._stop.wait(0.2)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def start_postgres() -> tuple[PostgresServer, bool]:
    """The bench's PostgreSQL, with pg_stat_statements when the server has it (True then)."""
    server = PostgresServer()
    lib = server.bindir.parent / "lib" / "pg_stat_statements.so"
    if lib.exists():
        with open(server.data / "postgresql.conf", "a") as conf:
            conf.write("\nshared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track_utility = on\n")
    try:
        server.start()
        if not lib.exists():
            return server, False
        import psycopg

        with psycopg.connect(server.admin_url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    except BaseException:
        server.remove()  # stops the server it started, by PID, and removes its folder
        raise
    return server, True


class LockWatch:
    """How busy the index's write lock is: every 10 ms, whether a session holds it (pg_locks), until
    stopped. `share` is the fraction of samples it was held: the lock would be busy all the time
    at the throughput measured divided by `share`."""

    def __init__(self, admin_url: str, database: str) -> None:
        import psycopg

        from archiver.index.postgres.schema import LOCK_NAMESPACE, WRITE_LOCK

        # From another database: the samples are not counted among the index's statements.
        self.conn = psycopg.connect(admin_url, autocommit=True)
        self.backend = int(self.conn.execute("SELECT pg_backend_pid()").fetchone()[0])  # type: ignore[index]
        self.cpu = 0.0  # CPU-seconds of the server process answering the samples, not the index's cost
        self.key = (database, LOCK_NAMESPACE, WRITE_LOCK)
        self.held = self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        query = ("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2"
                 " AND database = (SELECT oid FROM pg_database WHERE datname = %s)"
                 " AND classid::bigint = %s AND objid::bigint = %s")
        while not self._stop.is_set():
            row = self.conn.execute(query, self.key).fetchone()
            self.samples += 1
            self.held += 1 if row and row[0] else 0
            self._stop.wait(0.01)

    @property
    def share(self) -> float:
        return self.held / self.samples if self.samples else 0.0

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.cpu = tree_cpu(self.backend)
        self.conn.close()


def pg_calls(pg: PostgresServer, url: str) -> Counter[str]:
    """pg_stat_statements calls in `url`'s database, per kind of statement; under "ms", the server's
    execution time of them all, in milliseconds."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    out: Counter[str] = Counter()
    with psycopg.connect(pg.admin_url, autocommit=True) as conn:
        rows = conn.execute("SELECT s.query, s.calls, s.total_exec_time FROM pg_stat_statements s"
                            " JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = %s", [name]).fetchall()
    for query, calls, ms in rows:
        kind = "advisory lock" if "pg_advisory" in query else (query.split() or ["?"])[0].upper()
        out[kind] += calls
        out["ms"] += ms
        if kind == "advisory lock":
            out["ms lock"] += ms  # waiting for the write lock: what the lock costs the writers
    return out


def with_unprepared(delta: Counter[str]) -> Counter[str]:
    """`delta` with BEGIN, SET (LOCAL lock_timeout) and COMMIT counted once per write transaction.

    psycopg prepares a statement it has run five times on a connection, and pg_stat_statements
    does not count the executions of a prepared utility statement: past the fifth transaction of a
    connection, its BEGIN, SET LOCAL and COMMIT go uncounted. Every write transaction sends the
    three, and one `pg_advisory_xact_lock` call (a SELECT, always counted): each of the three is
    taken as at least that many."""
    out = Counter(delta)
    for kind in ("BEGIN", "SET", "COMMIT"):  # psycopg's prepared BEGIN, SET LOCAL, COMMIT
        out[kind] = max(out[kind], out["advisory lock"])
    return out


def round_trip_ms(url: str, n: int = 300) -> float:
    """Median milliseconds of `SELECT 1` from this process to the server and back (loopback here)."""
    import psycopg

    times = []
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(n):
            start = time.perf_counter()
            conn.execute("SELECT 1").fetchone()
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def tool_requests(web: FakeWeb, start: int) -> Counter[str]:
    """The tool's own HTTP requests per host since log entry `start` (not the browser's page loads,
    which are not gated per host): what the per-host politeness gate serialises."""
    return Counter(e["host"] for e in web.log[start:] if "Mozilla" not in e["headers"].get("user-agent", ""))


def redis_stats(client: Any) -> tuple[int, Counter[str], float]:
    """(commands processed, calls per command, CPU-seconds) of the bench's Redis so far."""
    info = client.info("all")
    calls = Counter({k.removeprefix("cmdstat_"): v["calls"] for k, v in info.items() if k.startswith("cmdstat_")})
    return int(info["total_commands_processed"]), calls, float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def archive_bytes(folder: Path) -> tuple[int, int]:
    """(bytes of WARC files, bytes of every other file but the index and the browser's profile)."""
    warc = other = 0
    for path in folder.rglob("*"):
        if not path.is_file() or ".browser" in path.relative_to(folder).parts or path.name.startswith("archive.db"):
            continue
        if path.name.endswith((".warc.gz", ".warc.gz.open")):
            warc += path.stat().st_size
        else:
            other += path.stat().st_size
    return warc, other


COUNT = "SELECT count(*), coalesce(sum(CASE WHEN post IS NULL THEN 0 ELSE 1 END), 0) FROM captures"


def count_captures(folder: Path, url: str | None) -> tuple[int, int]:
    """(captures, of which of posts) in the index."""
    if url is None:
        with sqlite3.connect(folder / "archive.db") as conn:
            row = conn.execute(COUNT).fetchone()
    else:
        import psycopg

        with psycopg.connect(url) as conn:
            row = conn.execute(COUNT).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


Sample = dict[str, Any]  # one configuration's figures in one round


def scheduler(web: FakeWeb, seeds: Path, folder: Path, extra: list[str],
              memory: bool = False) -> tuple[float, float, int, dict[str, Any]]:
    """`archiver run` with `extra` (the cluster's scheduler, or the local run): wall seconds,
    CPU-seconds of its tree, peak PSS KiB of its tree (0 unless `memory`), summary."""
    cmd = [sys.executable, "-m", "archiver.cli", "-q", "run", "--seeds", str(seeds), "--recheck-after", "3650d",
           "--map-host", web.map_host, "--ca-bundle", str(web.ca_pem), "--archive-dir", str(folder),
           "--format", "json", *extra]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    cpu = CpuWatch(proc.pid)
    watch = Watch(proc.pid) if memory else None
    try:
        out, err = proc.communicate(timeout=3600)
    except subprocess.TimeoutExpired:
        proc.kill()  # the bench's own child, by its PID
        proc.communicate()
        raise
    finally:
        cpu.stop()
        if watch is not None:
            watch.stop()
    took = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"archiver run {' '.join(extra[:1])} exited {proc.returncode}: {err[-2000:]}")
    return took, cpu.seconds, watch.peak_kib if watch is not None else 0, json.loads(out)


def run_local(web: FakeWeb, seeds: Path, folder: Path) -> Sample:
    folder.mkdir(parents=True)
    log0 = len(web.log)
    took, cpu, peak, summary = scheduler(web, seeds, folder, [], memory=True)
    warc, other = archive_bytes(folder)
    captures, posts = count_captures(folder, None)
    return dict(seconds=took, captures=captures, posts=posts, cpu=cpu, sched_cpu=0.0,
                  pss_max=peak, pss_sum=peak, warc=warc, other=other, summary=summary,
                  hosts=tool_requests(web, log0))


def run_cluster(web: FakeWeb, seeds: Path, folder: Path, n: int, redis: RedisServer, client: Any,
                pg: PostgresServer, statements: bool) -> Sample:
    url = pg.database()
    client.flushall()  # answers and claims are keyed by run and task: a fresh database restarts their ids
    with Workers(web, redis.url, folder, n, "--index", url) as workers:
        workers.wait_ready(timeout=300)
        roots = [p.pid for p in workers.procs]
        watches = [Watch(pid) for pid in roots]
        try:
            pg_root = pg.server_pid()
            cpu0 = sum(tree_cpu(pid) for pid in roots)
            pg_cpu0 = tree_cpu(pg_root)
            cmds0, calls0, rcpu0 = redis_stats(client)
            stmts0 = pg_calls(pg, url) if statements else Counter()
            log0 = len(web.log)
            lock = LockWatch(pg.admin_url, url.rsplit("/", 1)[1])
            try:
                took, sched_cpu, _, summary = scheduler(web, seeds, folder, ["--broker", redis.url, "--index", url])
            finally:
                lock.stop()
            stmts1 = pg_calls(pg, url) if statements else Counter()
            hosts = tool_requests(web, log0)
            cmds1, calls1, rcpu1 = redis_stats(client)
            cpu1 = sum(tree_cpu(pid) for pid in roots)
            pg_cpu1 = tree_cpu(pg_root)
        finally:
            for w in watches:
                w.stop()
    warc, other = archive_bytes(folder)
    captures, posts = count_captures(folder, url)
    return dict(seconds=took, captures=captures, posts=posts, cpu=cpu1 - cpu0 + sched_cpu, sched_cpu=sched_cpu,
                  pss_max=max(w.peak_kib for w in watches), pss_sum=sum(w.peak_kib for w in watches),
                  warc=warc, other=other, summary=summary, pg=with_unprepared(stmts1 - stmts0),
                  pg_cpu=pg_cpu1 - pg_cpu0 - lock.cpu,
                  redis=cmds1 - cmds0, redis_calls=calls1 - calls0, redis_cpu=rcpu1 - rcpu0, hosts=hosts,
                  lock_share=lock.share)


def per_minute(s: Sample) -> float:
    return float(s["captures"]) / s["seconds"] * 60


def statuses(s: Sample) -> str:
    return json.dumps({p["key"]: p["status"] for p in s["summary"]["results"]}, sort_keys=True)


def report(samples: dict[str, list[Sample]], statements: bool, articles: int, rtt: float) -> None:
    base = samples[LOCAL]
    base_best, base_med = max(map(per_minute, base)), statistics.median(map(per_minute, base))
    load = os.getloadavg()
    caps = base[0]["captures"]
    print(f"\n{articles} articles, {caps} captures a run (index `captures` rows: {caps - base[0]['posts']} of "
          f"articles, {base[0]['posts']} of posts), "
          f"{len(base)} round(s) interleaved; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          f"{os.cpu_count()} CPUs; PostgreSQL round trip (SELECT 1, loopback, median) {rtt:.3f} ms")
    print(f"\n{'configuration':26s} {'captures/min best':>17s} {'median':>7s}  {'x local (best/median)':>21s}  "
          f"{'wall s best':>11s}")
    for name, ss in samples.items():
        rates = [per_minute(s) for s in ss]
        same = "" if all(statuses(s) == statuses(base[0]) for s in ss) else "  STATUSES DIFFER FROM LOCAL"
        counts = {s["captures"] for s in ss}
        odd = "" if counts == {caps} else f"  CAPTURES {sorted(counts)}"
        print(f"{name:26s} {max(rates):17.1f} {statistics.median(rates):7.1f}  "
              f"{max(rates) / base_best:9.2f}x / {statistics.median(rates) / base_med:5.2f}x  "
              f"{min(s['seconds'] for s in ss):11.1f}{same}{odd}")

    print("\nper capture (median of the rounds):")
    print(f"{'configuration':26s} {'CPU-s all':>9s} {'of which':>10s} {'x local':>7s} {'PG CPU-s':>8s} "
          f"{'Redis CPU-s':>11s} {'PSS MiB max/sum':>15s} {'WARC KiB':>8s} {'other KiB':>9s}")
    base_cpu = statistics.median(s["cpu"] / s["captures"] for s in base)
    for name, ss in samples.items():
        def med(key: str, ss: list[Sample] = ss) -> float:
            return statistics.median(float(s.get(key, 0)) / s["captures"] for s in ss)
        cpu = med("cpu")
        sched = f"sch {med('sched_cpu'):.3f}" if name != LOCAL else ""
        pss = f"{max(s['pss_max'] for s in ss) / 1024:.0f}/{max(s['pss_sum'] for s in ss) / 1024:.0f}"
        pgc = f"{med('pg_cpu'):.3f}" if name != LOCAL else "-"
        rc = f"{med('redis_cpu'):.4f}" if name != LOCAL else "-"
        print(f"{name:26s} {cpu:9.2f} {sched:>10s} {cpu / base_cpu:6.2f}x {pgc:>8s} {rc:>11s} {pss:>15s} "
              f"{med('warc') / 1024:8.0f} {med('other') / 1024:9.0f}")

    print("\nPostgreSQL statements and Redis commands per capture (median of the rounds):")
    for name, ss in samples.items():
        if name == LOCAL:
            continue
        redis = statistics.median(s["redis"] / s["captures"] for s in ss)
        top = sum((s["redis_calls"] for s in ss), Counter()).most_common(6)
        rounds = len(ss)
        top_s = ", ".join(f"{k} {v / rounds / ss[0]['captures']:.1f}" for k, v in top)
        if statements:
            total = statistics.median(sum(v for k, v in s["pg"].items() if not k.startswith("ms")) / s["captures"]
                                      for s in ss)
            writes = statistics.median(s["pg"]["advisory lock"] / s["captures"] for s in ss)
            ms = statistics.median((s["pg"]["ms"] - s["pg"]["ms lock"]) / s["captures"] for s in ss)
            wait = statistics.median(s["pg"]["ms lock"] / s["captures"] for s in ss)
            share = statistics.median(s["lock_share"] for s in ss)
            kinds = [(k, v) for k, v in sum((s["pg"] for s in ss), Counter()).most_common()
                     if not k.startswith("ms")][:8]
            kinds_s = ", ".join(f"{k} {v / rounds / ss[0]['captures']:.1f}" for k, v in kinds)
            print(f"{name:26s} PostgreSQL {total:6.1f} statements, {writes:.2f} write transactions, {ms:.2f} ms "
                  f"executing, {wait:.2f} ms waiting for the write lock; the lock held {share:.1%} of the run "
                  f"(ceiling {statistics.median(per_minute(s) / max(s['lock_share'], 1e-9) for s in ss):.0f} "
                  f"captures/min)")
            print(f"{'':26s}            {kinds_s}")
        else:
            print(f"{name:26s} PostgreSQL: pg_stat_statements is not installed here: not counted")
        print(f"{'':26s} Redis      {redis:6.1f} commands: {top_s}")

    print("\nthe tool's own HTTP requests in a run, per host (one in flight per host across the cluster; "
          "median of the rounds):")
    for name, ss in samples.items():
        hosts = sorted(set().union(*(s["hosts"] for s in ss)))
        per = {h: statistics.median(s["hosts"][h] for s in ss) for h in hosts}
        print(f"{name:26s} " + ", ".join(f"{h} {v:g}" for h, v in sorted(per.items(), key=lambda kv: -kv[1])))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--articles", type=int, default=40)
    ap.add_argument("--workers", default="1,2,3", help="worker counts to compare (comma-separated)")
    args = ap.parse_args()
    counts = [int(x) for x in args.workers.split(",") if x]
    names = [LOCAL] + [f"{n} worker{'s' if n > 1 else ''}" for n in counts]
    samples: dict[str, list[Sample]] = {name: [] for name in names}
    load = os.getloadavg()
    print(f"bench/scale.py: load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {os.cpu_count()} CPUs; "
          f"{os.uname().nodename}", flush=True)
    import redis as redis_lib

    with tempfile.TemporaryDirectory() as tmp, FakeWeb(Path(tmp) / "web") as web:
        (Path(tmp) / "redis").mkdir()
        rs = RedisServer(Path(tmp) / "redis").start()
        pg: PostgresServer | None = None
        try:
            pg, statements = start_postgres()
            client = redis_lib.Redis.from_url(rs.url)
            urls = make_articles(web, args.articles, "scale")
            seeds = Path(tmp) / "seeds"
            seeds.mkdir()
            (seeds / "bench.urls").write_text("".join(u + "\n" for u in urls))
            for r in range(args.rounds):
                order = names if r % 2 == 0 else list(reversed(names))
                for name in order:
                    folder = Path(tmp) / f"a-{r}-{names.index(name)}"
                    if name == LOCAL:
                        s = run_local(web, seeds, folder)
                    else:
                        s = run_cluster(web, seeds, folder, counts[names.index(name) - 1], rs, client, pg, statements)
                    samples[name].append(s)
                    print(f"  round {r + 1}: {name:26s} {s['seconds']:6.1f} s  {s['captures']} captures  "
                          f"{per_minute(s):5.1f}/min  CPU {s['cpu']:6.1f} s  load {os.getloadavg()[0]:.2f}",
                          file=sys.stderr, flush=True)
            report(samples, statements, args.articles, round_trip_ms(pg.database()))
        finally:
            if pg is not None:
                pg.remove()
            rs.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
