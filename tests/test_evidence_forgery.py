"""Bundles changed by someone who can recompute every hash, index and manifest, and ask a public
authority for fresh tokens: what `archiver verify X.wacz` must still name, and what `export` must
refuse to sign. Made from the small export archive (records of November 2021), stamped by the local
authority as each capture would have been (`Authority.token_at`).
"""

from __future__ import annotations

import base64
import datetime
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from warcio.archiveiterator import ArchiveIterator

from archiver.bundle import FINDINGS_PATH
from archiver.errors import EvidenceError, TokenInvalid
from archiver.evidence import tsa
from archiver.evidence.seal import EvidenceOptions, Sealer
from archiver.evidence.sidecar import SIDECAR_PATH, CaptureTimestamps, StoredToken
from archiver.evidence.sign import DomainIdentity
from archiver.evidence.stamps import ManifestEntry, digest_of, manifest
from archiver.evidence.verify_wacz import WaczVerification, verify_wacz
from archiver.export import export_bundle
from archiver.export.cdxj import cdxj_index
from tests.e2e import gzip_members
from tests.evidence_fixtures import DOMAIN, digest_doc, export, indexed_archive, read, tsa_roots
from tests.export_fixtures import (
    ALICE_API,
    ALICE_EMBED,
    ALICE_KEY,
    ARTICLE,
    AVATAR,
    BOB_KEY,
    Archive,
    alice_pages,
    build_archive,
    png_bytes,
)
from tests.tsa_authority import Authority, make_ca, timestamp_authority, write_key

ROOT = Path(__file__).resolve().parents[1]
SINCE = datetime.datetime(2021, 1, 1, tzinfo=datetime.UTC)
REMOVED = "WARC-Archiver-Removed-Headers"


@pytest.fixture
def arc(tmp_path: Path) -> Archive:
    return build_archive(tmp_path / "archive")


@pytest.fixture
def authority(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Authority]:
    """The local authority, its certificates valid since before the fixture records were captured."""
    with timestamp_authority(tmp_path_factory.mktemp("tsa"), since=SINCE) as a:
        yield a


# -- helpers: the capture's manifest, its token, and a bundle changed under recomputed hashes -------------


def _archive_entries(arc: Archive) -> dict[str, ManifestEntry]:
    """Every record of the archive's own WARCs, as captured (before any export rewrote it)."""
    found = {}
    for path in sorted(arc.root.rglob("*.warc.gz")):
        with path.open("rb") as fh:
            for rec in ArchiveIterator(fh):
                entry = ManifestEntry.of(rec.rec_headers, rec.rec_type)
                found[entry.record_id] = entry
    return found


def _bundle_ids(wacz: Path) -> list[str]:
    return [rec.rec_headers.get_header("WARC-Record-ID")
            for rec in ArchiveIterator(io.BytesIO(read(wacz, "archive/data.warc.gz"))) if rec.rec_type != "warcinfo"]


def _when(entry: ManifestEntry) -> datetime.datetime:
    return datetime.datetime.fromisoformat(entry.date.replace("Z", "+00:00"))


def _capture(authority: Authority, entries: list[ManifestEntry], *, at: datetime.datetime | None = None,
             captured_at: str | None = None, certificates: str = "", url: str | None = None) -> CaptureTimestamps:
    """The capture of these records, its (second-version) manifest stamped at `at`: by default two
    seconds after its last record, as a capture is stamped once its records are written."""
    text = manifest(entries)
    when = at or max(_when(e) for e in entries) + datetime.timedelta(seconds=2)
    token = tsa.parse_token(authority.token_at(text.encode(), when))
    return CaptureTimestamps(capture=7, manifest=text, digest=digest_of(text), post_key="twitter:1111111111111111111",
                             captured_at=captured_at, url=url,
                             tokens=[StoredToken(authority=authority.url, time=token.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                                 token=base64.b64encode(token.der).decode(), certificates=certificates)])


