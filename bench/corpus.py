"""The synthetic corpus bench/build.py times: the same posts as a Grav site and as a Hugo site.

* a Grav site for bulletin: ``content/01.blog/NNNN.post-slug/item.md`` with Grav
  front matter (``date: 'dd-mm-yyyy HH:MM'``, ``taxonomy: {category, tag}``),
  2-4 KB of mixed Russian/English Markdown, a ``===`` summary line in about
  a third of the posts, a few unpublished and a few scheduled posts, plus a
  ``config.yaml``;
* an equivalent Hugo site: ``content/posts/<slug>.md`` with YAML front matter (title,
  ISO-8601 date with offset, tags, categories, draft), ``<!--more-->`` where the Grav
  post has ``===``, and two configurations over the same content: ``hugo.toml`` builds
  the whole site (minimal layouts: ``single.html`` renders ``{{ .Content }}``,
  ``list.html`` lists pages, plus Hugo's built-in RSS limited to the same 20 items as
  bulletin's feeds), ``rss-only.toml`` writes only the home RSS feed (no page rendered,
  no taxonomy, section, sitemap or 404 page), the narrow job bulletin does.

Standard library only.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

TIMEZONE = "Europe/Moscow"
NOW = "2026-01-01T00:00:00+03:00"  # bulletin's --now; every regular post is older
FEED_LIMIT = 20
SITE_URL = "https://bench.example"

# --------------------------------------------------------------------------- text

RU_WORDS = (
    "пациент врач отделение анализ кровь приём центр гематология лечение диагноз "
    "обследование консультация лаборатория результат неделя запись график филиал "
    "донор служба процедура препарат терапия специалист сотрудник семья вопрос "
    "ответ информация здоровье профилактика вакцинация прививка осмотр кабинет "
    "регистратура очередь телефон адрес время суббота понедельник утро вечер "
    "новый важный бесплатный ежедневный плановый срочный детский взрослый городской "
    "провести принять открыть сообщить напомнить пригласить рассказать помочь"
).split()
EN_WORDS = (
    "patient doctor ward test blood visit centre clinic treatment diagnosis "
    "screening consultation laboratory result week booking schedule branch donor "
    "service procedure medicine therapy specialist staff family question answer "
    "information health prevention vaccine check room desk queue phone address "
    "time Saturday Monday morning evening new important free daily planned urgent "
    "children adult city hold open announce remind invite explain help support"
).split()
TAGS_RU = ["донорство", "гематология", "вакцинация", "лаборатория", "расписание", "консультации"]
TAGS_EN = ["donors", "haematology", "vaccines", "lab", "schedule", "events", "news", "health"]
CATEGORIES = ["новости", "news", "объявления", "announcements"]
AUTHORS = ["Пресс-служба центра", "Press office", "Dr. Ivanova", "Анна Петрова"]
# Latin spellings for slugs of Russian titles (Grav slugs are ASCII here).
TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya".split(),
        strict=True,
    )
)


def slugify(text: str) -> str:
    out = []
    for ch in text.lower():
        if ch in TRANSLIT:
            out.append("" if TRANSLIT[ch] == "-" else TRANSLIT[ch])
        elif ch.isascii() and ch.isalnum():
            out.append(ch)
        else:
            out.append("-")
    return "-".join(part for part in "".join(out).split("-") if part)[:60]


class Writer:
    """Deterministic Markdown in the style of a clinic's news posts."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def words(self, lang: str, n: int) -> list[str]:
        pool = RU_WORDS if lang == "ru" else EN_WORDS
        return [self.rng.choice(pool) for _ in range(n)]

    def sentence(self, lang: str) -> str:
        words = self.words(lang, self.rng.randint(6, 16))
        r = self.rng.random()
        if r < 0.15:
            i = self.rng.randrange(len(words))
            words[i] = f"**{words[i]}**"
        elif r < 0.25:
            i = self.rng.randrange(len(words))
            words[i] = f"*{words[i]}*"
        elif r < 0.35:
            i = self.rng.randrange(len(words) - 1)
            target = self.rng.choice(
                [
                    "/appointments",
                    "memo.html",
                    "../../donors#faq",
                    "https://example.org/info",
                    "photo.jpg",
                ]
            )
            words[i] = f"[{words[i]} {words[i + 1]}]({target})"
            del words[i + 1]
        text = " ".join(words)
        return text[0].upper() + text[1:] + self.rng.choice([".", ".", ".", "!", "?"])

    def paragraph(self, lang: str) -> str:
        return " ".join(self.sentence(lang) for _ in range(self.rng.randint(2, 5)))

    def block(self, lang: str) -> str:
        r = self.rng.random()
        if r < 0.55:
            return self.paragraph(lang)
        if r < 0.68:
            return "## " + " ".join(self.words(lang, self.rng.randint(2, 5))).capitalize()
        if r < 0.80:
            return "\n".join(
                "- " + " ".join(self.words(lang, self.rng.randint(3, 8)))
                for _ in range(self.rng.randint(3, 6))
            )
        if r < 0.86:
            rows = [
                "| " + " | ".join(self.words(lang, 3)) + " |",
                "|---|---|---|",
                *(
                    f"| {self.rng.randint(8, 18)}:00 | " + " | ".join(self.words(lang, 2)) + " |"
                    for _ in range(self.rng.randint(2, 5))
                ),
            ]
            return "\n".join(rows)
        if r < 0.91:
            return f"![{' '.join(self.words(lang, 2))}](photo-{self.rng.randint(1, 9)}.jpg)"
        if r < 0.95:
            return "> " + self.sentence(lang)
        return "```\n" + "\n".join(" ".join(self.words("en", 5)) for _ in range(3)) + "\n```"


