"""Where subscribers, digests and deliveries are kept: the ``Store`` seam and its backends.

Only this package knows what a store is made of. The rest of bulletin opens one
with ``open_store(config)`` and speaks to the ``Store`` protocol (``base``).

Two backends meet ``Store``: SQLite (``sqlite*.py``, one file, the default) and
PostgreSQL (``pg*.py``, ``store.url``, shared by several senders and web processes);
each has its own migrations registry (same names) and run lock, and ``open_store``
below chooses from the ``store`` section of the config.
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
    if config.store.url:
        from .pg import PostgresStore

        # A server database always exists once reachable: ``create`` only concerns files.
        return PostgresStore(config.store.url, config.store.password_env, lease=config.store.lease)
    from .sqlite import SqliteStore

    return SqliteStore(config.store.path, create=create)


def store_exists(config: Config) -> bool:
    """Whether anything was ever stored; False means a dry run can skip opening (and creating) it.

    A PostgreSQL store is taken to exist: only opening it can tell, and that creates its tables.
    """
    return bool(config.store.url) or config.store.path.exists()


def store_files(config: Config) -> tuple[Path, ...] | None:
    """The files whose change means the store changed, for the build cache to compare cheaply.

    SQLite writes its main file or its write-ahead log on every commit. A server
    database has no such file: None, and a build never takes itself to be current.
    """
    if config.store.url:
        return None
    path = config.store.path
    return path, path.with_name(path.name + "-wal")


def state_dir(config: Config) -> Path:
    """The folder for bulletin's other local state (the build cache): the store's folder today."""
    return config.store.path.parent