def _stamped(arc: Archive, tmp_path: Path, authority: Authority, **capture: object) -> tuple[Path, CaptureTimestamps]:
    """A bundle of Alice's captures whose records are all in one stamped capture (credential
    headers removed from some on export, as by default)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    plain, _ = export(arc, tmp_path / "plain.wacz", EvidenceOptions())
    entries = _archive_entries(arc)
    cap = _capture(authority, [entries[rid] for rid in _bundle_ids(plain)], **capture)  # type: ignore[arg-type]
    wacz, _ = export(arc, tmp_path / "stamped.wacz", EvidenceOptions(captures=[cap]))
    return wacz, cap


def _repacked(wacz: Path, out: Path, edit: Callable[[list[bytes]], list[bytes]],
              sidecar: Callable[[dict[str, Any], bytes], None] | None = None) -> Path:
    """`wacz` with its WARC's records (each one's bytes) passed through `edit`, the capture sidecar
    through `sidecar` (given the new WARC), and the index, datapackage.json and its digest made
    again over them: every hash and index line matches."""
    with zipfile.ZipFile(wacz) as src:
        files = {i.filename: src.read(i.filename) for i in src.infolist()}
    warc = b"".join(gzip.compress(m) for m in edit(gzip_members(files["archive/data.warc.gz"])))
    files["archive/data.warc.gz"] = warc
    files["indexes/index.cdx"] = cdxj_index(io.BytesIO(warc), "data.warc.gz")
    if sidecar is not None:
        doc = json.loads(files[SIDECAR_PATH])
        sidecar(doc, warc)
        files[SIDECAR_PATH] = json.dumps(doc).encode()
    package = json.loads(files["datapackage.json"])
    for resource in package["resources"]:
        data = files[resource["path"]]
        resource["hash"], resource["bytes"] = "sha256:" + hashlib.sha256(data).hexdigest(), len(data)
    files["datapackage.json"] = json.dumps(package).encode()
    files["datapackage-digest.json"] = json.dumps({"path": "datapackage.json",
                                                   "hash": "sha256:" + hashlib.sha256(files["datapackage.json"]).hexdigest()}).encode()
    with zipfile.ZipFile(out, "w") as dst:
        for name, data in files.items():
            dst.writestr(name, data)
    return out


def _header(record: bytes, name: str) -> str | None:
    head = record.partition(b"\r\n\r\n")[0]
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b": ")
        if key.decode().lower() == name.lower():
            return value.decode()
    return None


def _sha1(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def _forged(record: bytes, *, field: str | None = REMOVED, digest: bool = True) -> bytes:
    """`record` with the last byte of its content changed (length kept), `field` added to its WARC
    headers, and its block digest made again (when `digest`); its payload digest left as stamped."""
    head, _, rest = record.partition(b"\r\n\r\n")
    block = rest[:-4]  # the two CRLFs that end a record
    block = block[:-1] + bytes([block[-1] ^ 0x01])
    if digest:
        old = _header(record, "WARC-Block-Digest")
        assert old and old.startswith("sha1:")
        head = head.replace(f"WARC-Block-Digest: {old}".encode(), f"WARC-Block-Digest: {_sha1(block)}".encode())
    if field is not None:
        head += f"\r\n{field}: Cookie".encode()
    return head + b"\r\n\r\n" + block + b"\r\n\r\n"


def _verify(wacz: Path, authority: Authority) -> WaczVerification:
    return verify_wacz(wacz, roots=tsa_roots(authority))


# -- a record that says its credential headers were removed --------------------------------------------------


def test_records_rewritten_without_credentials_still_check_against_their_stamp(arc: Archive, tmp_path: Path,
                                                                               authority: Authority) -> None:
    wacz, _ = _stamped(arc, tmp_path, authority)
    rewritten = [m for m in gzip_members(read(wacz, "archive/data.warc.gz")) if _header(m, REMOVED)]
    assert {_header(m, "WARC-Type") for m in rewritten} == {"request", "response"}
    result = _verify(wacz, authority)
    assert result.ok, result.findings
    assert result.captures == 1 and result.unstamped == 0
    assert any(f"{len(rewritten)} record(s) rewritten without credential headers" in n for n in result.notes), result.notes
    # What is left of their heads is not what the token proves (it covers them as captured), and the
    # sentence says so: one made to answer 404, under the field, is no problem it can name.
    said = (f"{len(rewritten)} record(s) of them exported without credential headers: the tokens prove their bodies, "
            "not their status lines or the headers left")
    assert said in result.sentence() and result.to_dict()["headers_unproven_records"] == len(rewritten)
    response = next(m for m in rewritten if _header(m, "WARC-Type") == "response")
    head, _, rest = response.partition(b"\r\n\r\n")
    block = rest[:-4]
    assert block.startswith(b"HTTP/1.1 200 OK\r\n"), block[:40]
    block = b"HTTP/1.1 404 Not Found" + block[len(b"HTTP/1.1 200 OK"):]
    old_digest, old_length = _header(response, "WARC-Block-Digest"), _header(response, "Content-Length")
    head = head.replace(f"WARC-Block-Digest: {old_digest}".encode(), f"WARC-Block-Digest: {_sha1(block)}".encode())
    head = head.replace(f"Content-Length: {old_length}".encode(), f"Content-Length: {len(block)}".encode())
    edited = _repacked(wacz, tmp_path / "404.wacz",
                       lambda ms: [head + b"\r\n\r\n" + block + b"\r\n\r\n" if m == response else m for m in ms])
    again = _verify(edited, authority)
    assert again.ok and said in again.sentence(), (again.findings, again.sentence())


@pytest.mark.parametrize("kind", ["response", "request"])
def test_a_record_made_to_say_its_headers_were_removed_is_checked_by_its_payload(
        arc: Archive, tmp_path: Path, authority: Authority, kind: str) -> None:
    """The field added to a record, its HTTP body changed, its block digest made again: removing
    credential headers never changes a body, whose digest (from its bytes) must be the stamped one."""
    wacz, _ = _stamped(arc, tmp_path, authority)
    members = gzip_members(read(wacz, "archive/data.warc.gz"))
    # A response export left whole (whose body no revisit stands for); a request export rewrote (its
    # field already there), given a body.
    if kind == "response":
        target = next(m for m in members if _header(m, "WARC-Type") == "response"
                      and _header(m, "WARC-Target-URI") == ALICE_API)
        assert not _header(target, REMOVED)
        edit = _forged(target)
    else:
        target = next(m for m in members if _header(m, "WARC-Type") == "request" and _header(m, REMOVED))
        head, _, rest = target.partition(b"\r\n\r\n")
        block = rest[:-4] + b"x"  # a body where the stamped request had none
        length = _header(target, "Content-Length")
        head = head.replace(f"Content-Length: {length}".encode(), f"Content-Length: {len(block)}".encode())
        head = head.replace(f"WARC-Block-Digest: {_header(target, 'WARC-Block-Digest')}".encode(),
                            f"WARC-Block-Digest: {_sha1(block)}".encode())
        edit = head + b"\r\n\r\n" + block + b"\r\n\r\n"
    rid = _header(target, "WARC-Record-ID")
    bad = _repacked(wacz, tmp_path / "bad.wacz", lambda ms: [edit if m == target else m for m in ms])
    result = _verify(bad, authority)
    assert [(f.kind, f.path) for f in result.findings] == [("capture", "capture 7 (twitter:1111111111111111111)")], \
        result.findings
    assert f"record {rid}: rewritten on export without credential headers, but its HTTP body is not the one stamped" \
        in result.findings[0].detail
    assert "does NOT verify" in result.sentence() and "timestamped when made" not in result.sentence()


@pytest.mark.parametrize("kind", ["resource", "metadata"])
def test_the_field_on_a_record_export_never_rewrites_is_a_forgery(arc: Archive, tmp_path: Path, authority: Authority,
                                                                 kind: str) -> None:
    wacz, _ = _stamped(arc, tmp_path, authority)
    members = gzip_members(read(wacz, "archive/data.warc.gz"))
    target = next(m for m in members if _header(m, "WARC-Type") == kind)
    rid = _header(target, "WARC-Record-ID")
    bad = _repacked(wacz, tmp_path / "bad.wacz", lambda ms: [_forged(m) if m == target else m for m in ms])
    result = _verify(bad, authority)
    assert [f.kind for f in result.findings] == ["capture"], result.findings
    assert f"record {rid}: a {kind} record carrying {REMOVED}, which export never writes on one" in result.findings[0].detail


# -- a capture whose records no token that checked covers ------------------------------------------------------

WHERE = "capture 7 (twitter:1111111111111111111)"


def _remanifested(tokens: Callable[[list[Any]], list[Any]]) -> Callable[[dict[str, Any], bytes], None]:
    """A sidecar edit: the capture's manifest made again from the bundle's records as they now are,
    its tokens passed through `tokens`."""
    def edit(doc: dict[str, Any], warc: bytes) -> None:
        text = manifest([ManifestEntry.of(r.rec_headers, r.rec_type) for r in ArchiveIterator(io.BytesIO(warc))
                         if r.rec_type != "warcinfo"])
        entry = doc["captures"][0]
        entry.update(manifest=text, digest=digest_of(text), tokens=tokens(entry["tokens"]))
    return edit


def test_a_capture_with_no_token_that_checks_covers_none_of_its_records(arc: Archive, tmp_path: Path,
                                                                        authority: Authority) -> None:
    """A record changed and re-digested, the capture's manifest made again to match and its token
    dropped: a manifest beside no token is anyone's. Kept, the old token stamps other content. Either
    way the capture's records are in no timestamp."""
    wacz, _ = _stamped(arc, tmp_path, authority)
    members = gzip_members(read(wacz, "archive/data.warc.gz"))
    target = next(m for m in members if _header(m, "WARC-Type") == "response"
                  and _header(m, "WARC-Target-URI") == ALICE_API)
    records = len(_bundle_ids(wacz))

    def changed(ms: list[bytes]) -> list[bytes]:
        return [_forged(m, field=None) if m == target else m for m in ms]

    tokenless = _repacked(wacz, tmp_path / "tokenless.wacz", changed, _remanifested(lambda _: []))
    result = _verify(tokenless, authority)
    assert [(f.kind, f.path, f.detail) for f in result.findings] == [
        ("capture", WHERE, "it has no token: nothing vouches for its manifest")]
    assert result.captures == 0 and result.unstamped == records and "does NOT verify" in result.sentence()
    r = subprocess.run([sys.executable, "-m", "archiver.cli", "verify", str(tokenless), "--ca-bundle",
                        str(authority.root_pem), "--format", "json"], capture_output=True, text=True, cwd=ROOT,
                       timeout=120)
    doc = json.loads(r.stdout)
    assert r.returncode == 1 and doc["verified"] is False and doc["unstamped_records"] == records, r.stdout

    stale = _verify(_repacked(wacz, tmp_path / "stale.wacz", changed, _remanifested(lambda t: t)), authority)
    assert [(f.kind, f.path) for f in stale.findings] == [("capture", WHERE)], stale.findings
    assert "stamps other content" in stale.findings[0].detail
    assert stale.captures == 0 and stale.unstamped == records


