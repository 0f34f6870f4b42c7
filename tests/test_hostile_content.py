"""Posts written by anyone, on anything: every feed still parses, every email is
well-formed, and every refusal is one line naming the file."""

from __future__ import annotations

import email
import email.policy
import json
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bulletin.config import load_config
from bulletin.errors import ContentError
from bulletin.site.posts import read_post, xml_safe

from .digest_site import DigestSite, bulletin_command
from .feed_site import parse_feed

NOW_TEXT = "2026-04-12T10:00"
DATE = "2026-04-01 10:00"
BOM = "\ufeff"
# A few lines that expand to 9**9 strings when aliases are followed.
BILLION_LAUGHS = "\n".join(
    ['lol0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    + [f"lol{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]
)
PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def front(title: Any = "Title", date: str = DATE, **extra: Any) -> str:
    """A front matter block; values go through yaml.safe_dump, so any string survives.

    Double-quoted, with escapes: in a plain or single-quoted scalar PyYAML writes NEL (U+0085)
    as a line break and indents after it, spaces a YAML 1.2 reader (Symfony's, Grav's) keeps.
    """
    header = yaml.safe_dump({"title": title, "date": date, **extra}, allow_unicode=True, default_style='"')
    return f"---\n{header}---\n"


@dataclass
class Published:
    build_exit: int
    build_output: str
    feeds: dict[str, Any]  # name -> parsed (feedparser result or JSON)
    messages: list[EmailMessage]


def new_site(root: Path, full_content: bool = True) -> DigestSite:
    site = DigestSite(root, None)
    site.configure(feeds={"full_content": full_content})
    return site


def write(site: DigestSite, files: dict[str, str | bytes]) -> dict[str, Path]:
    paths = {}
    for name, data in files.items():
        path = site.content / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        paths[name] = path
    return paths


def well_formed(data: bytes) -> EmailMessage:
    """Parse an .eml as a mail client would and insist on zero defects, in every part."""
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    for part in message.walk():
        assert not part.defects, (part.get_content_type(), part.defects)
    for name, value in message.items():
        assert "\n" not in str(value) and "\r" not in str(value), name
    assert message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    return message


def as_feedparser_reads(text: str) -> str:
    """feedparser "repairs" text that decodes as UTF-8 mojibake ('Â¡' reads as '¡'), whatever the feed
    says; a title that happens to look like mojibake is shown that way by every feedparser-based reader."""
    try:
        return text.encode("iso-8859-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def publish(site: DigestSite) -> Published:
    """`bulletin build`, then `bulletin send` (outbox) and `bulletin preview`, all checked."""
    result = site.cli("build", "--now", NOW_TEXT)
    assert "Traceback" not in result.output
    if result.exit_code != 0:
        return Published(result.exit_code, result.output, {}, [])
    output = site.root / "public"
    feeds = {
        "feed.xml": parse_feed((output / "feed.xml").read_bytes()),
        "atom.xml": parse_feed((output / "atom.xml").read_bytes()),
        "feed.json": json.loads((output / "feed.json").read_bytes()),
    }
    site.subscribe("reader@example.org", name="Reader")
    sent = site.cli("send", "--now", NOW_TEXT)
    assert sent.exit_code == 0, sent.output
    preview = site.cli("preview", "--now", NOW_TEXT, "--out", str(site.root / "preview"))
    assert preview.exit_code == 0, preview.output
    emls = [*(site.root / "outbox").rglob("*.eml"), site.root / "preview" / "digest.eml"]
    messages = [well_formed(path.read_bytes()) for path in emls]
    return Published(0, result.output, feeds, messages)


def assert_rejected(published: Published, *paths: Path) -> list[str]:
    """Exit 1; every line is 'Error: <file>...', and each file has its line."""
    assert published.build_exit == 1, published.build_output
    lines = published.build_output.splitlines()
    for line in lines:
        assert any(line.startswith(f"Error: {path}") for path in paths), line
    for path in paths:
        assert any(line.startswith(f"Error: {path}") for line in lines), path
    return lines


def text_parts(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    return plain, html


# Property tests ----------------------------------------------------------------------------------

FRAGMENTS = [
    "===",
    "",
    "{{ 7 * 7 }}",
    "{% for x in range(3) %}loop{% endfor %}",
    "{# comment #}",
    "<div><p>open",
    "</div></span>",
    "<script>alert(1)</script>",
    "&amp; &bogus; &#0; &#xD800; &#x1F600;",
    "]]> <![CDATA[ x",
    "```",
    "    indented code",
    "> quote",
    "- item",
    "[link](../relative path?q=1#x)",
    "![img](pic.png)",
    "\x00\x01\x08\x0b\x0c\x1b[31m\x7f\x85\u2028\u2029\ufffe\uffff",
    "\ud7ff\ue000\U0010ffff",
    "%%bulletin:subscriber.name%%",
    "x" * 5000,
]
line_ending = st.sampled_from(["\n", "\r\n", "\r"])
body_lines = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=40)), max_size=12)


