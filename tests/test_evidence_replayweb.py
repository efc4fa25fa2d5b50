"""ReplayWeb.page 2.5.3 on signed bundles: an anonymous-signed, timestamped WACZ still replays, and
ReplayWeb.page's own check of the signature (WebCrypto, P-384, raw r||s) accepts it and shows our
key; a flipped signature byte is not accepted. Runs in Chromium through tests/replayweb_harness.py.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

import tests.replayweb_harness as harness
from archiver.evidence.keys import create_key
from archiver.evidence.seal import EvidenceOptions
from tests.evidence_fixtures import digest_doc, export, flip, rewrite
from tests.export_fixtures import ALICE_EMBED, ARTICLE, build_archive
from tests.tsa_authority import Authority

pytestmark = pytest.mark.browser


def test_anonymous_signed_bundle_replays_and_replayweb_accepts_its_signature(tmp_path: Path,
                                                                             tsa_authority: Authority) -> None:
    harness.require_replayweb()
    arc = build_archive(tmp_path / "archive")
    key = create_key(arc.root)
    wacz, _ = export(arc, tmp_path / "signed.wacz", EvidenceOptions(key=key, authorities=[tsa_authority.url]))
    signed = digest_doc(wacz)["signedData"]
    with harness.replayweb(tmp_path / "rwp", wacz) as rwp:
        assert "Rising water." in rwp.replay(ARTICLE, "20211108100000").inner_text("body")
        assert "Alice: the river is up" in rwp.replay(ALICE_EMBED, "20211108100002").inner_text("body")
        verify = rwp.verify()
        checks = {v["id"]: v for v in rwp.stored("verification")}
    assert verify.get("publicKey") == key.public.spki_b64, verify
    assert verify.get("datapackageHash") == signed["hash"] and verify.get("created") == signed["created"]
    # its summary counts a signature as valid whatever its check said: the stored check is the answer
    assert checks["signature"]["matched"] is True, checks

    doc = digest_doc(wacz)
    raw = base64.b64decode(doc["signedData"]["signature"])
    doc["signedData"]["signature"] = base64.b64encode(flip(raw, 10)).decode()
    bad = rewrite(wacz, tmp_path / "bad.wacz", {"datapackage-digest.json": json.dumps(doc).encode()})
    with harness.replayweb(tmp_path / "rwp-bad", bad) as rwp:
        assert "Rising water." in rwp.replay(ARTICLE, "20211108100000").inner_text("body")
        checks = {v["id"]: v for v in rwp.stored("verification")}
    assert checks["signature"]["matched"] is False, checks