def test_a_capture_token_not_checked_for_want_of_its_ca_covers_nothing_yet(arc: Archive, tmp_path: Path,
                                                                           authority: Authority) -> None:
    """The bundle carries no CA for the capture's authority, and none is given: the token is noted as
    not checked (no problem), and its records are counted among those no timestamp covers."""
    wacz, _ = _stamped(arc, tmp_path, authority)
    records = len(_bundle_ids(wacz))
    result = verify_wacz(wacz)
    assert result.ok, result.findings
    assert result.unchecked == 1 and result.captures == 0 and result.unstamped == records
    assert result.to_dict()["unstamped_records"] == records
    assert "1 timestamp(s) not checked: give their authority's CA certificate with --ca-bundle" in result.sentence()
    assert "timestamped when made" not in result.sentence()
    checked = _verify(wacz, authority)  # with the CA: every record covered
    assert checked.ok and checked.captures == 1 and checked.unstamped == 0


# -- a stamped record replaced by a forged one under another ID -------------------------------------------------


@pytest.mark.parametrize(("url", "page"), [(ALICE_EMBED, f"{ALICE_EMBED} at 2021-11-08T10:00:02Z"),
                                           (None, f"{ARTICLE} at 2021-11-08T10:00:00Z")],
                         ids=["its-own-page", "first-page"])
