"""Markdown rendering: summaries at ===, truncation, absolute URLs."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bulletin.config import Author, SiteConfig
from bulletin.site.discovery import discover
from bulletin.site.markdown import MarkdownSettings
from bulletin.site.posts import Post, read_post
from bulletin.site.render import (
    ELLIPSIS,
    absolute_url,
    make_links_absolute,
    markdown_to_html,
    render_post,
    split_summary,
    text_of,
    truncate_html,
)

from .feed_site import ALMATY, SITE_URL, TESTS_CONTENT

VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class _BalanceChecker(HTMLParser):
    """Fails on an unclosed or stray tag, a half tag, or a half entity."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"stray </{tag}>")

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data:
            self.problems.append(f"raw angle bracket in text: {data!r}")
        if "&" in data:
            self.problems.append(f"bare ampersand in text: {data!r}")


def assert_well_formed(html: str) -> None:
    checker = _BalanceChecker()
    checker.feed(html)
    checker.close()
    assert not checker.problems, (checker.problems, html)
    assert not checker.stack, (f"unclosed {checker.stack}", html)
    assert not checker.rawdata, ("half a tag at the end", html)
    for entity in re.findall(r"&[^;\s]*;?", html):
        assert re.fullmatch(r"&(#\d+|#x[0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);", entity), (entity, html)


def collapsed(html: str) -> str:
    return " ".join(text_of(html).split())


def post_at(path: Path) -> Post:
    """Read one post of tests/content with the route discover() gives it."""
    site = SiteConfig("T", SITE_URL, "", "en", ALMATY, Author(None, None))
    routes = dict(discover(TESTS_CONTENT))
    return read_post(path, routes[str(path)], site)


def make_post(body: str, route: str = "/blog/my-post") -> Post:
    return Post(
        source="item.md", route=route, url=SITE_URL + route, title="T",
        date=dt.datetime(2025, 1, 1, tzinfo=ALMATY), unpublish_date=None, published=True,
        listed=True, tags=(), categories=(), author=None, image=None, continue_link=True,
        body=body,
    )  # fmt: skip


# Summary delimiter --------------------------------------------------------------------


def test_summary_is_content_before_delimiter() -> None:
    rendered = render_post(post_at(TESTS_CONTENT / "02.edge/summary_delimiter.md"), SITE_URL, 300)
    assert rendered.summary_html == "<p>Это анонс: короткий первый абзац.</p>"
    assert "А это продолжение" in rendered.content_html
    assert "Это анонс" in rendered.content_html
    assert "===" not in rendered.content_html
    assert rendered.has_more


def test_delimiter_in_crlf_file() -> None:
    rendered = render_post(post_at(TESTS_CONTENT / "02.edge/crlf_line_endings.md"), SITE_URL, 300)
    assert rendered.summary_html == "<p>Summary written on Windows.</p>"
    assert "Body after the delimiter." in rendered.content_html
    assert rendered.has_more


def test_equals_under_a_text_line_is_a_heading() -> None:
    path = TESTS_CONTENT / "02.edge/delimiter_under_text_is_heading.md"
    rendered = render_post(post_at(path), SITE_URL, 300)
    assert "<h1>Heading made of equals signs</h1>" in rendered.content_html
    assert rendered.summary_html == rendered.content_html  # short post: the whole of it
    assert not rendered.has_more


def test_equals_in_fenced_code_is_not_a_delimiter() -> None:
    path = TESTS_CONTENT / "02.edge/code_fence_with_delimiter.md"
    summary, whole = split_summary(post_at(path).body)
    assert summary is None
    html = markdown_to_html(whole)
    assert '<pre><code class="language-text">before\n\n===\n\nafter\n</code></pre>' in html


# (body, summary): fences as Parsedown 1.7, Grav's Markdown, ends them (checked below with PHP).
FENCES = [
    # "~~~" inside a ``` fence is code (a mutant ending any fence on any fence line survived).
    ("```\n~~~\n\n===\n\n~~~\n```\n\nTwo", None),
    ("~~~\n```\n\n===\n\n```\n~~~\n\nTwo", None),
    # Words after the run: not a closing line.
    ("```\ncode\n``` not closing\n\n===\n\n```\n\nTwo", None),
    # Any run of three or more of the opening character closes it, whatever its length.
    ("````\ncode\n```\n\n===\n\nTwo", "````\ncode\n```"),
    ("```\ncode\n`````  \n\n===\n\nTwo", "```\ncode\n`````"),
]


