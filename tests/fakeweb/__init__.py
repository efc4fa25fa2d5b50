"""A local server that impersonates the news site, Twitter/X, the Wayback Machine and YouTube.

    from tests.fakeweb import FakeWeb
    with FakeWeb(tmp_dir) as web:
        web.port                 # one port on 127.0.0.1: plain HTTP and TLS, HTTP/1.1 and h2
        web.ca_pem               # CA certificate (PEM) to trust
        web.ca_spki_sha256_b64   # for Chromium's --ignore-certificate-errors-spki-list
        web.chromium_args        # --host-resolver-rules=... and the SPKI flag, ready to launch
        web.map_host             # "*=127.0.0.1:PORT" for --map-host
        web.log                  # one dict per request: host, method, path, status, protocol, tls,
                                 #   headers, response_headers, time
        web.url(host, path)      # "https://host/path"
        web.set_state(("tweet", ID), "deleted")   # states in site.TWEET_STATES; None resets
        web.set_state(("wayback", ID), ("20240306000000",))   # snapshot timestamps of a post
        web.set_state(("article", "/2024/new.html"), HTML)  # extra news.example page (also in the feed)
        web.set_state(("attachment", "/f.bin"), (BYTES, "f.bin"))  # a news.example download (Content-Disposition)
        web.set_state(("fail", HOST), {"status": 503, "times": 2, "retry_after": 1})
        web.drip(path, total_bytes, bytes_per_sec)   # returns https://news.example/<path>
        web.url("faults.example", "/drip")           # a fault: see faults.py for every name
        web.set_state(("fault", HOST, PATH), NAME)   # that path of an impersonated host breaks
        web.active_streams       # dripped responses still being sent
        web.streamed(path)       # sizes of the body writes sent so far for a dripped path

The invented content is in tests/fakeweb/site.py; what each host does is documented in the
docstrings of news.py, twitter.py, wayback.py and youtube.py.
"""

from .server import FakeWeb

__all__ = ["FakeWeb"]