def test_a_stamped_record_of_a_capture_the_bundle_shows_replaced_under_a_new_id_is_named(
        arc: Archive, tmp_path: Path, authority: Authority, url: str | None, page: str) -> None:
    """Alice's screenshot swapped for another picture in a record of its own (new WARC-Record-ID,
    digests, index and package hashes all made again): the capture whose page the bundle opens on
    lacks a record its token lists. Two of its records are pages (the article's, the embed's): the
    problem names the capture's own page (its URL), else the first of pages.jsonl, whatever order
    the manifest lists them in (by their random record IDs)."""
    wacz, _ = _stamped(arc, tmp_path, authority, url=url)
    members = gzip_members(read(wacz, "archive/data.warc.gz"))
    shot = next(m for m in members if (_header(m, "WARC-Target-URI") or "").startswith("urn:screenshot:https://x.com/alice"))
    rid = _header(shot, "WARC-Record-ID")
    assert rid
    head, _, rest = shot.partition(b"\r\n\r\n")
    picture = png_bytes(6, 4, (0, 0, 0))
    for name, value in (("WARC-Record-ID", "<urn:uuid:00000000-0000-4000-8000-00000000f0f0>"),
                        ("WARC-Block-Digest", _sha1(picture)), ("WARC-Payload-Digest", _sha1(picture)),
                        ("Content-Length", str(len(picture)))):
        old = _header(shot, name)
        assert old is not None
        head = head.replace(f"{name}: {old}".encode(), f"{name}: {value}".encode())
    forged = head + b"\r\n\r\n" + picture + b"\r\n\r\n"
    bad = _repacked(wacz, tmp_path / "bad.wacz", lambda ms: [forged if m == shot else m for m in ms])
    result = _verify(bad, authority)
    assert [(f.kind, f.path) for f in result.findings] == [("capture", WHERE)], result.findings
    detail = result.findings[0].detail
    assert f"its record of {page} is a page of pages/pages.jsonl" in detail, detail
    assert detail.endswith(f"1 of the {len(members) - 1} records its token lists are not in it: {rid}"), detail
    assert result.unstamped == 1 and "does NOT verify" in result.sentence()


def _partial(arc: Archive, tmp_path: Path, authority: Authority, post_key: str | None, posts: bytes | None, *,
             article_url: str | None = None) -> WaczVerification:
    """A bundle holding two records of a capture of three (its third, a response of another URL, not
    exported), exported with `posts` as its evidence/posts.jsonl; the capture labelled as one of
    `post_key` or of `article_url`."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    plain, _ = export(arc, tmp_path / "plain.wacz", EvidenceOptions())
    entries = _archive_entries(arc)
    avatar = [entries[rid] for rid in _bundle_ids(plain) if entries[rid].target_uri == AVATAR]
    assert len(avatar) == 2  # Bob's capture's original of Alice's revisit, and its request
    elsewhere = ManifestEntry("<urn:uuid:00000000-0000-4000-8000-00000000e1e1>", "response",
                              "https://elsewhere.example/", avatar[0].date, "sha1:" + "A" * 32, "sha1:" + "A" * 32)
    cap = _capture(authority, [*avatar, elsewhere])
    cap.post_key, cap.article_url = post_key, article_url
    sealer = Sealer(EvidenceOptions(captures=[cap]))
    extra = {**sealer.files(), **({FINDINGS_PATH: posts} if posts is not None else {})}
    out = tmp_path / "partial.wacz"
    export_bundle(arc.root, arc.rows_for(ALICE_KEY, article_ids=(1,)), alice_pages(), out, extra_files=extra,
                  seal=sealer)
    return _verify(out, authority)


def test_a_capture_partly_pulled_in_is_noted_one_the_bundle_presents_is_not_whole(
        arc: Archive, tmp_path: Path, authority: Authority) -> None:
    """An export pulls in the originals its revisits stand for, records of another post's capture:
    noted. The same capture named as one of a post the bundle's findings hold: a problem."""
    alice = json.dumps({"key": ALICE_KEY, "articles": [{"url": ARTICLE}]}).encode() + b"\n"
    other = _partial(arc, tmp_path / "a", authority, BOB_KEY, alice)
    assert other.ok, other.findings
    assert any("capture 7 (twitter:2222222222222222222): 2 of its 3 records are in this bundle" in n
               for n in other.notes), other.notes
    own = _partial(arc, tmp_path / "b", authority, ALICE_KEY, alice)
    assert [(f.kind, f.path) for f in own.findings] == [("capture", WHERE)], own.findings
    assert (f"(a capture of post {ALICE_KEY}, which evidence/posts.jsonl holds), but 1 of the 3 records its token "
            "lists are not in it: <urn:uuid:00000000-0000-4000-8000-00000000e1e1>") in own.findings[0].detail