@PROPERTY_SETTINGS
@given(
    title=st.text(max_size=40),
    lines=body_lines,
    ending=line_ending,
    bom=st.booleans(),
    full=st.booleans(),
)
def test_any_title_and_body_make_valid_feeds_and_mail(
    secret: str, title: str, lines: list[str], ending: str, bom: bool, full: bool
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        site = new_site(Path(folder), full)
        text = (BOM if bom else "") + front(title) + "\n" + "\n".join(lines) + "\n"
        [path] = write(site, {"01.blog/post/item.md": text.replace("\n", ending)}).values()

        published = publish(site)

        expected = " ".join(xml_safe(title).split())  # one line, whatever was written
        if not expected:
            assert assert_rejected(published, path) == [f"Error: {path}: missing title"]
            return
        assert published.build_exit == 0, published.build_output
        [item] = published.feeds["feed.json"]["items"]
        assert item["title"] == expected
        assert published.feeds["atom.xml"].entries[0].title == as_feedparser_reads(expected)
        assert published.feeds["feed.xml"].entries[0].title == as_feedparser_reads(expected)
        assert len(published.messages) == 2
        for message in published.messages:
            plain, _ = text_parts(message)
            assert expected in plain


yaml_tokens = st.sampled_from(
    [
        "title:",
        "date:",
        "slug:",
        "taxonomy:",
        "tag:",
        "image:",
        "author:",
        "published:",
        "feed:",
        "skip:",
        " ",
        "\n",
        "  ",
        "- ",
        "[",
        "]",
        "{",
        "}",
        ",",
        ":",
        "'",
        '"',
        "&a",
        "*a",
        "!!python/object:os.system",
        "!!binary",
        "2026-02-30",
        DATE,
        "true",
        "no",
        "null",
        "~",
        "|",
        ">",
        "#",
        "%YAML 1.1",
        "---",
        "...",
        "<<:",
        "\t",
        "\x00",
        "\x85",
        "\ufeff",
        "é",
        "{{x}}",
    ]
)


@PROPERTY_SETTINGS
@given(
    tokens=st.lists(st.one_of(yaml_tokens, st.text(max_size=8)), max_size=30),
    ending=line_ending,
)
def test_any_front_matter_builds_or_is_refused_in_lines_naming_the_file(
    secret: str, tokens: list[str], ending: str
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        site = new_site(Path(folder))
        text = "---\n" + "".join(tokens) + "\n---\n\nBody.\n"
        [path] = write(site, {"post.md": text.replace("\n", ending)}).values()

        published = publish(site)

        if published.build_exit != 0:
            assert_rejected(published, path)


# Line endings, BOM, summaries --------------------------------------------------------------------


@pytest.mark.parametrize("ending", ["\r\n", "\r"], ids=["crlf", "cr"])
@pytest.mark.parametrize("bom", [False, True], ids=["no-bom", "bom"])
def test_summary_delimiter_works_with_any_line_ending_and_a_bom(
    tmp_path: Path, secret: str, ending: str, bom: bool
) -> None:
    site = new_site(tmp_path / "site", full_content=False)
    text = front("Windows") + "\nThe summary paragraph.\n\n===\n\nThe rest, after the cut.\n"
    write(site, {"post.md": (BOM if bom else "") + text.replace("\n", ending)})

    published = publish(site)

    assert published.build_exit == 0, published.build_output
    [item] = published.feeds["feed.json"]["items"]
    assert item["title"] == "Windows"
    assert item["summary"] == "The summary paragraph."
    assert "after the cut" not in item["content_html"] and "===" not in item["content_html"]
    for message in published.messages:
        plain, html = text_parts(message)
        assert "The summary paragraph." in plain and "after the cut" not in plain
        assert "===" not in plain and "===" not in html
        assert "\ufeff" not in plain


# Templates: posts are data -----------------------------------------------------------------------

JINJA = "{{ 7 * 7 }} {% if true %}yes{% endif %} {# hidden #} {{ site.title }}"


def test_jinja_syntax_in_posts_appears_literally_in_feeds_and_mail(tmp_path: Path, secret: str) -> None:
    site = new_site(tmp_path / "site")
    site.configure(digest={"subject": "{{ posts[0].title }}"})
    header = front(JINJA, taxonomy={"tag": ["{{ x }}"]})
    write(site, {"post.md": header + f"\n{JINJA}\n\n{{% raw %}}\n"})

    published = publish(site)

    assert published.build_exit == 0, published.build_output
    [item] = published.feeds["feed.json"]["items"]
    assert item["title"] == JINJA
    assert JINJA in item["content_html"] and "{% raw %}" in item["content_html"]
    assert published.feeds["feed.xml"].entries[0].title == JINJA
    assert item["tags"] == ["{{ x }}"]
    for message in published.messages:
        plain, html = text_parts(message)
        assert JINJA in plain and "{% raw %}" in plain
        assert "{{ 7 * 7 }}" in html and "{% if true %}yes{% endif %}" in html
        assert "49" not in plain and "Клиника" not in plain.split(JINJA)[1][:40]
    assert {str(m["Subject"]).removeprefix("[TEST] ") for m in published.messages} == {JINJA}


# YAML --------------------------------------------------------------------------------------------


def test_billion_laughs_is_refused_fast_and_never_expanded(tmp_path: Path) -> None:
    path = tmp_path / "bomb.md"
    path.write_text(f"---\ntitle: T\ndate: '{DATE}'\n{BILLION_LAUGHS}\n---\nx\n", encoding="utf-8")
    config = load_config(DigestSite(tmp_path / "site", None).config_path)

    started = time.perf_counter()
    with pytest.raises(ContentError) as caught:
        read_post(path, "/bomb", config.site)
    elapsed = time.perf_counter() - started

    assert elapsed < 1.0
    assert caught.value.problems == (f"{path}: front matter uses YAML aliases, which are not allowed",)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("- a\n- b\n", "front matter must be a mapping of keys, not a list"),
        ("just a sentence\n", "front matter must be a mapping of keys, not a str"),
        ("42\n", "front matter must be a mapping of keys, not a int"),
        ("base: &b {title: T}\n<<: *b\n", "front matter uses YAML aliases, which are not allowed"),
        ("title: !!python/object/apply:os.system ['true']\n", "front matter is not valid YAML"),
        (f"title: T\ndate: '{DATE}'\nslug: ../../x\n", "bad slug: '../../x'"),
        (f"title: T\ndate: '{DATE}'\nslug: a/b\n", "bad slug: 'a/b'"),
        (f"title: T\ndate: '{DATE}'\nslug: ..\n", "bad slug: '..'"),
        (f"title: T\ndate: '{DATE}'\nslug: \"a\\x01b\"\n", "the route holds control characters"),
    ],
    ids=[
        "list",
        "scalar",
        "number",
        "merge-alias",
        "python-tag",
        "slug-up",
        "slug-slash",
        "slug-dots",
        "slug-control",
    ],
)
def test_bad_front_matter_is_one_line_naming_the_file(
    tmp_path: Path, secret: str, header: str, message: str
) -> None:
    site = new_site(tmp_path / "site")
    [path] = write(site, {"01.blog/post/item.md": f"---\n{header}---\n\nBody.\n"}).values()

    published = publish(site)

    [line] = assert_rejected(published, path)
    assert line.startswith(f"Error: {path}") and message in line


