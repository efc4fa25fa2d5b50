"""Peak memory and time of `archiver verify X.warc.gz` (and of `verify X.wacz`) by number of records.

Usage: .venv/bin/python bench/verify_memory.py [--records N ...] [--wacz-records N] [--before DIR]

For each N (default 20,000 and 100,000) writes, in a temporary folder, a WARC of about N records through
the archive's own WARC writer (archiver/warcstore): N/2 exchanges of small distinct pages, every tenth
one a 2 KiB page met before, which the writer stores as a revisit of the first. With --wacz-records
(default 20,000; 0: none) it also makes a WACZ of such a WARC: the WARC stored, its CDXJ index made by
the export's own indexer, and the datapackage.json and digest that vouch for them.
Each file is then verified in a child process (`verify_path`, what `archiver verify` runs) by this
checkout's code and, with `--before DIR` (a checkout of an earlier commit), by that one's: the child's
peak RSS (`ru_maxrss`, from wait4), its RSS once the code is imported (so what verifying added can be
told apart), the seconds verifying took and the CPU seconds (user and system) the child spent in
`verify_path` alone, imports excluded, from getrusage around it (on a shared machine the seconds vary
with the others' load, the CPU seconds much less). Ratios before / now.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# The child: import the code under test from the checkout given, note the RSS, verify, say what came of it.
CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from archiver.evidence.verify_wacz import verify_path

def cpu_seconds():
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime

def rss_kib():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0

imported = rss_kib()
start, cpu_start = time.perf_counter(), cpu_seconds()
result = verify_path(Path(sys.argv[2]))
took, cpu = time.perf_counter() - start, cpu_seconds() - cpu_start
doc = result.to_dict()
print(json.dumps({"imported_kib": imported, "seconds": took, "cpu": cpu, "verified": doc["verified"],
                  "records": doc.get("records"), "problems": len(doc["problems"]), "notes": len(doc["notes"])}))
"""


def no_fsync() -> None:
    """The bench's files need not survive a crash: the writer's fsync of each record would take most
    of the time spent building them."""
    import archiver.warcstore.writer as writer

    writer.os.fsync = lambda fd: None  # type: ignore[assignment]


def build_warc(folder: Path, records: int) -> Path:
    from archiver.warcstore import Exchange, WarcStore

    again = b"<html><body>" + b"shared widget " * 146 + b"</body></html>"  # 2 KiB, stored once
    with WarcStore(folder) as store:
        for n in range(max(records // 2, 1)):
            body = again if n % 10 == 9 else f"<html><body><p>page {n}</p></body></html>".encode()
            store.write_exchange(Exchange(url=f"https://bench.example/page/{n}", method="GET",
                                          request_headers=[("Host", "bench.example")], status=200,
                                          response_headers=[("Content-Type", "text/html")], body=body))
        files = store.files
    assert len(files) == 1, files
    return files[0]


def build_wacz(warc: Path, out: Path) -> Path:
    """A WACZ of the WARC: the WARC stored, its CDXJ index made by the export's own indexer
    (archiver/export/cdxj.py), and the datapackage.json and datapackage-digest.json that vouch for
    them, and a list of pages naming the first record's URL (no signature: what is verified of each
    record is all there)."""

    from archiver.export.cdxj import cdxj_index

    with warc.open("rb") as fh:
        index = cdxj_index(fh, warc.name)
    _key, stamp, fields = index.split(b"\n", 1)[0].decode().split(" ", 2)
    ts = f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}T{stamp[8:10]}:{stamp[10:12]}:{stamp[12:14]}Z"
    pages = (json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}) + "\n"
             + json.dumps({"url": json.loads(fields)["url"], "ts": ts}) + "\n").encode()
    return write_wacz({f"archive/{warc.name}": warc.read_bytes(), "indexes/index.cdxj": index,
                       "pages/pages.jsonl": pages}, out)


