"""Capture: a real Chromium and an HTTP client, both recorded into WARC/1.1."""
