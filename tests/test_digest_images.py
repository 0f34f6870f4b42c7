"""Images in the digest (issue 15 item 13): the header image once, at its own size, with alt text."""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html

from .digest_site import DigestSite
from .png import png
from .preview import preview

POST_URL = "https://clinic.example/blog/lab"


def lab_post(site: DigestSite, body: str, image: str, files: dict[str, bytes]) -> Path:
    path = site.post("lab", "Новая «лаборатория»", "2026-04-01 10:00", body=body, image=image)
    for name, data in files.items():
        (path.parent / name).write_bytes(data)
    return path


def images(html: str) -> list[dict[str, str]]:
    return [dict(img.attrib) for img in lxml.html.fromstring(html).iter("img")]


def test_the_header_image_is_not_repeated_when_the_summary_shows_it(outbox_site: DigestSite) -> None:
    lab_post(
        outbox_site,
        "Открылась лаборатория.\n\n![Вход в лабораторию](cover.png)",
        "cover.png",
        {"cover.png": png(800, 200)},
    )
    html, _ = preview(outbox_site)
    assert [img["src"] for img in images(html)] == [f"{POST_URL}/cover.png"]
    assert 'class="post-image"' not in html


def test_the_header_image_shows_when_only_the_rest_of_the_post_has_it(outbox_site: DigestSite) -> None:
    body = "Открылась лаборатория.\n\n===\n\nВнутри:\n\n![Вход](cover.png)"
    lab_post(outbox_site, body, "cover.png", {"cover.png": png(800, 200)})
    html, _ = preview(outbox_site)
    [hero] = images(html)
    assert hero["src"] == f"{POST_URL}/cover.png" and hero["class"] == "post-image"


def test_a_percent_encoded_inline_copy_counts_as_the_same_image(outbox_site: DigestSite) -> None:
    lab_post(outbox_site, "Текст.\n\n![Фото](фото%20дня.png)", "фото дня.png", {"фото дня.png": png(10, 10)})
    html, _ = preview(outbox_site)
    assert len(images(html)) == 1


def test_a_small_image_keeps_its_width_a_large_one_fills_the_column(outbox_site: DigestSite) -> None:
    lab_post(outbox_site, "Текст.", "badge.png", {"badge.png": png(120, 90)})
    outbox_site.post("big", "Большое фото", "2026-04-02 10:00", body="Текст.", image="wide.png")
    (outbox_site.content / "01.blog" / "big" / "wide.png").write_bytes(png(1600, 400))
    outbox_site.post(
        "remote", "Фото с CDN", "2026-04-03 10:00", body="Текст.", image="https://cdn.example/a.jpg"
    )
    html, _ = preview(outbox_site)
    heroes = {img["src"].rsplit("/", 1)[1]: img for img in images(html)}
    assert heroes["badge.png"]["width"] == "120" and "max-width: 120px" in heroes["badge.png"]["style"]
    assert heroes["wide.png"]["width"] == "544" and "max-width: 544px" in heroes["wide.png"]["style"]
    # An image on another host cannot be measured: it fills the column, as before.
    assert heroes["a.jpg"]["width"] == "544"
    for hero in heroes.values():
        # The width is a percentage (a blocked image of fixed width would widen a phone's mail),
        # and a margin keeps the title below from touching the image.
        assert re.search(r"(^|;)\s*width: 100%", hero["style"]) and "margin: 0 0 14px" in hero["style"]


def test_alt_texts_the_header_image_says_the_title_inline_images_keep_theirs(outbox_site: DigestSite) -> None:
    body = "Открылась лаборатория.\n\n![Вход в лабораторию](door.png)\n\n===\n\nДалее."
    lab_post(outbox_site, body, "cover.png", {"cover.png": png(800, 200), "door.png": png(300, 200)})
    html, text = preview(outbox_site)
    alts = {img["src"].rsplit("/", 1)[1]: img.get("alt") for img in images(html)}
    # The header image is its link's only content: its alt text is what the link says.
    assert alts == {"cover.png": "Новая «лаборатория»", "door.png": "Вход в лабораторию"}
    assert "[Вход в лабораторию]" in text


def test_a_missing_header_image_file_is_left_out(outbox_site: DigestSite) -> None:
    lab_post(outbox_site, "Снимок ещё не загружен.", "cover.png", {})
    html, _ = preview(outbox_site)
    assert images(html) == [] and "cover.png" not in html
    # The file arrives: the next digest shows it.
    (outbox_site.content / "01.blog" / "lab" / "cover.png").write_bytes(png(800, 200))
    html, _ = preview(outbox_site)
    assert [img["src"] for img in images(html)] == [f"{POST_URL}/cover.png"]