ELSEWHERE_ID = "<urn:uuid:00000000-0000-4000-8000-00000000e1e1>"


def test_a_capture_of_an_article_the_bundle_holds_must_be_whole(arc: Archive, tmp_path: Path,
                                                                authority: Authority) -> None:
    """An article captured again later: that capture's records are at no page (the page is the
    capture that shows the posts), but export takes every capture of an article it holds, so one
    lacking a stamped record is a problem. The article is the bundle's by its page."""
    result = _partial(arc, tmp_path, authority, None, None, article_url=ARTICLE)
    where = f"capture 7 ({ARTICLE})"
    assert [(f.kind, f.path) for f in result.findings] == [("capture", where)], result.findings
    assert (f"(a capture of article {ARTICLE}, which the bundle holds), but 1 of the 3 records its token lists are "
            f"not in it: {ELSEWHERE_ID}") in result.findings[0].detail


def test_an_article_is_the_bundles_by_the_posts_it_cites_too(arc: Archive, tmp_path: Path,
                                                             authority: Authority) -> None:
    """A citing article that evidence/posts.jsonl names but pages.jsonl does not list (its page
    is another URL's, a redirect's target say): its capture is the bundle's all the same. Named by
    no post the bundle holds and at no page, the capture is only pulled in: a note."""
    later = "https://news.example/2021/11/08/river-updated.html"
    cites = json.dumps({"key": ALICE_KEY, "articles": [{"url": later}]}).encode() + b"\n"
    result = _partial(arc, tmp_path / "cited", authority, None, cites, article_url=later)
    assert [(f.kind, f.path) for f in result.findings] == [("capture", f"capture 7 ({later})")], result.findings
    assert (f"(a capture of article {later}, which the bundle holds), but 1 of the 3 records its token lists are "
            f"not in it: {ELSEWHERE_ID}") in result.findings[0].detail
    uncited = _partial(arc, tmp_path / "uncited", authority, None, json.dumps({"key": ALICE_KEY}).encode() + b"\n",
                       article_url=later)
    assert uncited.ok, uncited.findings
    assert any(f"capture 7 ({later}): 2 of its 3 records are in this bundle" in n for n in uncited.notes), uncited.notes


# -- two records of one ID -------------------------------------------------------------------------------------


def test_two_records_of_one_id_are_named_and_each_is_checked(arc: Archive, tmp_path: Path) -> None:
    """A forged copy of a record put before it (the index then finds the copy first): named, whether
    its digests were made again or not, and the copy's block is checked like any record's."""
    plain, _ = export(arc, tmp_path / "plain.wacz", EvidenceOptions())
    members = gzip_members(read(plain, "archive/data.warc.gz"))
    target = next(m for m in members if _header(m, "WARC-Type") == "response")
    rid = _header(target, "WARC-Record-ID")

    def copied(digest: bool) -> Callable[[list[bytes]], list[bytes]]:
        return lambda ms: [x for m in ms for x in ([_forged(m, field=None, digest=digest), m] if m == target else [m])]

    resigned = verify_wacz(_repacked(plain, tmp_path / "copy.wacz", copied(True)))
    assert [f.kind for f in resigned.findings] == ["record"], resigned.findings
    assert f"2 records have the WARC-Record-ID {rid}" in resigned.findings[0].detail
    broken = verify_wacz(_repacked(plain, tmp_path / "broken.wacz", copied(False)))
    details = [f.detail for f in broken.findings if f.kind == "record"]
    assert any(f"2 records have the WARC-Record-ID {rid}" in d for d in details), broken.findings
    assert any(f"record {rid}" in d and "its block does not match its WARC-Block-Digest" in d for d in details), details


# -- a token made long after the records it stamps ------------------------------------------------------------