@dataclass
class Post:
    number: int
    slug: str
    title: str
    date: dt.datetime  # aware, in TIMEZONE
    tags: list[str]
    categories: list[str]
    author: str | None
    published: bool
    summary: str | None  # Markdown before `===`, when the post has one
    body: str
    extra: dict[str, str] = field(default_factory=dict)


def make_posts(count: int, seed: int) -> list[Post]:
    rng = random.Random(seed)
    writer = Writer(rng)
    tz = ZoneInfo(TIMEZONE)
    start = dt.datetime(2016, 1, 1, tzinfo=tz)
    span_minutes = int((dt.datetime(2025, 12, 31, tzinfo=tz) - start).total_seconds() // 60)
    posts = []
    for n in range(1, count + 1):
        lang = "ru" if rng.random() < 0.6 else "en"
        title_words = writer.words(lang, rng.randint(3, 8))
        title = " ".join(title_words).capitalize()
        if rng.random() < 0.2:
            title += ": " + rng.choice(["важно", "update", "расписание", "Q&A", "«новое»"])
        slug = f"{slugify(title) or 'post'}-{n}"
        if rng.random() < 0.01:  # scheduled: neither tool shows it
            moment = dt.datetime(2099, 1, 1, 9, 0, tzinfo=tz) + dt.timedelta(days=n)
        else:
            moment = start + dt.timedelta(minutes=rng.randrange(span_minutes))
        moment = moment.replace(second=0, microsecond=0)
        tags = rng.sample(TAGS_RU + TAGS_EN, rng.randint(1, 4))
        categories = rng.sample(CATEGORIES, rng.randint(1, 2))
        target = rng.randint(2048, 4096)  # bytes of Markdown
        blocks: list[str] = []
        size = 0
        while size < target:
            other = "en" if lang == "ru" else "ru"
            block = writer.block(lang if rng.random() < 0.8 else other)
            blocks.append(block)
            size += len(block.encode()) + 2
        summary = None
        if rng.random() < 0.35:
            summary = writer.paragraph(lang)
        posts.append(
            Post(
                number=n,
                slug=slug,
                title=title,
                date=moment,
                tags=tags,
                categories=categories,
                author=rng.choice(AUTHORS) if rng.random() < 0.5 else None,
                published=rng.random() >= 0.01,
                summary=summary,
                body="\n\n".join(blocks),
            )
        )
    return posts


def yaml_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def yaml_list(items: list[str]) -> str:
    return "[" + ", ".join(yaml_str(i) for i in items) + "]"


# --------------------------------------------------------------------------- sites


def write_grav_site(root: Path, posts: list[Post]) -> Path:
    blog = root / "content" / "01.blog"
    blog.mkdir(parents=True)
    width = max(4, len(str(len(posts))))
    for post in posts:
        folder = blog / f"{post.number:0{width}d}.{post.slug}"
        folder.mkdir()
        header = [
            "---",
            f"title: {yaml_str(post.title)}",
            f"date: '{post.date:%d-%m-%Y %H:%M}'",
        ]
        if post.author:
            header.append(f"author: {yaml_str(post.author)}")
        if not post.published:
            header.append("published: false")
        header += [
            "taxonomy:",
            f"    category: {yaml_list(post.categories)}",
            f"    tag: {yaml_list(post.tags)}",
            "---",
            "",
        ]
        text = "\n".join(header)
        if post.summary:
            text += post.summary + "\n\n===\n\n"
        text += post.body + "\n"
        (folder / "item.md").write_text(text, encoding="utf-8")
    config = root / "config.yaml"
    config.write_text(
        "\n".join(
            [
                "site:",
                "  title: 'Bench — новости'",
                f"  url: '{SITE_URL}'",
                "  description: 'Synthetic corpus for bench/build.py'",
                "  language: ru",
                f"  timezone: {TIMEZONE}",
                "  author:",
                "    name: 'Bench'",
                "    email: 'bench@bench.example'",
                "content:",
                "  dir: content",
                "  summary_size: 300",
                "feeds:",
                "  output_dir: public",
                f"  limit: {FEED_LIMIT}",
                "  full_content: false",
                "",
            ]
        ),
        encoding="utf-8",
    )
    return config


HUGO_SINGLE = """<!doctype html>
<html lang="{{ site.Language.LanguageCode }}">
<head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><article><h1>{{ .Title }}</h1><time>{{ .Date.Format "2006-01-02" }}</time>
{{ .Content }}
<p>{{ range .Params.tags }}<span>{{ . }}</span> {{ end }}</p></article></body></html>
"""
HUGO_LIST = """<!doctype html>
<html><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><h1>{{ .Title }}</h1><ul>
{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Summary }}</li>
{{ end }}</ul></body></html>
"""


HUGO_RSS_ONLY = """[outputs]
  home = ['rss']
[[cascade]]
  [cascade.build]
    render = 'never'
  [cascade.target]
    kind = 'page'
"""
HUGO_CONFIGS = {"whole site": "hugo.toml", "RSS only": "rss-only.toml"}


def hugo_config(rss_only: bool) -> str:
    lines = [
        f"baseURL = '{SITE_URL}/'",
        "languageCode = 'ru'",
        "title = 'Bench'",
        f"timeZone = '{TIMEZONE}'",
    ]
    if rss_only:
        # Top-level keys must precede the first [table] in TOML.
        lines.append("disableKinds = ['taxonomy', 'term', 'sitemap', '404', 'robotsTXT', 'section']")
    lines += ["[services.rss]", f"  limit = {FEED_LIMIT}", ""]
    return "\n".join(lines) + (HUGO_RSS_ONLY if rss_only else "")


def write_hugo_site(root: Path, posts: list[Post]) -> None:
    """The Hugo site, with both configurations (HUGO_CONFIGS) beside its content."""
    content = root / "content" / "posts"
    content.mkdir(parents=True)
    for post in posts:
        header = [
            "---",
            f"title: {yaml_str(post.title)}",
            f"date: {post.date.isoformat()}",
            f"tags: {yaml_list(post.tags)}",
            f"categories: {yaml_list(post.categories)}",
        ]
        if post.author:
            header.append(f"author: {yaml_str(post.author)}")
        if not post.published:
            header.append("draft: true")
        header += ["---", ""]
        text = "\n".join(header)
        if post.summary:
            text += post.summary + "\n\n<!--more-->\n\n"
        text += post.body + "\n"
        (content / f"{post.slug}.md").write_text(text, encoding="utf-8")
    for mode, name in HUGO_CONFIGS.items():
        (root / name).write_text(hugo_config(rss_only=mode == "RSS only"), encoding="utf-8")
    layouts = root / "layouts" / "_default"
    layouts.mkdir(parents=True)
    (layouts / "single.html").write_text(HUGO_SINGLE, encoding="utf-8")
    (layouts / "list.html").write_text(HUGO_LIST, encoding="utf-8")
