"""What a reader sees: the digest email laid out by Debian chromium at desktop and phone widths.

Mail clients on phones show the HTML part at about 375 CSS pixels; anything wider than the screen
scrolls sideways and cuts every line. Screenshots land in test-artifacts/ to look at, in Russian
and Kazakh, with images shown and blocked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .digest_site import DigestSite
from .png import png

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
WIDTHS = (600, 375, 320)
LONG_WORD = "Гемопоэтическиестволовыеклетки" * 3  # no break opportunity, as a pasted URL has none
CODE_LINE = (
    "curl -s https://centre.example/api/v1/appointments?doctor=hematology&from=2026-04-01&to=2026-04-30"
)
FOOTER = "ул. Примерная, 1, Усть-Каменогорск\n+7 7232 00-00-00"
# Post titles and texts by language: the site's language also sets the mail's own texts.
TEXTS = {
    "ru": {
        "donor": ("День донора: приходите сдать кровь", "В субботу приходите сдать кровь."),
        "lab": ("Новая лаборатория открыта", "Анализы теперь готовы за один день."),
        "badge": ("Аккредитация подтверждена", "Центр снова прошёл проверку."),
        "missing": ("Фото появится позже", "Снимок ещё не загружен."),
        "view": "Открыть в браузере",
    },
    "kk": {
        "donor": ("Донор күні: қан тапсыруға келіңіз", "Сенбі күні қан тапсыруға келіңіз."),
        "lab": ("Жаңа зертхана ашылды", "Талдау нәтижелері енді бір күнде дайын."),
        "badge": ("Аккредиттеу расталды", "Орталық тексеруден тағы да сәтті өтті."),
        "missing": ("Сурет кейінірек қосылады", "Сурет әлі жүктелмеген."),
        "view": "Браузерде ашу",
    },
}


def write_preview(site: DigestSite, images_load: bool, language: str) -> Path:
    """Four posts: an image also in the summary, a large and a small header image, a missing one."""
    words = TEXTS[language]
    blog = site.root / "content" / "01.blog"
    (site.root / "logo.png").write_bytes(png(480, 120, b"\x0f\x4c\x81"))
    site.configure(site={"language": language}, digest={"logo": "logo.png", "footer": FOOTER})
    title, text = words["donor"]
    site.post(
        "donor-day",
        title,
        "2026-04-01 10:00",
        body=f"{text}\n\n![Пункт сдачи крови](donors.png)\n\n{LONG_WORD}\n\n    {CODE_LINE}\n",
        image="donors.png",
    )
    # 1200 px wide images, twice the mail's width; a 120 px badge that must stay 120 px.
    (blog / "donor-day" / "donors.png").write_bytes(png(1200, 300))
    for slug, key, hour, image, data in (
        ("new-lab", "lab", 11, "lab.png", png(1200, 400, b"\x40\x80\xc0")),
        ("badge", "badge", 12, "badge.png", png(120, 120, b"\x30\xa0\x50")),
        ("missing", "missing", 13, "missing.png", None),
    ):
        title, text = words[key]
        site.post(slug, title, f"2026-04-01 {hour}:00", body=text, image=image)
        if data is not None:
            (blog / slug / image).write_bytes(data)
    out = site.root / "preview"
    result = site.cli("preview", "--now", "2026-04-02T09:00", "--out", str(out))
    assert result.exit_code == 0, result.output
    html = out / "digest.html"
    source = html.read_text(encoding="utf-8")
    assert "<pre" in source  # the code block is in the summary
    if images_load:
        # The image URLs are absolute on the site's host; point them at the local files to load them.
        for slug, name in (("donor-day", "donors.png"), ("new-lab", "lab.png"), ("badge", "badge.png")):
            source = source.replace(
                f"{site.config.site.url}/blog/{slug}/{name}", (blog / slug / name).as_uri()
            )
        source = source.replace(f"{site.config.feeds.url}/digest/logo.png", (site.root / "logo.png").as_uri())
        html.write_text(source, encoding="utf-8")
    # Else they stay on a host that does not answer here: a broken image, as in the many mail
    # clients that block remote images until the reader allows them.
    return html


MEASURE = """() => {
    const box = e => e.getBoundingClientRect();
    const images = [...document.querySelectorAll('img')].map(i => ({
        alt: i.alt, natural: i.naturalWidth, src: i.getAttribute('src'),
        width: box(i).width, bottom: box(i).bottom}));
    const titles = Object.fromEntries([...document.querySelectorAll('a')]
        .filter(a => a.querySelector('img') === null)
        .map(a => [a.textContent.trim(), {top: box(a).top, href: a.href}]));
    return {images, titles, scroll: document.documentElement.scrollWidth, text: document.body.innerText};
}"""


def measure(html: Path, screenshots: str) -> dict[int, dict[str, Any]]:
    """What the page shows at each of WIDTHS; a full-page screenshot of each in test-artifacts/."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    found = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            for width in WIDTHS:
                page = browser.new_page(viewport={"width": width, "height": 800})
                page.goto(html.as_uri())
                page.wait_for_load_state("load")
                found[width] = page.evaluate(MEASURE)
                page.screenshot(path=str(ARTIFACTS / f"{screenshots}-{width}.png"), full_page=True)
                page.close()
        finally:
            browser.close()
    return found


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium")
@pytest.mark.parametrize("language", ["ru", "kk"])
@pytest.mark.parametrize("images_load", [True, False], ids=["images-shown", "images-blocked"])
def test_the_digest_fits_desktop_and_phone_widths(
    outbox_site: DigestSite,
    images_load: bool,
    language: str,
) -> None:
    html = write_preview(outbox_site, images_load, language)
    words = TEXTS[language]
    shown = "shown" if images_load else "blocked"
    site_title = outbox_site.config.site.title
    for width, found in measure(html, f"digest-{language}-{shown}").items():
        assert found["scroll"] == width  # no sideways scrolling at any width
        images = {image["alt"]: image for image in found["images"]}
        # The logo (alt: the site's title), the donor image once (inline, with its own alt: not
        # again as a header image), the large and the small header image; never the missing file.
        assert list(images) == [site_title, "Пункт сдачи крови", words["lab"][0], words["badge"][0]]
        naturals = [image["natural"] for image in found["images"]]
        assert naturals == ([480, 1200, 1200, 120] if images_load else [0, 0, 0, 0])
        assert not any("missing" in image["src"] for image in found["images"])
        if images_load:
            # The logo fits its 200 x 60 box; the badge keeps its 120 px; the large image fills
            # the column (544 px at 600, the screen minus the padding on a phone).
            assert images[site_title]["width"] == 200
            assert images[words["badge"][0]]["width"] == 120
            assert images[words["lab"][0]]["width"] == min(544, width - 56)
            for key in ("lab", "badge"):
                gap = found["titles"][words[key][0]]["top"] - images[words[key][0]]["bottom"]
                assert gap >= 10, (key, gap)  # the title does not touch the image above it
        assert found["titles"][words["view"]]["href"] == f"{outbox_site.config.web.url}/archive/1/"
        assert "ул. Примерная, 1, Усть-Каменогорск\n+7 7232 00-00-00" in found["text"]