@pytest.mark.parametrize(
    ("body", "summary"),
    [
        ("One\n\n===\n\nTwo", "One"),
        ("One\n\n===\n", "One"),
        ("One\n\n  ===  \n\nTwo", "One"),
        ("One\n===\n\nTwo", None),  # setext heading
        ("One\n\n===\nTwo", None),  # no blank line after: not a paragraph of its own
        ("One\n\n====\n\nTwo", None),
        ("~~~\n\n===\n\n~~~\n\nTwo", None),
        *FENCES,
    ],
)
def test_split_summary_rules(body: str, summary: str | None) -> None:
    found, whole = split_summary(body)
    assert (found.strip() if found is not None else None) == summary
    assert "===" not in whole or summary is None


@pytest.mark.skipif(shutil.which("php") is None, reason="php is not installed (.ci/run installs php-cli)")
def test_fences_end_where_parsedown_ends_them() -> None:
    """Grav finds its delimiter as <p>===</p> in Parsedown's HTML: code never holds one."""
    script = (
        "require '/usr/share/php/Parsedown/autoload.php'; $p = new Parsedown();"
        " echo json_encode(array_map([$p, 'text'], json_decode(stream_get_contents(STDIN))));"
    )
    bodies = [body for body, _ in FENCES]
    done = subprocess.run(
        ["php", "-r", script], input=json.dumps(bodies), capture_output=True, text=True, check=True
    )
    for body, html in zip(bodies, json.loads(done.stdout), strict=True):
        assert (split_summary(body)[0] is not None) == ("<p>===</p>" in html), body


def test_markdown_extra_features() -> None:
    """With Grav's pages.markdown.extra: true: footnotes and attribute lists."""
    extra = MarkdownSettings(extra=True)
    html = render_post(
        post_at(TESTS_CONTENT / "02.edge/code_fence_with_delimiter.md"), SITE_URL, 10_000, extra
    ).content_html
    assert "<table>" in html and "<td>один</td>" in html
    assert 'class="footnote"' in html and "The footnote text." in html
    assert markdown_to_html("Para\n{: .lead }", extra) == '<p class="lead">Para</p>'


def test_grav_default_markdown_is_github_flavoured_without_extra() -> None:
    """Grav's default (extra: false): tables, fenced code and ~~strike~~, but a footnote or
    an attribute list is text, as Parsedown leaves it."""
    html = render_post(
        post_at(TESTS_CONTENT / "02.edge/code_fence_with_delimiter.md"), SITE_URL, 10_000
    ).content_html
    assert "<td>один</td>" in html and '<code class="language-text">' in html
    assert "<p>A footnote[^1].</p>" in html and 'class="footnote"' not in html
    assert markdown_to_html("Para\n{: .lead }") == "<p>Para\n{: .lead }</p>"
    assert markdown_to_html("~~старое~~ H~2~O") == "<p><del>старое</del> H~2~O</p>"
    assert markdown_to_html("3. три\n4. четыре") == '<ol start="3">\n<li>три</li>\n<li>четыре</li>\n</ol>'


# Truncated summary --------------------------------------------------------------------


def test_summary_without_delimiter_is_truncated_well_formed() -> None:
    path = TESTS_CONTENT / "02.edge/no_summary_delimiter.md"
    rendered = render_post(post_at(path), SITE_URL, 300)
    assert rendered.has_more
    assert_well_formed(rendered.summary_html)
    text = collapsed(rendered.summary_html)
    assert text.endswith(ELLIPSIS)
    assert len(text) <= 301
    assert collapsed(rendered.content_html).startswith(text[:-1])
    assert "Второй абзац" not in rendered.summary_html


def test_short_post_is_its_own_summary() -> None:
    path = TESTS_CONTENT / "02.edge/short_without_delimiter.md"
    rendered = render_post(post_at(path), SITE_URL, 300)
    assert rendered.summary_html == rendered.content_html
    assert ELLIPSIS not in rendered.summary_html
    assert not rendered.has_more


@pytest.mark.parametrize(
    ("html", "size", "expected"),
    [
        ("<p>one two three</p>", 9, "<p>one two…</p>"),
        ("<p>one two three</p>", 7, "<p>one two…</p>"),
        ("<p>one two three</p>", 6, "<p>one…</p>"),
        ("<p>one two, three</p>", 8, "<p>one two…</p>"),  # no dangling comma
        ("<p>Antidisestablishment</p>", 5, "<p>Antid…</p>"),  # one word is all there is
        ("<p>a <b>bold</b> word and more</p>", 6, "<p>a <b>bold…</b></p>"),
        ("<p>a <b>bold</b> word and more</p>", 11, "<p>a <b>bold</b> word…</p>"),
        ("<p>aaa</p>\n<p>bbb</p>\n<p>ccc ddd</p>", 7, "<p>aaa</p>\n<p>bbb…</p>"),
        ("<p>fish &amp; chips and peas</p>", 6, "<p>fish &amp;…</p>"),
        ("<p>x <a href=\"/a?b=1&amp;c=2\">link text</a> tail</p>", 6,
         "<p>x <a href=\"/a?b=1&amp;c=2\">link…</a></p>"),
        ("<ul><li>first item</li><li>second item</li></ul>", 12, "<ul><li>first item…</li></ul>"),
    ],
)  # fmt: skip
def test_truncate_html_examples(html: str, size: int, expected: str) -> None:
    result, cut = truncate_html(html, size)
    assert (result, cut) == (expected, True)


