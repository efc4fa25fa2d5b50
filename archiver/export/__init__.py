"""Exporting archived records as a WACZ 1.1.1 bundle or a single WARC file (docs/warc.md, Exports).

    bundle.py       export_bundle(): format choice, atomic write, summary
    warcfile.py     the export WARC: warcinfo, byte copies, rewritten records, where each one landed
    credentials.py  which headers are credentials; re-serializing a record without them
    source.py       reading indexed records back out of warcs/; finding revisit originals
    cdxj.py         the CDXJ index, by cdxj-indexer
    wacz.py         the zip layout, pages.jsonl, datapackage.json
"""

from archiver.export.bundle import ExportSummary, bundle_format, export_bundle

__all__ = ["ExportSummary", "bundle_format", "export_bundle"]
