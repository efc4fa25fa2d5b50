"""`archiver archive --timestamp URL` end to end: real Chromium, WARC and SQLite against the fake web,
and a local RFC 3161 authority. Every capture gets a token over its manifest, which is rebuilt from
the WARC files alone; an authority that fails leaves the captures whole and names each one (exit 1)."""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.evidence import tsa
from archiver.evidence.stamps import ManifestEntry, digest_of, manifest
from tests.e2e import cli, gzip_members, warc_files
from tests.fakeweb import FakeWeb, site
from tests.tsa_authority import Authority, timestamp_authority

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeWeb, Authority, Path]]:
    tmp = tmp_path_factory.mktemp("stamps")
    with FakeWeb(tmp / "web") as web, timestamp_authority(tmp / "tsa") as authority:
        yield web, authority, tmp


def _headers(archive: Path) -> dict[str, ManifestEntry]:
    """Every record of the archive's WARCs, by record ID, as its own headers describe it."""
    found = {}
    for path in warc_files(archive):
        with path.open("rb") as fh:
            for rec in ArchiveIterator(fh):
                h = rec.rec_headers
                found[h.get_header("WARC-Record-ID")] = ManifestEntry(
                    h.get_header("WARC-Record-ID"), rec.rec_type, h.get_header("WARC-Target-URI") or "",
                    h.get_header("WARC-Date"), h.get_header("WARC-Block-Digest"), h.get_header("WARC-Payload-Digest"))
    return found


def _rows(archive: Path, sql: str) -> list[dict[str, Any]]:
    with sqlite3.connect(archive / "archive.db") as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql)]


@pytest.fixture(scope="module")
def stamped(world: Any) -> tuple[Any, Path, Any]:
    """An archive of one article whose captures were timestamped (the authority named by ARCHIVER_TSA)."""
    web, authority, tmp = world
    archive = tmp / "good"
    done = cli(web, "archive", site.ARTICLE_FLOOD.url, "--format", "json", archive=archive,
               env={"ARCHIVER_TSA": authority.url})
    return done, archive, authority


def test_every_capture_is_timestamped_over_records_the_warcs_still_hold(stamped: Any) -> None:
    done, archive, authority = stamped
    assert done.returncode == 0, done.stderr
    assert "not timestamped" not in done.stderr
    captures = _rows(archive, "SELECT id, post, article_id FROM captures ORDER BY id")
    stamps = _rows(archive, "SELECT * FROM capture_stamps ORDER BY capture_id")
    assert len(captures) >= 2 and any(c["post"] is None for c in captures) and any(c["post"] for c in captures)
    assert [s["capture_id"] for s in stamps] == [c["id"] for c in captures]
    headers = _headers(archive)
    root = x509_roots(authority)
    for stamp in stamps:
        assert stamp["tsa"] == authority.url and stamp["error"] is None
        records = [r["record_id"] for r in _rows(
            archive, f"SELECT record_id FROM records WHERE capture_id = {stamp['capture_id']}")]
        assert records
        # The manifest the token covers is what the WARC files say of the capture's records.
        rebuilt = manifest(headers[r] for r in records)
        assert rebuilt == stamp["manifest"] and digest_of(rebuilt) == stamp["digest"]
        check = tsa.check_token(base64.b64decode(stamp["token"]), message=rebuilt.encode(), roots=root)
        assert check.anchored and check.time.isoformat().replace("+00:00", ".000Z") == stamp["stamped_at"]
        # Another manifest (one record fewer) is not what the authority vouched for.
        with pytest.raises(tsa.TokenInvalid, match="other content"):
            tsa.check_token(base64.b64decode(stamp["token"]), message=manifest(headers[r] for r in records[1:]).encode(),
                            roots=root)


_BY_CAPTURE = ("SELECT c.captured_at, c.url, s.digest, s.manifest, s.tsa, s.token, s.stamped_at, s.error, s.requested_at "
               "FROM capture_stamps s JOIN captures c ON c.id = s.capture_id ORDER BY c.captured_at, c.url, s.tsa")


def test_reindex_keeps_the_timestamps(world: Any, stamped: Any) -> None:
    web, _authority, _tmp = world
    done, archive, _ = stamped
    assert done.returncode == 0, done.stderr
    before = _rows(archive, _BY_CAPTURE)
    assert before and all(row["token"] for row in before)
    rebuilt = cli(web, "reindex", "--force", archive=archive)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert _rows(archive, _BY_CAPTURE) == before