def test_truncate_html_keeps_short_html() -> None:
    assert truncate_html("<p>short</p>", 5) == ("<p>short</p>", False)
    assert truncate_html("<p>two  words</p>\n", 9) == ("<p>two  words</p>\n", False)
    assert truncate_html("   ", 5) == ("", False)


_WORDS = st.text(alphabet=st.sampled_from("abcжзи  \n,.&<>\"'-\u2014é"), min_size=0, max_size=30)


@st.composite
def html_fragments(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["text", "text", "inline", "block", "img", "br"]))
        if kind == "text" or depth >= 3:
            text = draw(_WORDS)
            parts.append(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
        elif kind == "img":
            parts.append('<img src="a.png" alt="x">')
        elif kind == "br":
            parts.append("<br>")
        else:
            tag = draw(st.sampled_from(["b", "em", "a", "code"] if kind == "inline" else ["p", "li"]))
            inner = draw(html_fragments(depth + 1))
            parts.append(f"<{tag}>{inner}</{tag}>" if tag != "li" else f"<ul><li>{inner}</li></ul>")
    return "".join(parts)


@settings(max_examples=300)
@given(html_fragments(), st.integers(min_value=1, max_value=60))
def test_truncate_html_is_well_formed_and_short(html: str, size: int) -> None:
    html = markdown_to_html(html) if html.strip() else html
    result, cut = truncate_html(html, size)
    assert_well_formed(result)
    text = collapsed(result)
    original = collapsed(html)
    if cut:
        assert len(text) <= size + 1
        assert text.endswith(ELLIPSIS)
        assert original.startswith(text[:-1])
    else:
        assert text == original
        assert len(original) <= size


# Absolute URLs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("photo.jpg", "https://clinic.example/blog/my-post/photo.jpg"),
        ("./files/a b.pdf", "https://clinic.example/blog/my-post/files/a b.pdf"),
        ("../other/", "https://clinic.example/blog/other/"),
        ("/clinic/hours", "https://clinic.example/clinic/hours"),
        ("https://example.org/x", "https://example.org/x"),
        ("//cdn.example/x.png", "//cdn.example/x.png"),
        ("mailto:desk@clinic.example", "mailto:desk@clinic.example"),
        # A fragment or a query alone belongs to the post (issue 15 item 20): left relative,
        # readers resolved it against the feed's URL, and the folder gave "my-post/?page=2".
        ("#top", "https://clinic.example/blog/my-post#top"),
        ("?page=2", "https://clinic.example/blog/my-post?page=2"),
        ("?page=2#list", "https://clinic.example/blog/my-post?page=2#list"),
    ],
)
def test_absolute_url(url: str, expected: str) -> None:
    assert absolute_url(url, SITE_URL + "/blog/my-post/", SITE_URL, SITE_URL + "/blog/my-post") == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/img/a.png", "https://example.org/clinic/img/a.png"),
        ("img/a.png", "https://example.org/clinic/blog/post/img/a.png"),
        ("../../img/a.png", "https://example.org/clinic/img/a.png"),
    ],
)
def test_root_relative_links_keep_the_path_of_site_url(url: str, expected: str) -> None:
    """A site served under a path: "/" means the site's root, not the host's (urljoin's reading)."""
    site = "https://example.org/clinic"
    assert absolute_url(url, site + "/blog/post/", site, site + "/blog/post") == expected


def test_relative_links_and_images_in_grav_folder() -> None:
    path = TESTS_CONTENT / "01.blog/01.relative-links-and-images/item.md"
    assert (path.parent / "photo.jpg").is_file()
    rendered = render_post(post_at(path), SITE_URL, 300)
    base = "https://clinic.example/blog/relative-links-and-images/"
    for html in (rendered.summary_html, rendered.content_html):
        assert f'src="{base}photo.jpg"' in html
        assert 'href="https://clinic.example/blog/other-post/"' in html
        assert 'href="https://clinic.example/clinic/hours"' in html
        assert 'href="https://example.org/page"' in html
        assert 'href="https://clinic.example/blog/relative-links-and-images#top"' in html
        assert 'href="mailto:desk@clinic.example"' in html
        assert (
            f'srcset="{base}small.jpg 1x, https://clinic.example/media/large.jpg 2x, '
            'https://cdn.example/huge.jpg 3x"'
        ) in html
    assert f'href="{base}files/report.pdf"' in rendered.content_html
    assert rendered.image == f"{base}photo.jpg"


