"""File times for build-cache tests: the cache trusts only what changed before a build's clock tick."""

from __future__ import annotations

import os
from pathlib import Path


def backdate(root: Path, seconds: int = 60) -> None:
    """Move every file's and folder's mtime under ``root`` into the past, as if written a while ago."""
    for path in [root, *root.rglob("*")]:
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns - seconds * 10**9))