def test_a_capture_stamped_long_after_its_records_is_not_timestamped_when_made(arc: Archive, tmp_path: Path,
                                                                               authority: Authority) -> None:
    """Records changed, their manifest made again and stamped today by the same public authority:
    the token checks, but it was not made when the capture was."""
    now = datetime.datetime.now(datetime.UTC)
    wacz, _ = _stamped(arc, tmp_path, authority, at=now)
    result = _verify(wacz, authority)
    assert [(f.kind, f.path) for f in result.findings] == [("timestamp", "capture 7 (twitter:1111111111111111111)")]
    detail = result.findings[0].detail
    assert "after the latest WARC-Date its manifest lists (2021-11-08T10:00:07Z)" in detail
    assert "more than the 10 minutes a capture is stamped within: not timestamped when made" in detail
    assert result.captures == 0 and not [s for s in result.stamps if s.over.startswith("capture")]
    assert "timestamped when made" not in result.sentence() and "does NOT verify" in result.sentence()
    assert result.to_dict()["captures"] == 0

    # Within the window of its records, but long after the capture's captured_at: not when made either.
    late, _ = _stamped(arc, tmp_path / "b", authority, at=datetime.datetime(2021, 11, 8, 10, 5, tzinfo=datetime.UTC),
                       captured_at="2021-11-08T09:40:00Z")
    result = _verify(late, authority)
    assert [f.kind for f in result.findings] == ["timestamp"]
    assert "after the capture's captured_at (2021-11-08T09:40:00Z)" in result.findings[0].detail
    # Nine minutes after the last record: made when the capture was.
    prompt, _ = _stamped(arc, tmp_path / "c", authority,
                         at=datetime.datetime(2021, 11, 8, 10, 9, 7, tzinfo=datetime.UTC))
    assert _verify(prompt, authority).ok
    # An hour before the records' dates: a capture presented as made later than it was.
    early, _ = _stamped(arc, tmp_path / "d", authority, at=datetime.datetime(2021, 11, 8, 9, 0, tzinfo=datetime.UTC))
    result = _verify(early, authority)
    assert [f.kind for f in result.findings] == ["timestamp"], result.findings
    assert ("made at 2021-11-08T09:00:00Z, 1 h 0 min before the latest WARC-Date its manifest lists (2021-11-08T10:00:07Z)"
            in result.findings[0].detail), result.findings[0].detail
    assert result.captures == 0 and "timestamped when made" not in result.sentence()
    # Nine minutes before them (clocks that disagree a little): made when the capture was.
    assert _verify(_stamped(arc, tmp_path / "e", authority,
                            at=datetime.datetime(2021, 11, 8, 9, 51, 7, tzinfo=datetime.UTC))[0], authority).ok


# -- capture tokens checked against a certificate the bundle carries -------------------------------------------


def test_capture_tokens_anchored_in_the_bundle_say_so(arc: Archive, tmp_path: Path, authority: Authority) -> None:
    chain = authority.chain_pem.read_text()
    wacz, _ = _stamped(arc, tmp_path, authority, certificates=chain)
    result = verify_wacz(wacz)  # no CA bundle: the authority's root is the one carried beside the token
    assert result.ok, result.findings
    assert result.captures == 1 and not result.stamps[0].anchored
    assert ("1 capture(s) timestamped when made (1 token(s) checked, certificate chain to CN=Archiver Test TSA Root "
            "carried in the bundle, not checked against a CA you trust)") in result.sentence()
    anchored = _verify(wacz, authority)
    assert anchored.ok and "(1 token(s) checked, checked against your CA bundle)" in anchored.sentence()


def test_capture_tokens_carry_the_chain_to_the_ca_given_at_export(arc: Archive, tmp_path: Path,
                                                                   authority: Authority) -> None:
    """`--timestamp-ca` is stored with the capture tokens as with the bundle's own: a bundle checked
    without a CA bundle names the root each token chains to, instead of leaving them unchecked."""
    _plain, cap = _stamped(arc, tmp_path, authority)
    assert cap.tokens[0].certificates == ""  # as the index keeps a capture's token: no chain beside it
    wacz, _ = export(arc, tmp_path / "with-ca.wacz", EvidenceOptions(captures=[cap],
                                                                     tsa_certificates=tsa_roots(authority)))
    (entry,) = json.loads(read(wacz, SIDECAR_PATH))["captures"]
    assert entry["tokens"][0]["certificates"].count("BEGIN CERTIFICATE") == 2
    result = verify_wacz(wacz)
    assert result.ok and result.captures == 1 and result.unchecked == 0, result.findings
    assert "certificate chain to CN=Archiver Test TSA Root carried in the bundle" in result.sentence()
    # CA certificates of another authority: the token is left without a chain, as before.
    other = make_ca(tmp_path / "other", name="Another TSA Root")
    wacz2, _ = export(arc, tmp_path / "other-ca.wacz", EvidenceOptions(captures=[cap], tsa_certificates=[other.cert]))
    (entry,) = json.loads(read(wacz2, SIDECAR_PATH))["captures"]
    assert entry["tokens"][0]["certificates"] == "" and verify_wacz(wacz2).unchecked == 1


