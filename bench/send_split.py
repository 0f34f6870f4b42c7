"""`python bench/send.py --languages-topics`: one digest split over languages and topics, against one for all.

Both sites send one digest to the same number of subscribers (default 100,000) through
the same smtp-sink at 8 connections, and every message holds 6 posts, so the messages are
the same size:

* single: today's digest, one rendering for everyone (a one-language site, 6 posts);
* split: a ru/kk/en Grav site with 5 topics, 30 posts per language (6 per topic), and the
  subscribers spread evenly over 3 languages x 5 topics, one topic each: 15 renderings of
  6 posts for the subscribers plus 3 whole ones (30 posts) for the archive.

The two kinds of run alternate, ``--repeat`` times each, and the figure compared is the CPU
time (user + system) of the `bulletin send` process from wait4(2): the machine is shared, and
wall time there measures the neighbours as much as bulletin.
"""

from __future__ import annotations

import os
import statistics
from pathlib import Path

import send as base

LANGUAGES = ("ru", "kk", "en")
TOPICS = ("вакцинация", "диагностика", "стационар", "донорство", "педиатрия")
POSTS_PER_TOPIC = 6
TITLE = {"ru": "Новости центра № {n}", "kk": "Орталық жаңалықтары № {n}", "en": "Clinic news {n}"}


def write_split_site(root: Path, port: int, connections: int) -> Path:
    """A Grav user/ folder in three languages whose posts each carry one of five topics."""
    user = root / "user"
    (user / "config").mkdir(parents=True, exist_ok=True)
    (user / "config" / "system.yaml").write_text("languages:\n  supported: [ru, kk, en]\n", encoding="utf-8")
    (user / "config" / "site.yaml").write_text("title: 'Bench — жаңалықтар'\n", encoding="utf-8")
    blog = user / "pages" / "01.blog"
    for number in range(len(TOPICS) * POSTS_PER_TOPIC):
        folder = blog / f"post-{number:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        topic = TOPICS[number % len(TOPICS)]
        for language in LANGUAGES:
            paragraph = base.PARAGRAPH_EN if language == "en" else base.PARAGRAPH_RU
            (folder / f"item.{language}.md").write_text(
                "---\n"
                f"title: '{TITLE[language].format(n=number)}'\n"
                f"date: '{number % 28 + 1:02d}-12-2025 10:00'\n"
                f"taxonomy:\n    category: [{topic}]\n"
                "---\n\n"
                f"{paragraph * 2}\n\n===\n\n"
                f"![photo](https://bench.example/images/{number}.jpg)\n\n{paragraph * 12}\n",
                encoding="utf-8",
            )
    return write_split_config(root, port, connections)


def write_split_config(root: Path, port: int, connections: int, store: str = "state/bulletin.db") -> Path:
    """send.py's config for the site in user/, with digest.topics naming the five topics."""
    path = base.write_config(root, port, connections, store)
    topics = "".join(f"      - {topic}\n" for topic in TOPICS)
    text = (
        path.read_text(encoding="utf-8")
        .replace("content:\n  dir: content\n", "content:\n  dir: user\n")
        .replace("  start: '2025-01-01'\n", f"  start: '2025-01-01'\n  topics:\n    category:\n{topics}")
    )
    path.write_text(text, encoding="utf-8")
    return path


def make_split_store(path: Path, count: int) -> None:
    from bulletin.store import NewSubscriber
    from bulletin.store.sqlite import SqliteStore

    path.parent.mkdir(parents=True, exist_ok=True)
    people = [
        NewSubscriber(
            f"reader{i:06d}@example.org",
            f"Читатель {i}" if i % 2 else None,
            LANGUAGES[i % len(LANGUAGES)],
            frozenset({("category", TOPICS[(i // len(LANGUAGES)) % len(TOPICS)])}),
        )
        for i in range(count)
    ]
    with SqliteStore(path) as store:
        store.add_subscribers(people)


def send_once(bulletin: list[str], site: Path, db: Path, port: int, split: bool, n: int) -> base.Run:
    """One `bulletin send` of the whole digest at 8 connections; its sent count checked against ``n``."""
    writer = write_split_config if split else base.write_config
    result = base.bulletin_send(bulletin, site, db, port, 8, writer)
    base.summary(result, n)
    return result


def compare(repeat: int, n: int, root: Path, port: int, bulletin: list[str]) -> int:
    single_site, split_site = root / "single", root / "split"
    single_site.mkdir()
    split_site.mkdir()
    base.write_site(single_site, 6, port, 8)
    write_split_site(split_site, port, 8)
    single_db, split_db = root / "single.db", root / "split.db"
    base.make_store(single_db, n)
    make_split_store(split_db, n)
    runs: dict[bool, list[base.Run]] = {False: [], True: []}
    for _ in range(repeat):
        runs[False].append(send_once(bulletin, single_site, single_db, port, False, n))
        runs[True].append(send_once(bulletin, split_site, split_db, port, True, n))
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n{n:,} subscribers, 8 connections, {repeat} alternating runs each; load average after: {load}")
    print("digest | CPU s (median) | CPU s (each run) | wall s (median) | peak RSS MB")
    print("--- | --- | --- | --- | ---")
    for split, label in ((False, "one rendering for all"), (True, "3 languages x 5 topics")):
        cpu = [r.cpu for r in runs[split]]
        wall = [r.wall for r in runs[split]]
        each = ", ".join(f"{c:.1f}" for c in cpu)
        peak = max(r.peak_mb for r in runs[split])
        print(f"{label} | {statistics.median(cpu):.1f} | {each} | {statistics.median(wall):.1f} | {peak:.0f}")
    ratio = statistics.median(r.cpu for r in runs[True]) / statistics.median(r.cpu for r in runs[False])
    print(f"split / single CPU time: {ratio:.2f} (goal <= 1.2)")
    return 0
