"""Each language's digest archive (/<lang>/archive/): which digests it lists, which rendering it shows.

A single-language site has one archive, at /archive/, as always. A multi-language site has
one per language at /<lang>/archive/, and /archive/ stays its default language's; each lists
the digests holding posts of its language (a post with none recorded, from before digests
had languages, is the default language's) and shows the rendering made of all of them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from ..config import Config
from ..preferences import site_languages
from ..store import DigestRecord, DigestRendering, DigestSummary, RenderedDigest


@dataclass(frozen=True)
class ArchiveLanguage:
    code: str  # the language its pages speak and its digests are in
    prefix: str  # before /archive/: "" for the site's own /archive/, "/kk" for /kk/archive/
    default: str  # the site's default language
    several: bool  # the site has several languages, so each archive keeps to its own

    @property
    def root(self) -> str:
        return f"{self.prefix}/archive/"

    def page_path(self, page: int) -> str:
        """Where page ``page`` of the index is; the first is the archive's own address."""
        return self.root if page == 1 else f"{self.root}page/{page}/"

    def holds(self, language: str | None) -> bool:
        """Whether a post of ``language`` (None: not recorded) belongs in this archive."""
        return not self.several or (language or self.default) == self.code


def archive_languages(config: Config) -> tuple[ArchiveLanguage, ...]:
    """/archive/ first, then (on a multi-language site) /<lang>/archive/ for every language."""
    languages = site_languages(config)
    several = len(languages) > 1
    own = ArchiveLanguage(languages[0], "", languages[0], several)
    if not several:
        return (own,)
    return (own, *(ArchiveLanguage(code, f"/{code}", languages[0], True) for code in languages))


def archive_at(archives: Sequence[ArchiveLanguage], path: str) -> ArchiveLanguage:
    """The archive a request path is in: /kk/archive/... is Kazakh's, anything else /archive/'s."""
    for archive in archives:
        if archive.prefix and path.startswith(archive.root):
            return archive
    return archives[0]


def in_language(summary: DigestSummary, archive: ArchiveLanguage) -> DigestSummary | None:
    """The index row with only the posts of ``archive``'s language; None when it holds none.

    A row whose posts could not be read (a damaged index row) stays listed in the default language.
    """
    if not archive.several:
        return summary
    if not summary.posts:
        return summary if archive.code == archive.default else None
    posts = tuple(post for post in summary.posts if archive.holds(post.language))
    return dataclasses.replace(summary, posts=posts) if posts else None


def archived_rendering(
    record: DigestRecord, renderings: Sequence[DigestRendering], archive: ArchiveLanguage
) -> RenderedDigest | None:
    """What the archive shows of a digest: the rendering of all its posts in the archive's language.

    A digest rendered once for everyone (a single-language site, or one sent before digests
    had languages) is its default language's; None when the digest holds nothing in this one.
    """
    if not archive.several:
        return record.rendered
    for rendering in renderings:
        if rendering.whole and rendering.language == archive.code:
            return rendering.rendered
    if not renderings and archive.code == archive.default:
        return record.rendered
    return None
