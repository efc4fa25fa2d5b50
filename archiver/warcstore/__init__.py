"""WARC storage: writing, reading, recovery and the batches of records that make one capture."""

from archiver.warcstore.batch import Batch

__all__ = ["Batch"]
