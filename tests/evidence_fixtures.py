"""Signed and timestamped WACZ bundles for the evidence tests, made from the small export archive.

A domain identity (its own test CA, an ECDSA P-256 leaf naming `archive.example`), the local
timestamp authority, and helpers to rewrite one file of a bundle (the zip's CRCs recomputed, as
someone tampering would).
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from archiver.evidence import tsa
from archiver.evidence.seal import EvidenceOptions, Sealer
from archiver.evidence.sign import DomainIdentity
from archiver.export import export_bundle
from tests.export_fixtures import ALICE_KEY, Archive, alice_pages
from tests.tsa_authority import CA, Authority, make_ca, write_key

DOMAIN = "archive.example"


@dataclass
class Domain:
    ca: CA
    cert_pem: Path  # leaf then root
    key_pem: Path

    def identity(self) -> DomainIdentity:
        return DomainIdentity.load(self.cert_pem, self.key_pem)


def make_domain(folder: Path, name: str = DOMAIN) -> Domain:
    ca = make_ca(folder / "ca", name="Archiver Test Domain Root")
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = ca.issue(name, key, san=name, days=7)
    cert_pem = folder / "domain.pem"
    cert_pem.write_bytes(leaf.public_bytes(Encoding.PEM) + ca.cert.public_bytes(Encoding.PEM))
    return Domain(ca=ca, cert_pem=cert_pem, key_pem=write_key(key, folder / "domain.key"))


def roots_yaml(path: Path, domain_roots: list[x509.Certificate], tsa_roots: list[x509.Certificate]) -> Path:
    """A trusted-roots file for authsign's Verifier: SHA-256 fingerprints of the last certificate of each chain."""
    from authsign import crypto

    path.write_text(yaml.safe_dump({"domain_cert_roots": [crypto.get_fingerprint(c) for c in domain_roots],
                                    "timestamp_cert_roots": [crypto.get_fingerprint(c) for c in tsa_roots]}))
    return path


def export(arc: Archive, out: Path, options: EvidenceOptions) -> tuple[Path, Sealer]:
    sealer = Sealer(options)
    export_bundle(arc.root, arc.rows_for(ALICE_KEY, article_ids=(1,)), alice_pages(), out,
                  extra_files=sealer.files(), seal=sealer)
    return out, sealer


def tsa_roots(authority: Authority) -> list[x509.Certificate]:
    return tsa.load_certificates(authority.root_pem)


def read(wacz: Path, name: str) -> bytes:
    with zipfile.ZipFile(wacz) as zf:
        return zf.read(name)


def digest_doc(wacz: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(read(wacz, "datapackage-digest.json"))
    return doc


def rewrite(wacz: Path, out: Path, changes: dict[str, bytes | None], add: dict[str, bytes] | None = None) -> Path:
    """A copy of `wacz` with some files' contents replaced (None: left out) or added; same order and
    compression, CRCs recomputed."""
    with zipfile.ZipFile(wacz) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = changes.get(info.filename, src.read(info.filename)) if info.filename in changes else src.read(info.filename)
            if data is None:
                continue
            dst.writestr(info, data)
        for name, data in (add or {}).items():
            dst.writestr(name, data)
    return out


def flip(data: bytes, at: int) -> bytes:
    b = bytearray(data)
    b[at] ^= 0x01
    return bytes(b)


# -- an indexed archive for the CLI (the capture's own WARC writer and a real SQLite index) ---------------

ARTICLE_URL = "https://news.example/river.html"
POST_URL = "https://x.com/alice/status/1764640000000000201"
EMBED_URL = "https://platform.twitter.com/embed/Tweet.html?id=1764640000000000201"


def cite_alices_post(index: Any, article_url: str) -> tuple[int, str]:
    """Alice's live tweet (POST_URL) cited by the article at `article_url`, as a run indexes them:
    (the article's ID, the post's key)."""
    from archiver.models import Post

    article_id = index.upsert_article(article_url)
    key = index.upsert_post(Post(platform="twitter", kind="embedded", source=article_url, evidence="test",
                                 post_id="1764640000000000201", url=POST_URL, handle="alice", author="Alice",
                                 text="The river is up", posted_at="2024-03-04T10:00:00Z"))
    index.cite(article_id, key, "embedded", "blockquote.twitter-tweet")
    index.observe(key, "live")
    return article_id, key


def indexed_archive(root: Path, *, stamp_with: Authority | None = None, post_warc_apart: bool = False) -> Path:
    """One article citing one post, each with a capture, written as a run writes them; each capture
    timestamped by `stamp_with` as a run stamps it; with `post_warc_apart`, the post's capture in a
    WARC file of its own (test-post-*.warc.gz)."""
    from contextlib import nullcontext
    from datetime import UTC, datetime

    from archiver.evidence.stamps import Authorities, Stamper
    from archiver.index.rows import Capture
    from archiver.index.sqlite.index import SQLiteIndex
    from archiver.layout import WARC_DIR
    from archiver.warcstore import Exchange, WarcStore

    authorities = Authorities.of([stamp_with.url]) if stamp_with is not None else None
    stamper = Stamper(authorities) if authorities is not None else None

    def exchange(url: str, body: bytes, req: tuple[tuple[str, str], ...] = ()) -> Exchange:
        return Exchange(url=url, method="GET", status=200, body=body, date=datetime.now(UTC), protocol="h2",
                        request_headers=[("User-Agent", "Mozilla/5.0 (test)"), *req],
                        response_headers=[("Content-Type", "text/html; charset=utf-8")])

    apart = WarcStore(root / WARC_DIR, prefix="test-post") if post_warc_apart else nullcontext(None)
    with SQLiteIndex(root) as index, WarcStore(root / WARC_DIR, prefix="test") as store, apart as post_store:
        article_id, key = cite_alices_post(index, ARTICLE_URL)
        records = list(store.write_exchange(exchange(ARTICLE_URL, b"<html><title>River</title><p>Rising water.</p></html>",
                                                     req=(("Cookie", "sid=SECRET"),))))
        cid = index.add_capture(Capture(post_key=None, article_id=article_id, source="live", url=ARTICLE_URL,
                                        status="ok", screenshot=None, screenshot_sha256=None, error=None,
                                        warc=records[0].filename, page_record_id=None))
        index.add_records(cid, records, article_id=article_id)
        if stamper is not None:
            assert not stamper.stamp(index, cid, records)
        records = list((post_store or store).write_exchange(
            exchange(EMBED_URL, b"<html><article>Alice: the river is up</article></html>")))
        cid = index.add_capture(Capture(post_key=key, article_id=None, source="live", url=EMBED_URL, status="live",
                                        screenshot=None, screenshot_sha256=None, error=None,
                                        warc=records[0].filename, page_record_id=None))
        index.add_records(cid, records, post_key=key)
        if stamper is not None:
            assert not stamper.stamp(index, cid, records)
    return root
