"""archiver: find the social posts articles embed, capture them with a real browser, keep them."""

__version__ = "0.1.0"