def write_wacz(entries: dict[str, bytes], out: Path) -> Path:
    """A WACZ at `out` of `entries` (path in the zip -> bytes), its datapackage.json listing each
    with its hash and size, and datapackage-digest.json that file's hash."""
    import hashlib
    import zipfile

    package = json.dumps({"profile": "data-package", "wacz_version": "1.1.1", "resources": [
        {"name": Path(name).name, "path": name, "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
         "bytes": len(data)} for name, data in entries.items()]}).encode()
    digest = json.dumps({"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(package).hexdigest()})
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in entries.items():
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_STORED)
        zf.writestr("datapackage.json", package)
        zf.writestr("datapackage-digest.json", digest)
    return out


def run_child(code: Path, target: Path) -> dict[str, float]:
    """Verify `target` with the code at `code` in a child process: what it printed, and its peak RSS."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: stdout to the pipe, then the interpreter with the child's script
        os.close(r)
        os.dup2(w, 1)
        errors = os.open(str(target) + ".stderr", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(errors, 2)
        os.chdir(code)
        os.execv(sys.executable, [sys.executable, "-c", CHILD, str(code), str(target)])
    os.close(w)
    with os.fdopen(r, "rb") as fh:
        out = fh.read()
    _, status, usage = os.wait4(pid, 0)
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        said = Path(str(target) + ".stderr").read_text(errors="replace").strip()[-800:]
        sys.exit(f"verify of {target.name} by {code} failed (status {status}): {said}")
    doc = json.loads(out.decode().strip().splitlines()[-1])
    doc["peak_kib"] = usage.ru_maxrss  # KiB on Linux (the CPU seconds are the child's own, of verifying alone)
    return doc


def show(label: str, n: int, doc: dict[str, float]) -> None:
    mib = 1024
    print(f"  {label:<7} {n:>8} records  peak RSS {doc['peak_kib'] / mib:7.1f} MiB "
          f"(after import {doc['imported_kib'] / mib:5.1f} MiB, verifying added "
          f"{(doc['peak_kib'] - doc['imported_kib']) / mib:7.1f} MiB)  {doc['seconds']:6.2f} s "
          f"(child's CPU {doc['cpu']:6.2f} s)  "
          f"verified={doc['verified']} problems={doc['problems']} notes={doc['notes']}", flush=True)


def compare(kind: str, n: int, target: Path, before: Path | None) -> None:
    now = run_child(ROOT, target)
    show("now", n, now)
    if before is None:
        return
    old = run_child(before, target)
    show("before", n, old)
    added_now = max(now["peak_kib"] - now["imported_kib"], 1)
    added_old = old["peak_kib"] - old["imported_kib"]
    print(f"  {kind} {n}: before/now peak RSS {old['peak_kib'] / now['peak_kib']:.2f}x, memory verifying added "
          f"{added_old / added_now:.2f}x, time {old['seconds'] / now['seconds']:.2f}x (CPU "
          f"{old['cpu'] / now['cpu']:.2f}x)", flush=True)
    if (old["verified"], old["problems"], old["notes"]) != (now["verified"], now["problems"], now["notes"]):
        print(f"  !! the two verdicts differ: before {old}, now {now}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, nargs="+", default=[20_000, 100_000], help="WARC sizes, in records")
    ap.add_argument("--wacz-records", type=int, default=20_000, help="WACZ size, in records (0: no WACZ)")
    ap.add_argument("--before", type=Path, help="a checkout of an earlier commit, to compare with")
    args = ap.parse_args()
    if args.before is not None and not (args.before / "archiver" / "evidence" / "verify_wacz.py").is_file():
        ap.error(f"--before {args.before}: not a checkout of archiver (no archiver/evidence/verify_wacz.py)")
    no_fsync()
    with tempfile.TemporaryDirectory(prefix="bench-verify-memory-") as tmp:
        for n in args.records:
            folder = Path(tmp) / f"warc-{n}"
            start = time.perf_counter()
            warc = build_warc(folder, n)
            print(f"WARC of {n} records: {warc.stat().st_size / 1e6:.1f} MB, written in "
                  f"{time.perf_counter() - start:.1f} s", flush=True)
            compare("WARC", n, warc, args.before)
            warc.unlink()
        if args.wacz_records:
            n = args.wacz_records
            start = time.perf_counter()
            warc = build_warc(Path(tmp) / "wacz", n)
            wacz = build_wacz(warc, Path(tmp) / "wacz" / "bench.wacz")
            warc.unlink()
            print(f"WACZ of {n} records: {wacz.stat().st_size / 1e6:.1f} MB, made in "
                  f"{time.perf_counter() - start:.1f} s", flush=True)
            compare("WACZ", n, wacz, args.before)


if __name__ == "__main__":
    main()
