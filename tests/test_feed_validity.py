"""Every feed a build writes is valid to the W3C feed validator and to the structure readers expect.

Builds: the repo's sample site (as shipped, and with tag/category feeds and archive pages),
the edge-case posts of tests/content, and the Grav site of tests/sites/blog (collection
feeds at their routes). Issue 15 item 17.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import lxml.html
import pytest
import yaml
from lxml import etree

from bulletin.config import load_config
from bulletin.feeds.build import BuildResult, build
from bulletin.feeds.paths import ARCHIVE_DIR

from .feed_site import NOW, TESTS_CONTENT, config_data, copy_sample_site
from .feed_validator import Problem, validate

REPO = Path(__file__).resolve().parent.parent
ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_NS = "http://search.yahoo.com/mrss/"
DC_NS = "http://purl.org/dc/elements/1.1/"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
HISTORY_NS = "http://purl.org/syndication/history/1.0"
# Taxonomy feeds, archive pages of three posts: every kind of file a build writes.
EVERY_FEED = {"taxonomies": ["tag", "category"], "archive": True, "limit": 3}


@dataclass(frozen=True)
class Built:
    name: str
    result: BuildResult

    @property
    def xml_feeds(self) -> list[Path]:
        return [path for path in self.result.files if path.suffix in (".xml", ".rss", ".atom")]

    @property
    def json_feeds(self) -> list[Path]:
        return [path for path in self.result.files if path.suffix == ".json"]


def _with_feeds(config_path: Path, feeds: dict[str, Any]) -> None:
    data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    data.setdefault("feeds", {}).update(feeds)
    config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def _build(config_path: Path) -> BuildResult:
    return build(load_config(config_path), NOW)


def _sample_site(root: Path, feeds: dict[str, Any] | None) -> BuildResult:
    config_path = copy_sample_site(root)
    if feeds:
        _with_feeds(config_path, feeds)
    return _build(config_path)


def _edge_site(root: Path, full_content: bool) -> BuildResult:
    path = root / "config.yaml"
    data = config_data(TESTS_CONTENT, feeds={**EVERY_FEED, "full_content": full_content})
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return _build(path)


def _grav_site(root: Path) -> BuildResult:
    shutil.copytree(REPO / "tests" / "sites" / "blog", root, dirs_exist_ok=True)
    _with_feeds(root / "config.yaml", {**EVERY_FEED, "limit": 2})
    return _build(root / "config.yaml")


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> list[Built]:
    made = tmp_path_factory.mktemp
    return [
        Built("sample site", _sample_site(made("sample"), None)),
        Built("sample site, every feed", _sample_site(made("sample_all"), EVERY_FEED)),
        Built("tests/content, summaries", _edge_site(made("edge"), full_content=False)),
        Built("tests/content, full content", _edge_site(made("edge_full"), full_content=True)),
        Built("tests/sites/blog", _grav_site(made("grav"))),
    ]


def test_the_builds_write_every_kind_of_feed(builds: list[Built]) -> None:
    """The sets below are what the other tests walk: make sure they are not thin."""
    paths = [path.as_posix() for built in builds for path in built.xml_feeds]
    assert any("/tag/" in path for path in paths) and any("/category/" in path for path in paths)
    assert any(f"/{ARCHIVE_DIR}/" in path for path in paths)
    assert any(path.endswith((".rss", ".atom")) for path in paths)  # Grav collection routes
    assert sum("/feed-archive/atom-" in path for path in paths) > 3  # several linked pages


# The W3C validator ----------------------------------------------------------------


def _excused(path: Path, problem: Problem) -> bool:
    """The two warnings that are not bulletin's to fix.

    A post whose title really is "<b>Bold</b> & ..." as text (tests/content has one): the
    validator guesses HTML in any title with markup-like text. And ArchiveIncomplete on an
    archive page without neighbours: with fewer archived posts than one page there is just
    one archive page, which by RFC 5005 has no prev-archive or next-archive to give.
    """
    if problem.level != "warning":
        return False
    if problem.name in ("ContainsHTML", "ContainsUndeclaredHTML") and problem.element == "title":
        line = path.read_text(encoding="utf-8").splitlines()[problem.line - 1]
        return "&lt;b&gt;Bold&lt;/b&gt;" in line
    if problem.name == "ArchiveIncomplete":
        tree = etree.parse(str(path))
        rels = {link.get("rel") for link in tree.iter(f"{{{ATOM_NS}}}link")}
        return not rels & {"prev-archive", "next-archive"} and path.name == "atom-1.xml"
    return False


def test_w3c_validator_finds_no_error_or_warning(builds: list[Built]) -> None:
    paths = [path for built in builds for path in built.xml_feeds]
    found = validate(paths)
    assert set(found) == set(paths)
    problems = [
        f"{path}: {problem.level} {problem.name}: {problem.message}"
        for path, listed in found.items()
        for problem in listed
        if not _excused(path, problem)
    ]
    assert problems == []
    # The excuses stay narrow: the titled post is the one case, in its feeds only.
    excused = [(path, problem) for path, listed in found.items() for problem in listed]
    assert all(problem.name != "ArchiveIncomplete" or path.name == "atom-1.xml" for path, problem in excused)


# The structure, asserted directly -----------------------------------------------------


def _items(tree: etree._Element) -> list[etree._Element]:
    return list(tree.iter("item")) + list(tree.iter(f"{{{ATOM_NS}}}entry"))


def test_no_media_group_without_alternatives(builds: list[Built]) -> None:
    thumbnails = 0
    for built in builds:
        for path in built.xml_feeds:
            tree = etree.parse(str(path)).getroot()
            for group in tree.iter(f"{{{MEDIA_NS}}}group"):
                assert len(group.findall(f"{{{MEDIA_NS}}}content")) > 1, path
            for item in _items(tree):
                found = item.findall(f"{{{MEDIA_NS}}}thumbnail")
                assert len(found) <= 1, path
                thumbnails += len(found)
    assert thumbnails >= 8  # the image posts really were looked at


def test_one_author_element_per_item(builds: list[Built]) -> None:
    for built in builds:
        for path in built.xml_feeds:
            tree = etree.parse(str(path)).getroot()
            for item in _items(tree):
                authors = (
                    item.findall("author")
                    + item.findall(f"{{{DC_NS}}}creator")
                    + item.findall(f"{{{ATOM_NS}}}author")
                )
                # Every one of these sites names an author (its own or a post's).
                assert len(authors) == 1, (path, etree.tostring(item)[:200])


def _references(html: str) -> list[str]:
    if not html.strip():
        return []
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    urls = [value for element in root.iter() for name in ("href", "src") if (value := element.get(name))]
    for element in root.iter():
        if srcset := element.get("srcset"):
            urls += [candidate.split()[0] for candidate in srcset.split(",") if candidate.strip()]
    return urls


def _html_fields(path: Path) -> list[str]:
    if path.suffix == ".json":
        items = json.loads(path.read_text(encoding="utf-8"))["items"]
        return [item["content_html"] for item in items]
    tree = etree.parse(str(path)).getroot()
    fields = [
        f"{{{ATOM_NS}}}summary",
        f"{{{ATOM_NS}}}content",
        "description",
        f"{{{CONTENT_NS}}}encoded",
    ]
    return [element.text or "" for item in _items(tree) for name in fields for element in item.iter(name)]


def test_no_relative_reference_left_in_content(builds: list[Built]) -> None:
    checked = 0
    for built in builds:
        for path in [*built.xml_feeds, *built.json_feeds]:
            for html in _html_fields(path):
                for url in _references(html):
                    checked += 1
                    assert urlsplit(url).scheme in ("https", "mailto"), (path, url)
    assert checked > 50


# Atom ids (RFC 4287 4.2.6, RFC 5005) ---------------------------------------------------


def _atom_head(path: Path) -> tuple[str, str, list[str]]:
    """(feed id, feed title, entry ids) of an Atom document."""
    root = etree.parse(str(path)).getroot()
    entries = [str(entry.findtext(f"{{{ATOM_NS}}}id")) for entry in root.iter(f"{{{ATOM_NS}}}entry")]
    return str(root.findtext(f"{{{ATOM_NS}}}id")), str(root.findtext(f"{{{ATOM_NS}}}title")), entries


def test_archive_pages_carry_their_feeds_id_and_title(builds: list[Built]) -> None:
    pages = 0
    for built in builds:
        output = built.result.files[0].parent
        while not (output / "atom.xml").exists():
            output = output.parent
        feed_id, title, _ = _atom_head(output / "atom.xml")
        for page in sorted((output / ARCHIVE_DIR).glob("atom-*.xml")):
            pages += 1
            assert _atom_head(page)[:2] == (feed_id, title), page
    assert pages > 5


def test_two_atom_documents_share_an_id_only_when_they_are_one_feed(builds: list[Built]) -> None:
    """Term feeds had the main feed's id; a Grav home collection is one feed at two URLs."""
    documents_seen = 0
    for built in builds:
        by_id: dict[str, list[tuple[Path, list[str]]]] = {}
        for path in built.xml_feeds:
            is_atom = etree.parse(str(path)).getroot().tag == f"{{{ATOM_NS}}}feed"
            if not is_atom or path.parent.name == ARCHIVE_DIR:
                continue  # RSS has no feed id; archive pages are the test above's
            feed_id, _, entries = _atom_head(path)
            by_id.setdefault(feed_id, []).append((path, entries))
            documents_seen += 1
        for feed_id, documents in by_id.items():
            assert all(entries == documents[0][1] for _, entries in documents), (feed_id, documents)
    assert documents_seen > 20