def test_verify_of_the_folder_checks_each_capture_token_against_its_records(world: Any, stamped: Any) -> None:
    import dataclasses
    import shutil

    from archiver.evidence.stamps import parse_manifest

    web, authority, tmp = world
    done, archive, _ = stamped
    assert done.returncode == 0, done.stderr
    clean = cli(web, "verify", archive=archive)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    stamp = _rows(archive, "SELECT s.*, c.url AS capture_url, c.captured_at, c.source, p.key AS post_key, "
                           "a.url AS article_url FROM capture_stamps s JOIN captures c ON c.id = s.capture_id "
                           "LEFT JOIN posts p ON p.id = c.post LEFT JOIN articles a ON a.id = c.article_id "
                           "ORDER BY s.capture_id")[0]
    # The capture named by what it captured and when, not by its row id in archive.db.
    what = f"post {stamp['post_key']}" if stamp["post_key"] else f"article {stamp['article_url']}"
    which = f"the {stamp['source']} capture of {what} at {stamp['captured_at']}"

    def tampered(name: str, **values: str) -> Any:
        copy = tmp / name
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(archive, copy)
        with sqlite3.connect(copy / "archive.db") as conn:
            if values:
                sets = ", ".join(f"{k} = ?" for k in values)
                conn.execute(f"UPDATE capture_stamps SET {sets} WHERE capture_id = ?", [*values.values(), stamp["capture_id"]])
            else:
                conn.execute("DELETE FROM capture_stamps WHERE capture_id = ?", [stamp["capture_id"]])
        conn.close()
        return cli(web, "verify", archive=copy)

    def named(r: Any) -> list[str]:
        return [line for line in r.stderr.splitlines() if ": timestamp: " in line]

    # The token's signature broken: no CA is at hand, the signer's own key says so.
    der = bytearray(base64.b64decode(stamp["token"]))
    der[-1] ^= 0x01
    broken = tampered("broken-token", token=base64.b64encode(bytes(der)).decode())
    assert broken.returncode == 1, broken.stderr
    assert [line for line in named(broken) if which in line and "does not check: its signature does not check" in line]
    # A manifest stamped for real, whose line of one record says another date than the record does.
    entries = parse_manifest(stamp["manifest"])
    entries[0] = dataclasses.replace(entries[0], date="2001-01-01T00:00:00Z")
    other = manifest(entries)
    token = tsa.request_token(authority.url, other.encode())
    moved = tampered("other-headers", manifest=other, digest=digest_of(other), token=base64.b64encode(token.der).decode())
    assert moved.returncode == 1, moved.stderr
    assert [line for line in named(moved) if which in line
            and f"covers record {entries[0].record_id}, which now has other headers than those stamped" in line]
    # The manifest kept with the token changed, its digest not.
    kept = tampered("other-manifest", manifest=other)
    assert [line for line in named(kept) if which in line and "not the one kept with it" in line], kept.stderr
    # The other token is one the journal in the WARCs never held either.
    of_capture = f"of its capture of {stamp['capture_url']} at {stamp['captured_at']}"
    assert [line for line in moved.stdout.splitlines() if line.startswith("journal\t") and of_capture in line
            and "is not the one the journal in the WARCs holds" in line], moved.stdout
    # A token by the same authority over the same manifest, made an hour after the capture: it no
    # longer shows the records were as they are when they were captured.
    made = datetime.fromisoformat(stamp["captured_at"].replace("Z", "+00:00")) + timedelta(hours=1)
    later = tampered("stamped-later", token=base64.b64encode(authority.token_at(stamp["manifest"].encode(), made)).decode())
    assert later.returncode == 1, later.stderr
    assert [line for line in named(later) if which in line and f"is made at {made:%Y-%m-%dT%H:%M:%SZ}, " in line
            and "not timestamped when made" in line], later.stderr
    # The token gone from the index: nothing in the index is left to check, the journal still holds it.
    lost = tampered("token-lost")
    assert lost.returncode == 1, lost.stderr
    assert [line for line in lost.stdout.splitlines() if line.startswith("journal\t") and of_capture in line
            and "the index lacks the timestamp by" in line], lost.stdout


def x509_roots(authority: Authority) -> list[Any]:
    return tsa.load_certificates(authority.root_pem)