def test_make_links_absolute_leaves_text_alone() -> None:
    html = '<p>See <a href="a.html">a &amp; b</a> <img src="/i.png" alt="i"> ok</p>'
    assert make_links_absolute(html, SITE_URL + "/p/", SITE_URL, SITE_URL + "/p") == (
        '<p>See <a href="https://clinic.example/p/a.html">a &amp; b</a> '
        '<img src="https://clinic.example/i.png" alt="i"> ok</p>'
    )


def test_header_image_is_made_absolute() -> None:
    post = make_post("Text")
    post = Post(**{**post.__dict__, "image": "cover.png"})
    assert render_post(post, SITE_URL, 300).image == SITE_URL + "/blog/my-post/cover.png"


def test_control_characters_never_reach_html() -> None:
    path = TESTS_CONTENT / "02.edge/control_characters.md"
    assert b"\x0b" in path.read_bytes()
    html = render_post(post_at(path), SITE_URL, 300).content_html
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", html)
    assert "vertical tab," in html and "unit separator," in html


def test_jinja_braces_are_literal_text() -> None:
    path = TESTS_CONTENT / "02.edge/jinja_braces_literal.md"
    html = render_post(post_at(path), SITE_URL, 300).content_html
    assert "{{ site.title }} and {% if x %}no{% endif %}" in html


def test_a_flat_posts_images_resolve_against_its_folder(tmp_path: Path) -> None:
    # notes/parking.md with parking.jpg beside it: the image lives at /notes/parking.jpg,
    # while a Grav page's images live under the page (/blog/visit/photo.jpg).
    from bulletin.site.posts import load_posts

    site = SiteConfig("T", SITE_URL, "", "en", ALMATY, Author(None, None))
    body = "![p](parking.jpg) and ![v](photo.jpg)"
    (tmp_path / "notes").mkdir()
    text = f"---\ntitle: P\ndate: '01-01-2025'\n---\n\n{body}\n"
    (tmp_path / "notes" / "parking.md").write_text(text, encoding="utf-8")
    (tmp_path / "blog" / "visit").mkdir(parents=True)
    (tmp_path / "blog" / "visit" / "item.md").write_text(text, encoding="utf-8")
    posts = {post.route: post for post in load_posts(tmp_path, site)}
    flat = render_post(posts["/notes/parking"], SITE_URL, 300).content_html
    page = render_post(posts["/blog/visit"], SITE_URL, 300).content_html
    assert f'src="{SITE_URL}/notes/parking.jpg"' in flat
    assert f'src="{SITE_URL}/blog/visit/photo.jpg"' in page


@pytest.mark.parametrize(
    ("markdown", "text", "html"),
    [
        (MarkdownSettings(auto_line_breaks=True), "первая\nвторая", "<p>первая<br>\nвторая</p>"),
        (MarkdownSettings(), "первая\nвторая", "<p>первая\nвторая</p>"),
        (
            MarkdownSettings(auto_url_links=True),
            "см. https://clinic.example/a и a@clinic.example",
            '<p>см. <a href="https://clinic.example/a">https://clinic.example/a</a> и a@clinic.example</p>',
        ),
        (MarkdownSettings(), "см. https://clinic.example/a", "<p>см. https://clinic.example/a</p>"),
        (MarkdownSettings(escape_markup=True), "<b>жирный</b>", "<p>&lt;b&gt;жирный&lt;/b&gt;</p>"),
        (
            MarkdownSettings(),
            '<img src="a.png" alt="Сурет">\n\nтекст',
            '<img src="a.png" alt="Сурет">\n<p>текст</p>',
        ),
        (
            MarkdownSettings(),
            "- a\n- b\n\n- c",
            "<ul>\n<li>\n<p>a</p>\n</li>\n<li>\n<p>b</p>\n</li>\n<li>\n<p>c</p>\n</li>\n</ul>",
        ),
    ],
    ids=[
        "line-breaks",
        "no-line-breaks",
        "url-links",
        "no-url-links",
        "escape-markup",
        "lone-img",
        "loose-list",
    ],
)
def test_grav_markdown_settings(markdown: MarkdownSettings, text: str, html: str) -> None:
    """system.yaml pages.markdown switches, as Parsedown renders them (the PHP oracle in
    tests/oracle checks these against Parsedown itself)."""
    assert markdown_to_html(text, markdown) == html
