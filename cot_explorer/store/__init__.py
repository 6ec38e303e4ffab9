"""The SQLite store: posts, images, label history, teacher outputs, predictions, models, jobs."""

from .core import Store, open_store, utc_now

__all__ = ["Store", "open_store", "utc_now"]
