"""Where a digest's public copy lives: the one address mails link to and the archive serves.

On a multi-language site each language's digests are listed apart, under /<language>/archive/;
a single-language site keeps /archive/. Kept apart from web/ so a mail can link to a page
the web app (and the static archive) must answer at the same address.
"""

from __future__ import annotations


def archive_path(number: int, language: str | None = None) -> str:
    """``/archive/12/``, or ``/kk/archive/12/`` for a language's copy on a multi-language site."""
    return f"/{language}/archive/{number}/" if language else f"/archive/{number}/"