# -- a certificate issued by one that is no CA's ----------------------------------------------------------------


def _issued_by_leaf(tmp_path: Path, *, key_cert_sign: bool = True, leaf_ca: bool = False) -> tuple[Path, Path, x509.Certificate]:
    """A certificate for DOMAIN issued by an ordinary certificate of another name (a leaf the test CA
    issued for `someone.example`): the chain (forged, leaf, root) and the forged one's key."""
    ca = make_ca(tmp_path / "ca", name="Archiver Test Domain Root")
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "someone.example")]))
               .issuer_name(ca.cert.subject).public_key(leaf_key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=7))
               .add_extension(x509.BasicConstraints(ca=leaf_ca, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=key_cert_sign,
                                            crl_sign=False, encipher_only=False, decipher_only=False), critical=True))
    leaf = builder.sign(ca.key, hashes.SHA256())
    forged_key = ec.generate_private_key(ec.SECP256R1())
    forged = (x509.CertificateBuilder()
              .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, DOMAIN)]))
              .issuer_name(leaf.subject).public_key(forged_key.public_key())
              .serial_number(x509.random_serial_number())
              .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=7))
              .add_extension(x509.SubjectAlternativeName([x509.DNSName(DOMAIN)]), critical=False)
              .sign(leaf_key, hashes.SHA256()))
    pem = tmp_path / "forged.pem"
    pem.write_bytes(b"".join(c.public_bytes(Encoding.PEM) for c in (forged, leaf, ca.cert)))
    return pem, write_key(forged_key, tmp_path / "forged.key"), ca.cert


@pytest.mark.parametrize(("key_cert_sign", "leaf_ca", "why"), [
    (True, False, "it is not a CA (its basicConstraints do not say cA)"),
    (False, True, "keyCertSign is not among its key usages"),
])
def test_a_domain_certificate_issued_by_no_ca_is_refused_at_export_and_named_by_verify(
        arc: Archive, tmp_path: Path, authority: Authority, key_cert_sign: bool, leaf_ca: bool, why: str) -> None:
    pem, key, root = _issued_by_leaf(tmp_path, key_cert_sign=key_cert_sign, leaf_ca=leaf_ca)
    said = f"CN={DOMAIN} is issued by CN=someone.example, which cannot issue certificates: {why}"
    with pytest.raises(EvidenceError) as refused:
        DomainIdentity.load(pem, key)
    assert said in str(refused.value)
    # A bundle signed with it all the same (the identity made without its checks): verify names it.
    chain = tuple(tsa.load_certificates(pem))
    private = serialization.load_pem_private_key(key.read_bytes(), password=None)
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    identity = DomainIdentity(chain=chain, key=private)
    wacz, _ = export(arc, tmp_path / "d.wacz", EvidenceOptions(domain=identity, authorities=[authority.url],
                                                               tsa_certificates=tsa_roots(authority)))
    for roots in ([root, *tsa_roots(authority)], None):
        result = verify_wacz(wacz, roots=roots)
        assert [(f.kind, f.path) for f in result.findings] == [("signature", "datapackage-digest.json")], result.findings
        assert said in result.findings[0].detail
    # The chain without its root, checked against the CA bundle: the leaf is the last certificate.
    short = tmp_path / "short.pem"
    short.write_bytes(b"".join(c.public_bytes(Encoding.PEM) for c in chain[:2]))
    wacz2, _ = export(arc, tmp_path / "d2.wacz", EvidenceOptions(
        domain=DomainIdentity(chain=chain[:2], key=identity.key), authorities=[authority.url],
        tsa_certificates=tsa_roots(authority)))
    result = verify_wacz(wacz2, roots=[root, *tsa_roots(authority)])
    assert [f.kind for f in result.findings] == ["signature"] and said in result.findings[0].detail


def test_export_refuses_a_domain_certificate_issued_by_no_ca(tmp_path: Path, authority: Authority) -> None:
    archive = indexed_archive(tmp_path / "archive")
    pem, key, _root = _issued_by_leaf(tmp_path)
    out = tmp_path / "d.wacz"
    asked = authority.queries
    r = subprocess.run([sys.executable, "-m", "archiver.cli", "export", "-o", str(out), "--archive-dir", str(archive),
                        "--sign", "--domain-cert", str(pem), "--domain-key", str(key), "--timestamp", authority.url],
                       capture_output=True, text=True, cwd=ROOT, timeout=180, env=dict(os.environ))
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip().splitlines() == [f"archiver: {pem}: CN={DOMAIN} is issued by CN=someone.example, which "
                                             "cannot issue certificates: it is not a CA (its basicConstraints do not say cA)"]
    assert not out.exists() and authority.queries == asked


# -- a domain signature whose timestamp its verifiers would refuse ----------------------------------------------