def test_a_failing_authority_keeps_the_captures_and_names_each_one(world: Any) -> None:
    web, authority, tmp = world
    archive = tmp / "down"
    authority.fail = "down"
    asked = authority.queries
    try:
        done = cli(web, "archive", site.ARTICLE_REVIEW.url, "--timestamp", authority.url, "--format", "json",
                   archive=archive)
    finally:
        authority.fail = None
    assert done.returncode == 1, done.stderr
    summary = json.loads(done.stdout)
    captures = _rows(archive, "SELECT id FROM captures WHERE error IS NULL ORDER BY id")
    stamps = _rows(archive, "SELECT capture_id, token, error FROM capture_stamps ORDER BY capture_id")
    assert captures and [s["capture_id"] for s in stamps] == [c["id"] for c in _rows(archive, "SELECT id FROM captures ORDER BY id")]
    assert all(s["token"] is None and s["error"] for s in stamps)
    # Three failures in a row, and the authority is not asked again in the run (no timeout per capture).
    assert len(stamps) > 3 and authority.queries - asked == 3
    assert sum("not asked" in (s["error"] or "") for s in stamps) == len(stamps) - 3
    named = [f for f in summary["failures"] if "not timestamped" in f]
    assert len(named) == len(stamps), summary["failures"]
    # Each capture is named once, on stderr too, with the authority; the posts themselves were captured.
    assert all(f"capture {s['capture_id']} " in " ".join(named) for s in stamps)
    assert all(authority.url in f for f in named)
    assert sum("not timestamped" in line for line in done.stderr.splitlines()) >= len(stamps)
    assert {p["status"] for p in summary["results"]} and not any(p["error"] for p in summary["results"])


def test_a_timestamp_url_that_is_not_http_is_a_usage_error(world: Any) -> None:
    web, _authority, tmp = world
    done = cli(web, "archive", site.ARTICLE_REVIEW.url, "--timestamp", "ftp://tsa.example/", archive=tmp / "bad")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("archiver: --timestamp 'ftp://tsa.example/'")
    assert not (tmp / "bad" / "archive.db").exists()


def test_worker_processes_timestamp_their_captures_into_postgresql(world: Any, postgres_server: Any) -> None:
    from archiver.index import open_index

    web, authority, tmp = world
    seeds = tmp / "seeds"
    seeds.mkdir()
    (seeds / "news.urls").write_text(site.ARTICLE_REVIEW.url + "\n")
    url = postgres_server.database()
    done = cli(web, "run", "--seeds", str(seeds), "--concurrency", "2", "--index", url, "--timestamp", authority.url,
               "--format", "json", archive=tmp / "pool")
    assert done.returncode == 0, done.stderr
    with open_index(tmp / "pool", url=url) as index:
        ids = [row[0] for row in index.db.execute("SELECT id FROM captures ORDER BY id").fetchall()]  # type: ignore[attr-defined]
        stamps = index.capture_stamps(ids)
    assert len(ids) >= 2 and [s.capture_id for s in stamps] == ids
    roots = x509_roots(authority)
    for stamp in stamps:
        assert stamp.token and stamp.error is None and (stamp.post_key or stamp.article_url)
        tsa.check_token(base64.b64decode(stamp.token), message=stamp.manifest.encode(), roots=roots)


