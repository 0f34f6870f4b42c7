"""Where subscribers, digests and deliveries are kept: the ``Store`` seam and its backends.

Only this package knows what a store is made of. The rest of bulletin opens one
with ``open_store(config)`` and speaks to the ``Store`` protocol (``base``).

A new backend (PostgreSQL, issue 13) is a module beside ``sqlite.py`` with a class
meeting ``Store``, its own ``migrations`` registry and run lock, chosen in
``open_store`` below from the ``store`` section of the config.
"""

from __future__ import annotations

from pathlib import Path

from ..config import Config
from .base import LockHeld, Store
from .records import (
    DELIVERY_STATUSES,
    SUBSCRIBER_STATUSES,
    Delivery,
    DeliveryCounts,
    DigestPost,
    DigestRecord,
    DigestRendering,
    DigestSplit,
    DigestSummary,
    EventCounts,
    FailedAttempt,
    NewSubscriber,
    PostLink,
    RenderedDigest,
    RenderedVariant,
    StatusChange,
    StoredEvent,
    Subscriber,
    Topic,
)

__all__ = [
    "DELIVERY_STATUSES",
    "SUBSCRIBER_STATUSES",
    "Delivery",
    "DeliveryCounts",
    "DigestPost",
    "DigestRecord",
    "DigestRendering",
    "DigestSplit",
    "EventCounts",
    "FailedAttempt",
    "DigestSummary",
    "LockHeld",
    "NewSubscriber",
    "PostLink",
    "RenderedDigest",
    "RenderedVariant",
    "StatusChange",
    "Store",
    "StoredEvent",
    "Subscriber",
    "Topic",
    "open_store",
    "state_dir",
    "store_exists",
    "store_files",
]


def open_store(config: Config, *, create: bool = True) -> Store:
    """The configured store, its schema brought up to date (created first when ``create``).

    Raises StoreError (one line naming the store) when it cannot be opened, or does
    not exist and ``create`` is False.
    """
    # The one backend today; a PostgreSQL URL in the store section will choose another here.
    from .sqlite import SqliteStore

    return SqliteStore(config.store.path, create=create)


def store_exists(config: Config) -> bool:
    """Whether anything was ever stored; False means a dry run can skip opening (and creating) it."""
    return config.store.path.exists()


def store_files(config: Config) -> tuple[Path, ...]:
    """The files whose change means the store changed, for the build cache to compare cheaply.

    SQLite writes its main file or its write-ahead log on every commit. (A server
    database has no such file; its backend will need another cheap change marker.)
    """
    path = config.store.path
    return path, path.with_name(path.name + "-wal")


def state_dir(config: Config) -> Path:
    """The folder for bulletin's other local state (the build cache): the store's folder today."""
    return config.store.path.parent
