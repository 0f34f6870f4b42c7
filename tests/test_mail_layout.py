"""What a reader sees: the digest email laid out by Debian chromium at desktop and phone widths.

Mail clients on phones show the HTML part at about 375 CSS pixels; anything wider than the screen
scrolls sideways and cuts every line. Screenshots land in test-artifacts/ to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .digest_site import DigestSite

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
WIDTHS = (600, 375, 320)
LONG_WORD = "Гемопоэтическиестволовыеклетки" * 3  # no break opportunity, as a pasted URL has none
CODE_LINE = (
    "curl -s https://centre.example/api/v1/appointments?doctor=hematology&from=2026-04-01&to=2026-04-30"
)


def write_preview(site: DigestSite, images_load: bool) -> Path:
    image = site.root / "content" / "01.blog" / "donor-day" / "donors.png"
    site.post(
        "donor-day",
        "День донора: қан тапсыру күні",
        "2026-04-01 10:00",
        body=f"В субботу приходите сдать кровь.\n\n![Пункт сдачи крови](donors.png)\n\n{LONG_WORD}\n\n"
        f"    {CODE_LINE}\n",
        image="donors.png",
    )
    # A 1200 px wide PNG, so the image has an intrinsic width twice the mail's.
    image.write_bytes(_png(1200, 300))
    out = site.root / "preview"
    result = site.cli("preview", "--now", "2026-04-02T09:00", "--out", str(out))
    assert result.exit_code == 0, result.output
    html = out / "digest.html"
    assert "<pre" in html.read_text(encoding="utf-8")  # the code block is in the summary
    if images_load:
        # The image URLs are absolute on the site's host; point them at the local file to load it.
        url = f"{site.config.site.url}/blog/donor-day/donors.png"
        html.write_text(html.read_text(encoding="utf-8").replace(url, image.as_uri()), encoding="utf-8")
    # Else they stay on a host that does not answer here: a broken image, as in the many mail
    # clients that block remote images until the reader allows them.
    return html


def _png(width: int, height: int) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xc0\x40\x40" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium")
@pytest.mark.parametrize("images_load", [True, False], ids=["images-shown", "images-blocked"])
def test_the_digest_fits_desktop_and_phone_widths(outbox_site: DigestSite, images_load: bool) -> None:
    from playwright.sync_api import sync_playwright

    html = write_preview(outbox_site, images_load)
    shown = "shown" if images_load else "blocked"
    ARTIFACTS.mkdir(exist_ok=True)
    measured = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            for width in WIDTHS:
                page = browser.new_page(viewport={"width": width, "height": 800})
                page.goto(html.as_uri())
                page.wait_for_load_state("load")
                images = page.eval_on_selector_all("img", "all => all.map(i => i.naturalWidth)")
                assert images == [1200 if images_load else 0] * 2  # both images loaded, or both broken
                measured[width] = page.evaluate("document.documentElement.scrollWidth")
                page.screenshot(path=str(ARTIFACTS / f"digest-{shown}-{width}.png"), full_page=True)
                page.close()
        finally:
            browser.close()

    assert measured == {width: width for width in WIDTHS}  # no sideways scrolling at any width
