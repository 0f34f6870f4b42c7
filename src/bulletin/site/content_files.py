"""Reading a content file safely: a regular file, inside the content folder, of bounded size.

Anyone who can write to the content folder can put there a symlink to ``/dev/zero`` (read
until memory runs out), a FIFO (``open`` waits for a writer forever, before ``send`` takes
its lock, so cron runs pile up), or a link to a file elsewhere on the server. Every page
file and ``frontmatter.yaml`` is read through ``read_content_file``, which refuses all three
with one line naming the file.

Symlinks: Grav follows them (PHP's SplFileInfo::isFile and file_get_contents do), and sites
use them to share a page between folders, so a link whose target lies inside the content
folder is read as the file it points to. A link leading out of the content folder is
refused: its target is nothing the site's authors published.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ..config import DEFAULT_MAX_POST_BYTES, ContentConfig
from ..errors import ContentError

_READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class ReadLimits:
    """What a content file may be: under ``root`` (when given), at most ``max_bytes`` long."""

    root: str | None = None  # content.dir, symlinks resolved; None: a file named directly
    max_bytes: int = DEFAULT_MAX_POST_BYTES
    # Folders already resolved (path -> real path): at 10,000 posts, os.path.realpath's
    # lstat of every component of every file was a fifth of a cold build. One
    # ReadLimits lives for one reading of the site; a folder swapped for a link
    # meanwhile is still caught by the inode check after the open.
    real_folders: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, content: ContentConfig) -> ReadLimits:
        return limits_for(content.dir, content.max_post_bytes)


ANY_FOLDER = ReadLimits()  # for a file named directly: regular and bounded, wherever it is


def limits_for(content_dir: str | Path, max_bytes: int = DEFAULT_MAX_POST_BYTES) -> ReadLimits:
    return ReadLimits(os.path.realpath(content_dir), max_bytes)


def read_content_file(path: str | Path, limits: ReadLimits) -> bytes:
    """The bytes of the content file at ``path``; ContentError (one line naming it) otherwise.

    The size is checked on the open file before reading, and the read stops one byte
    past the limit, so a file that grows meanwhile cannot make it read more.
    """
    real, seen = _real_path(os.fspath(path), limits.real_folders) if limits.root is not None else ("", None)
    if limits.root is not None and not _is_inside(real, limits.root):
        raise ContentError(f"{path}: leads to {real}, outside the content folder {limits.root}; not read")
    try:
        # O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise ContentError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):
            raise ContentError(f"{path}: {_kind(opened.st_mode)}, not a regular file; not read")
        if limits.root is not None and not _same_file(opened, real, seen):
            # The link changed between the containment check and the open.
            raise ContentError(f"{path}: changed while being read; not read")
        if opened.st_size > limits.max_bytes:
            raise ContentError(_too_big(path, opened.st_size, limits))
        data = _read_at_most(fd, limits.max_bytes + 1, opened.st_size)
    except OSError as exc:
        raise ContentError(f"{path}: cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > limits.max_bytes:
        raise ContentError(_too_big(path, len(data), limits))
    return data


def _read_at_most(fd: int, limit: int, expected: int) -> bytes:
    """Up to ``limit`` bytes of the regular file ``fd``, ``expected`` long when it was opened."""
    # Asking for one byte past the expected size tells in one read that the file ends there:
    # on a regular file a read returns less than asked only at its end.
    asked = min(limit, expected + 1, _READ_CHUNK)
    first = os.read(fd, asked)
    if len(first) < asked:
        return first
    chunks: list[bytes] = [first]
    left = limit - len(first)
    while left > 0:
        chunk = os.read(fd, min(left, _READ_CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _real_path(path: str, real_folders: dict[str, str]) -> tuple[str, os.stat_result | None]:
    """(os.path.realpath(path), the lstat of ``path`` when it is no link), each folder on the way
    resolved once (kept in ``real_folders``)."""
    parent, name = os.path.split(path)
    if not parent or parent == path or name in ("", ".", ".."):
        return os.path.realpath(path), None
    try:
        seen: os.stat_result | None = os.lstat(path)
    except OSError:
        seen = None  # missing or unreadable: os.path.realpath decides, as before
    if seen is None or stat.S_ISLNK(seen.st_mode):
        return os.path.realpath(path), None
    real_parent = real_folders.get(parent)
    if real_parent is None:
        real_parent = real_folders[parent] = _real_path(parent, real_folders)[0]
    return os.path.join(real_parent, name), seen


def _is_inside(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def _same_file(opened: os.stat_result, real: str, seen: os.stat_result | None) -> bool:
    """Whether the open file is the one whose place was checked: the file ``_real_path`` saw
    (no second stat), else what ``real`` names now."""
    if seen is None:
        try:
            seen = os.stat(real)
        except OSError:
            return False
    return (seen.st_dev, seen.st_ino) == (opened.st_dev, opened.st_ino)


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _too_big(path: str | Path, size: int, limits: ReadLimits) -> str:
    return (
        f"{path}: {size:,} bytes, more than content.max_post_bytes ({limits.max_bytes:,});"
        " not read (raise the limit if the post is meant to be this long)"
    )
