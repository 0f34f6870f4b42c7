"""Tag and category feed URLs that never move: each term's slug, recorded once a build wrote it.

Terms that transliterate alike ("Елка", "елка", "Ёлка" are all "elka") share a slug and
take -2, -3, ... Numbered by name order alone, a new term would shift the others and
their subscribers would silently follow another term. So every slug a build writes is
kept in term-slugs.json in the state folder (beside the build cache; the store itself
need not exist for a build) and never given to another term, even after its own term
has lost its last post.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TypeGuard

from slugify import slugify

from ..config import Config
from ..errors import StateError
from ..files import write_file_atomically
from ..store import state_dir

SLUGS_NAME = "term-slugs.json"
# A slug is a folder name (tag/<slug>/feed.xml), and file systems allow 255 bytes: a 300-character
# tag made every build fail. Cut at a word boundary; the feed's title keeps the whole term.
MAX_SLUG_LENGTH = 80


# The transliteration slugify uses drops Kazakh ә ("және" became "zh-ne"); these follow the
# Kazakh Latin alphabet of 2021 (ә → ä), written in ASCII. The other Kazakh letters
# (ғ қ ң ө ұ ү һ і) it already writes as g k n o u u h i.
KAZAKH_LETTERS = [["ә", "a"], ["Ә", "A"]]


def assign_slugs(terms: Iterable[str], written: Mapping[str, str] | None = None) -> dict[str, str]:
    """A readable ASCII slug per term (Cyrillic transliterated: "донорство" -> "donorstvo").

    A term in ``written`` keeps its slug. A new term gets its transliteration (at most
    MAX_SLUG_LENGTH characters before its number), or -2, -3, ... when that is taken (by
    a term of this build or any written before), new terms numbered in the order of
    their names so the result does not depend on the order they come in. Returns the
    slugs of ``terms`` only.
    """
    written = written or {}
    wanted = set(terms)
    taken = set(written.values())
    slugs = {term: slug for term, slug in written.items() if term in wanted}
    for term in sorted(wanted - slugs.keys()):
        base = short_slug(slugify(term, replacements=KAZAKH_LETTERS)) or "term"
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        slugs[term] = slug
    return slugs


def short_slug(slug: str) -> str:
    """``slug`` cut to MAX_SLUG_LENGTH at the last word boundary (mid-word only for one long word)."""
    if len(slug) <= MAX_SLUG_LENGTH:
        return slug
    cut = slug[: MAX_SLUG_LENGTH + 1]  # one more: a boundary right after the limit keeps a whole word
    return cut.rsplit("-", 1)[0] if "-" in cut else cut[:MAX_SLUG_LENGTH]


class TermSlugs:
    """The recorded slugs of one site, per feed folder; new terms added as a build meets them.

    Kept as ``{"tag": {term: slug}, "kk/tag": {...}}``: a language's feeds (under
    public/kk/) have folders of their own, so their slugs are numbered on their own.
    """

    def __init__(self, path: Path | None, recorded: dict[str, dict[str, str]], folder: str = "") -> None:
        self.path = path  # None: kept in memory only
        self.recorded = recorded
        self.folder = folder  # "" or "kk/": where these feeds live under feeds.output_dir
        self.changed = False
        self._root = self  # in_folder() views record their changes here

    def in_folder(self, folder: str) -> TermSlugs:
        """The same record, for the feeds under ``folder`` (a language's)."""
        view = TermSlugs(self.path, self.recorded, f"{self.folder}{folder}/")
        view._root = self._root
        return view

    @classmethod
    def load(cls, config: Config) -> TermSlugs:
        path = state_dir(config) / SLUGS_NAME
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(path, {})
        except OSError as exc:
            raise StateError(f"{path}: cannot read the recorded feed slugs: {exc.strerror}") from None
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if not _is_record(data):
            raise StateError(
                f"{path}: not a record of feed slugs (a JSON object of taxonomy -> term -> slug);"
                " fix it, or delete it to number terms afresh (feed URLs of terms sharing a slug may move)"
            )
        return cls(path, data)

    def slugs(self, taxonomy: str, terms: Iterable[str]) -> dict[str, str]:
        """term -> slug for ``terms``, recording those met for the first time."""
        written = self.recorded.setdefault(self.folder + taxonomy, {})
        slugs = assign_slugs(terms, written)
        for term, slug in slugs.items():
            if term not in written:
                written[term] = slug
                self._root.changed = True
        return slugs

    def save(self) -> None:
        """Written before the feeds that use the new slugs, and only when there are any."""
        if self.path is None or not self.changed:
            return
        data = {taxonomy: dict(sorted(terms.items())) for taxonomy, terms in sorted(self.recorded.items())}
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        write_file_atomically(self.path, text.encode("utf-8"))
        self.changed = False


def _is_record(data: object) -> TypeGuard[dict[str, dict[str, str]]]:
    return isinstance(data, dict) and all(
        isinstance(terms, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in terms.items())
        for terms in data.values()
    )
