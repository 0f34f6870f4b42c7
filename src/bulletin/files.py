"""Atomic file writes: readers see the old file or the new one, never half of one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path


def write_files_atomically(
    files: Mapping[Path, bytes], modes: Mapping[Path, int] | None = None
) -> list[Path]:
    """Write every file to a temporary sibling first, then rename them all into place.

    Nothing is renamed until every temporary file is complete, so a failure while
    writing (disk full, permissions) leaves all previous files untouched.
    Returns the paths whose content changed (files left alone are not listed).
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for path, data in files.items():
            if _same_content(path, data):
                # Leave an identical file alone: its mtime (Last-Modified, caches,
                # change detection) then moves only when the content does.
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            staged.append((Path(temp_name), path))
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            # mkstemp made it 0600; most files are for everyone to read, a secrets file is not.
            os.chmod(temp_name, (modes or {}).get(path, 0o644))
        for temp, path in staged:
            os.replace(temp, path)
        return [path for _, path in staged]
    finally:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)


def write_file_atomically(path: Path, data: bytes) -> None:
    write_files_atomically({path: data})


def _same_content(path: Path, data: bytes) -> bool:
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False