def test_deeply_nested_yaml_is_no_crash(tmp_path: Path, secret: str) -> None:
    site = new_site(tmp_path / "site")
    nested = "[" * 3000 + "]" * 3000
    write(site, {"post.md": front() + "\nBody.\n"})
    (site.content / "post.md").write_text(
        f"---\ntitle: T\ndate: '{DATE}'\nextra: {nested}\n---\n\nBody.\n", encoding="utf-8"
    )

    published = publish(site)

    # PyYAML up to 6.0.3 reads it; 6.0.4 caps the nesting depth and refuses it. Either
    # is fine, as long as a refusal is one clean line naming the file.
    if published.build_exit != 0:
        lines = published.build_output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and "post.md" in lines[0], lines
        assert "Traceback" not in published.build_output


# Size and depth ----------------------------------------------------------------------------------


def test_a_10_mb_post(tmp_path: Path, secret: str) -> None:
    """Summaries only: feedparser's own HTML sanitiser needs 15 s per 10 MB feed."""
    site = new_site(tmp_path / "site", full_content=False)
    paragraph = "Слово word " * 100 + "<b>bold</b> & [link](a.html).\n\n"
    body = paragraph * (10_000_000 // len(paragraph.encode()) + 1)
    [path] = write(site, {"big.md": front("Big") + "\n" + body}).values()
    assert path.stat().st_size > 10_000_000

    started = time.perf_counter()
    published = publish(site)

    assert time.perf_counter() - started < 30
    assert published.build_exit == 0, published.build_output
    [item] = published.feeds["feed.json"]["items"]
    assert item["content_html"].startswith("<p>Слово word")  # the summary, and a link on
    assert len(item["summary"]) <= 301
    for message in published.messages:
        plain, _ = text_parts(message)
        assert len(plain) < 5000  # the digest carries the summary, not the post


def test_a_huge_line_without_spaces(tmp_path: Path, secret: str) -> None:
    site = new_site(tmp_path / "site", full_content=False)
    write(site, {"long.md": front("Long") + "\n" + "x" * 2_000_000 + "\n"})

    published = publish(site)

    assert published.build_exit == 0, published.build_output
    [item] = published.feeds["feed.json"]["items"]
    assert item["summary"] == "x" * 300 + "\u2026"


@pytest.mark.parametrize(
    "body",
    [
        "<div>" * 5000 + "deep" + "</div>" * 5000,
        "<div>" * 5000 + "never closed",
        "</div>" * 5000 + "closed first",
        "<span><b><i>" * 2000 + "inline" + "</i></b></span>" * 2000,
        ">" * 200 + " quoted",
        "*" * 5000 + "stars" + "*" * 5000,
    ],
    ids=["nested-div", "unclosed-div", "stray-end-tags", "nested-inline", "quotes", "stars"],
)
def test_deeply_nested_html_and_markdown(tmp_path: Path, secret: str, body: str) -> None:
    site = new_site(tmp_path / "site")
    write(site, {"deep.md": front("Deep") + "\n" + body + "\n"})

    published = publish(site)

    assert published.build_exit == 0, published.build_output
    assert len(published.messages) == 2


def test_markdown_nested_beyond_the_stack_is_one_line(tmp_path: Path, secret: str) -> None:
    site = new_site(tmp_path / "site")
    lists = "".join("  " * depth + "- x\n" for depth in range(500))
    [path] = write(site, {"lists.md": front("Lists") + "\n" + lists}).values()

    published = publish(site)

    assert assert_rejected(published, path) == [
        f"Error: {path}: nested too deeply to render (lists, quotes or HTML)"
    ]


# Header values and file names --------------------------------------------------------------------


def test_control_characters_in_every_header_value(tmp_path: Path, secret: str) -> None:
    site = new_site(tmp_path / "site")
    dirty = "a\x00b\x01c\x0bd\x1be\x7ff\ufffeg"
    write(
        site,
        {
            "01.blog/post/item.md": front(
                dirty, author=dirty, image=f"pic{dirty}.png", taxonomy={"tag": [dirty], "category": dirty}
            )
            + f"\n{dirty}\n"
        },
    )

    published = publish(site)

    assert published.build_exit == 0, published.build_output
    [item] = published.feeds["feed.json"]["items"]
    assert item["title"] == "abcdefg"
    assert item["tags"] == ["abcdefg"]


def test_a_control_character_in_a_file_name_is_one_line(tmp_path: Path, secret: str) -> None:
    site = new_site(tmp_path / "site")
    [path] = write(site, {"bad\x01name.md": front("Fine title") + "\nBody.\n"}).values()

    published = publish(site)

    [line] = assert_rejected(published, path)
    assert "the route holds control characters" in line


# Symlinks and the real process -------------------------------------------------------------------


def test_symlink_loops_in_content_end_the_build(tmp_path: Path, secret: str) -> None:
    site = new_site(tmp_path / "site")
    write(site, {"01.blog/post/item.md": front("Real") + "\nBody.\n"})
    os.symlink(site.content, site.content / "01.blog" / "loop")  # content/01.blog/loop -> content
    os.symlink("..", site.content / "01.blog" / "post" / "up")
    os.symlink(site.content / "self", site.content / "self")  # a link to itself

    published = publish(site)

    assert published.build_exit == 0, published.build_output
    assert [item["title"] for item in published.feeds["feed.json"]["items"]] == ["Real"]


def test_every_rejection_from_a_real_process_is_one_line_without_traceback(
    tmp_path: Path,
) -> None:
    site = new_site(tmp_path / "site")
    paths = write(
        site,
        {
            "bomb.md": f"---\ntitle: T\ndate: '{DATE}'\n{BILLION_LAUGHS}\n---\nx\n",
            "list.md": "---\n- a\n---\nx\n",
            "scalar.md": "---\nhello\n---\nx\n",
            "latin1.md": front("Café").encode() + "\ncafé\n".encode("latin-1"),
            "slug.md": front(slug="../../x") + "\nx\n",
            "good.md": front("Good") + "\nx\n",
        },
    )
    os.symlink(site.content / "b.md", site.content / "a.md")  # a file loop: a -> b -> a
    os.symlink(site.content / "a.md", site.content / "b.md")

    started = time.perf_counter()
    process = subprocess.run(
        [*bulletin_command(), "build", "--config", str(site.config_path), "--now", NOW_TEXT],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=site.root,
    )

    assert time.perf_counter() - started < 30
    assert process.returncode == 1
    assert process.stdout == ""
    lines = process.stderr.splitlines()
    assert "Traceback" not in process.stderr
    expected = {
        paths["bomb.md"]: "front matter uses YAML aliases, which are not allowed",
        paths["list.md"]: "front matter must be a mapping of keys, not a list",
        paths["scalar.md"]: "front matter must be a mapping of keys, not a str",
        paths["latin1.md"]: "not UTF-8",
        paths["slug.md"]: "bad slug: '../../x'",
        site.content / "a.md": "cannot read: Too many levels of symbolic links",
        site.content / "b.md": "cannot read: Too many levels of symbolic links",
    }
    assert len(lines) == len(expected), lines
    for path, message in expected.items():
        [line] = [line for line in lines if line.startswith(f"Error: {path}")]
        assert message in line
    assert not (site.root / "public" / "feed.xml").exists()


def test_a_post_too_deep_to_render_leaves_later_posts_intact() -> None:
    from bulletin.site.render import markdown_to_html

    before = markdown_to_html("Text[^1]\n\n- a\n\n[^1]: note")
    with pytest.raises(RecursionError):
        markdown_to_html("".join("  " * depth + "- x\n" for depth in range(500)))

    assert markdown_to_html("Text[^1]\n\n- a\n\n[^1]: note") == before


def test_xml_safe_keeps_exactly_xmls_characters_less_del_and_c1() -> None:
    """Every code point: XML 1.0's Char production, DEL and the C1 controls taken out too."""

    def allowed(code: int) -> bool:
        return (
            code in (0x9, 0xA, 0xD)
            or 0x20 <= code <= 0x7E
            or 0xA0 <= code <= 0xD7FF
            or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF
        )

    every = "".join(map(chr, range(0x110000)))
    assert xml_safe(every) == "".join(chr(code) for code in range(0x110000) if allowed(code))