@pytest.mark.parametrize(("offset", "said"), [(-20, "behind"), (20, "ahead of")])
def test_export_refuses_a_domain_signature_when_the_clock_is_off(arc: Archive, tmp_path: Path, authority: Authority,
                                                                monkeypatch: pytest.MonkeyPatch, offset: int,
                                                                said: str) -> None:
    import archiver.export.wacz as wacz_module

    ca = make_ca(tmp_path / "ca", name="Archiver Test Domain Root")
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = ca.issue(DOMAIN, key, san=DOMAIN, days=7,
                    not_before=datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1))
    pem = tmp_path / "domain.pem"
    pem.write_bytes(leaf.public_bytes(Encoding.PEM) + ca.cert.public_bytes(Encoding.PEM))
    identity = DomainIdentity.load(pem, write_key(key, tmp_path / "domain.key"))
    skewed = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=offset)
    monkeypatch.setattr(wacz_module, "iso_seconds", lambda: skewed.strftime("%Y-%m-%dT%H:%M:%SZ"))
    out = tmp_path / "d.wacz"
    with pytest.raises(EvidenceError) as refused:
        export(arc, out, EvidenceOptions(domain=identity, authorities=[authority.url],
                                         tsa_certificates=tsa_roots(authority)))
    message = str(refused.value)
    assert message.startswith("no timestamp for the domain signature: ") and "\n" not in message
    assert f"this machine's clock said {skewed:%Y-%m-%dT%H:%M:%SZ} (created): it is 19 min" in message \
        or f"this machine's clock said {skewed:%Y-%m-%dT%H:%M:%SZ} (created): it is 20 min" in message, message
    assert f"{said} the authority's" in message and "set this machine's clock right" in message
    assert refused.value.exit_code == 2 and not out.exists()


# -- a domain signature made after its certificate expired -----------------------------------------------------


def test_a_domain_signature_made_after_its_certificate_expired_is_named(arc: Archive, tmp_path: Path,
                                                                        authority: Authority) -> None:
    """A certificate of a few hours' life expires within the days after its start that a signature
    may be made in: a key leaked after it expired signs as the domain no more."""
    ca = make_ca(tmp_path / "ca", name="Archiver Test Domain Root")
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    fresh = ca.issue(DOMAIN, key, san=DOMAIN, days=7, not_before=now - datetime.timedelta(hours=1))
    pem = tmp_path / "domain.pem"
    pem.write_bytes(fresh.public_bytes(Encoding.PEM) + ca.cert.public_bytes(Encoding.PEM))
    identity = DomainIdentity.load(pem, write_key(key, tmp_path / "domain.key"))
    wacz, _ = export(arc, tmp_path / "d.wacz", EvidenceOptions(domain=identity, authorities=[authority.url],
                                                               tsa_certificates=tsa_roots(authority)))
    roots = [ca.cert, *tsa_roots(authority)]
    assert verify_wacz(wacz, roots=roots).ok
    # The same package signed again, as made now, with a certificate of the same key that expired an hour ago.
    expired = ca.issue(DOMAIN, key, san=DOMAIN, days=1, not_before=now - datetime.timedelta(days=1, hours=1))
    doc = digest_doc(wacz)
    signed = doc["signedData"]
    again = DomainIdentity(chain=(expired, ca.cert), key=key)
    signed["signature"] = again.sign(signed["hash"])
    signed["domainCert"] = tsa.certificates_pem(again.chain)
    created = datetime.datetime.fromisoformat(signed["created"].replace("Z", "+00:00"))
    der = authority.token_at(signed["signature"].encode("ascii"), created + datetime.timedelta(seconds=2))
    signed["timeSignature"] = base64.b64encode(der).decode("ascii")
    with zipfile.ZipFile(wacz) as src:
        files = {i.filename: src.read(i.filename) for i in src.infolist()}
    files["datapackage-digest.json"] = json.dumps(doc).encode()
    forged = tmp_path / "forged.wacz"
    with zipfile.ZipFile(forged, "w") as dst:
        for name, data in files.items():
            dst.writestr(name, data)
    result = verify_wacz(forged, roots=roots)
    assert [(f.kind, f.path) for f in result.findings] == [("signature", "datapackage-digest.json")], result.findings
    assert f"is after the domain certificate expired ({expired.not_valid_after_utc:%Y-%m-%dT%H:%MZ})" \
        in result.findings[0].detail


# -- a token signed while the authority's certificate had expired ------------------------------------------------


def test_a_token_signed_with_an_expired_certificate_names_its_validity(tmp_path: Path) -> None:
    with timestamp_authority(tmp_path / "tsa", since=SINCE, days=30) as old:
        der = old.token_at(b"message", datetime.datetime.now(datetime.UTC))
        with pytest.raises(TokenInvalid) as e:
            tsa.check_token(der, message=b"message", roots=tsa_roots(old))
    assert "CN=Archiver Test TSA's certificate was not valid at the token's time" in str(e.value)
    assert "(valid 2021-01-01T00:00:00Z to 2021-01-31T00:00:00Z)" in str(e.value)
