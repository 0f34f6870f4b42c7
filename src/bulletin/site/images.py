"""A post's image as a file: the file beside the post an image URL names, and its size in pixels."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import imagesize

from .posts import Post


def file_beside_post(post: Post, url: str | None) -> Path | None:
    """The file in the post's folder (or below it) that the absolute image ``url`` names, if any.

    Only a file under the post's own folder is trusted: "../other/a.jpg" leads into
    another page's folder, whose URL and folder name differ by Grav's numeric prefixes.
    """
    if not url or not url.startswith(post.folder_url):
        return None
    relative = url[len(post.folder_url) :].split("?", 1)[0].split("#", 1)[0]
    # The URL is percent-encoded ("my%20photo.jpg"); the file name is not. An encoded
    # "..", decoded, must not reach a file outside the post's folder.
    relative = unquote(relative)
    if not relative or ".." in Path(relative).parts:
        return None
    return post.folder / relative


def is_missing_file(post: Post, url: str | None) -> bool:
    """True when ``url`` names a file beside the post that is not there (a typo, a file not copied).

    Such an image would be a broken picture in every reader and mail, so it is left out.
    Images elsewhere (other hosts, the site's root) are taken on trust: they cannot be checked.
    """
    path = file_beside_post(post, url)
    return path is not None and not path.is_file()


def pixel_size(path: Path | None) -> tuple[int, int] | None:
    """(width, height) in pixels, read from the image file's header; None when unknown or unreadable."""
    if path is None:
        return None
    try:
        width, height = imagesize.get(path)
    except (OSError, ValueError):
        return None
    return (int(width), int(height)) if width > 0 and height > 0 else None