def test_a_wacz_export_carries_the_capture_tokens_and_verify_checks_them(world: Any, stamped: Any) -> None:
    import zipfile

    web, authority, tmp = world
    done, archive, _ = stamped
    assert done.returncode == 0, done.stderr
    out = tmp / "stamped.wacz"
    exported = cli(web, "export", "-o", str(out), archive=archive)
    assert exported.returncode == 0, exported.stderr
    with zipfile.ZipFile(out) as zf:
        sidecar = json.loads(zf.read("evidence/timestamps.json"))
        package = json.loads(zf.read("datapackage.json"))
    assert "evidence/timestamps.json" in {r["path"] for r in package["resources"]}
    exported_captures = {c["capture"] for c in sidecar["captures"]}
    stamps = {s["capture_id"]: s for s in _rows(archive, "SELECT * FROM capture_stamps")}
    assert exported_captures and exported_captures <= set(stamps)
    for entry in sidecar["captures"]:
        stamp = stamps[entry["capture"]]
        assert (entry["manifest"], entry["digest"]) == (stamp["manifest"], stamp["digest"])
        assert [t["token"] for t in entry["tokens"]] == [stamp["token"]]

    checked = cli(web, "verify", str(out), "--ca-bundle", str(authority.root_pem), "--format", "json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    report = json.loads(checked.stdout)
    assert report["verified"] and report["captures"] == len(exported_captures)
    assert f"{len(exported_captures)} capture(s) timestamped when made" in report["proven"]

    # One capture's token swapped for another capture's: named, and the bundle no longer verifies.
    swapped = tmp / "swapped.wacz"
    first, second = sidecar["captures"][0], sidecar["captures"][1]
    first["tokens"], second["tokens"] = second["tokens"], first["tokens"]
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(swapped, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "evidence/timestamps.json":
                data = json.dumps(sidecar).encode()
            dst.writestr(item, data)
    bad = cli(web, "verify", str(swapped), "--ca-bundle", str(authority.root_pem), "--format", "json")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    problems = json.loads(bad.stdout)["problems"]
    assert any(f"capture {first['capture']}" in json.dumps(p) and "other content" in json.dumps(p) for p in problems), problems

    # A byte changed inside the bundle's WARC: named by its hash and the captures it breaks, and
    # nothing of the WARC reader's own complaints (zlib's "incorrect data check") on stderr.
    damaged = tmp / "damaged.wacz"
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(damaged, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "archive/data.warc.gz":
                data = data[:len(data) // 2] + bytes([data[len(data) // 2] ^ 0xFF]) + data[len(data) // 2 + 1:]
            dst.writestr(item, data)
    broken = cli(web, "verify", str(damaged), "--ca-bundle", str(authority.root_pem))
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "archive/data.warc.gz" in broken.stdout
    assert all(line.startswith("archiver: ") for line in broken.stderr.splitlines()), broken.stderr


@pytest.mark.cluster
def test_a_cluster_worker_timestamps_its_captures(world: Any, broker: str, postgres_url: str) -> None:
    import subprocess

    from archiver.index import open_index
    from tests.cluster import Workers, run_argv
    from tests.e2e import ROOT

    web, authority, tmp = world
    seeds = tmp / "cluster-seeds"
    seeds.mkdir()
    (seeds / "news.urls").write_text(site.ARTICLE_REVIEW.url + "\n")
    archive = tmp / "cluster"
    # The scheduler is given no authority: timestamping is the workers' own setting.
    with Workers(web, broker, archive, 1, "--timestamp", authority.url, index=postgres_url) as workers:
        workers.wait_ready()
        r = subprocess.run(run_argv(web, broker, postgres_url, seeds, archive), cwd=ROOT,
                           capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr + workers.output()
        assert not json.loads(r.stdout)["failures"]
        # The authority stops answering: the next run's captures are kept, and the scheduler names them.
        later = tmp / "cluster-later"
        later.mkdir()
        (later / "news.urls").write_text(site.ARTICLE_FLOOD.url + "\n")
        authority.fail = "http"
        try:
            again = subprocess.run(run_argv(web, broker, postgres_url, later, archive), cwd=ROOT,
                                   capture_output=True, text=True, timeout=600)
        finally:
            authority.fail = None
    with open_index(archive, url=postgres_url, create=False) as index:
        ids = [row[0] for row in index.db.execute("SELECT id FROM captures ORDER BY id").fetchall()]  # type: ignore[attr-defined]
        stamps = index.capture_stamps(ids)
    good = [s for s in stamps if s.token]
    assert len(good) >= 2
    roots = x509_roots(authority)
    for stamp in good:
        tsa.check_token(base64.b64decode(stamp.token or ""), message=stamp.manifest.encode(), roots=roots)
    failed = [s for s in stamps if not s.token]
    named = [f for f in json.loads(again.stdout)["failures"] if "not timestamped" in f]
    assert failed and len(named) == len(failed), (again.stderr, named)
    assert all("HTTP 503" in f or "not asked" in f for f in named)
    assert again.returncode == 1


def _sha1(data: bytes) -> str:
    import hashlib

    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def _repacked(bundle: Path, dest: Path, edit: Any) -> Path:
    """`bundle` with each WARC record passed through `edit(record bytes) -> bytes`, and its
    datapackage.json hashes and digest recomputed, as anyone holding an unsigned bundle can."""
    import gzip
    import hashlib
    import zipfile

    with zipfile.ZipFile(bundle) as src:
        files = {i.filename: src.read(i.filename) for i in src.infolist()}
    warc = b"".join(gzip.compress(edit(m)) for m in gzip_members(files["archive/data.warc.gz"]))
    files["archive/data.warc.gz"] = warc
    package = json.loads(files["datapackage.json"])
    for resource in package["resources"]:
        data = files[resource["path"]]
        resource["hash"], resource["bytes"] = "sha256:" + hashlib.sha256(data).hexdigest(), len(data)
    files["datapackage.json"] = json.dumps(package).encode()
    digest = json.loads(files["datapackage-digest.json"])
    digest["hash"] = "sha256:" + hashlib.sha256(files["datapackage.json"]).hexdigest()
    files["datapackage-digest.json"] = json.dumps(digest).encode()
    with zipfile.ZipFile(dest, "w") as out:
        for name, data in files.items():
            out.writestr(name, data)
    return dest


def test_a_stamped_capture_made_of_revisits_covers_the_content_they_stand_for(world: Any) -> None:
    """A capture made again (here with a token, the first time without) stores what did not change as
    revisits of the first capture's records. Its token covers the payload each revisit stands for: an
    unsigned bundle whose original record was changed and re-hashed, or whose stamped revisit was
    edited, no longer verifies."""
    import zipfile

    web, authority, tmp = world
    archive = tmp / "again"
    url = f"https://twitter.com/{site.TWEET_PHOTO.user.screen_name}/status/{site.TWEET_PHOTO.id}"
    assert cli(web, "archive", url, archive=archive).returncode == 0
    again = cli(web, "archive", url, "--recapture", archive=archive, env={"ARCHIVER_TSA": authority.url})
    assert again.returncode == 0, again.stderr
    out = tmp / "again.wacz"
    assert cli(web, "export", "-o", str(out), archive=archive).returncode == 0
    with zipfile.ZipFile(out) as zf:
        (capture,) = json.loads(zf.read("evidence/timestamps.json"))["captures"]
    lines = [line.split("\t") for line in capture["manifest"].splitlines()]
    assert lines[0] == ["archiver-capture-records/2"]
    revisits = {fields[0]: fields[5] for fields in lines[1:] if fields[1] == "revisit"}
    assert revisits and "-" not in revisits.values()
    roots = ["--ca-bundle", str(authority.root_pem), "--format", "json"]
    intact = cli(web, "verify", str(out), *roots)
    assert intact.returncode == 0, intact.stdout + intact.stderr

    def header(record: bytes, name: str) -> str:
        return next(line.split(b": ", 1)[1].decode() for line in record.split(b"\r\n") if line.startswith(name.encode() + b": "))

    # The original of a stamped revisit (a record of the first, unstamped capture) made to say something
    # else, its own digests made to match.
    target = next(iter(revisits.values()))

    def change_original(record: bytes) -> bytes:
        if b"WARC-Type: response" not in record or header(record, "WARC-Payload-Digest") != target:
            return record
        head, _, block = record.partition(b"\r\n\r\n")
        block = block[:-4]  # the two CRLFs that end a record
        http, _, payload = block.partition(b"\r\n\r\n")
        payload = bytes([payload[0] ^ 0x20]) + payload[1:]
        block = http + b"\r\n\r\n" + payload
        head = head.replace(target.encode(), _sha1(payload).encode())
        head = head.replace(header(record, "WARC-Block-Digest").encode(), _sha1(block).encode())
        return head + b"\r\n\r\n" + block + b"\r\n\r\n"

    changed = cli(web, "verify", str(_repacked(out, tmp / "original-changed.wacz", change_original)), *roots)
    assert changed.returncode == 1, changed.stdout + changed.stderr
    assert f"is a revisit of payload {target}, which no intact record of this bundle holds" in changed.stdout

    # A stamped revisit's status line edited (its block digest left as it was).
    edited_id = next(iter(revisits))

    def edit_revisit(record: bytes) -> bytes:
        if f"WARC-Record-ID: {edited_id}".encode() not in record:
            return record
        return record.replace(b" 200 OK\r\n", b" 404 XX\r\n", 1)

    edited = cli(web, "verify", str(_repacked(out, tmp / "revisit-edited.wacz", edit_revisit)), *roots)
    assert edited.returncode == 1, edited.stdout + edited.stderr
    assert f"record {edited_id}: its block does not match its WARC-Block-Digest" in edited.stdout
