"""The next digest of a test site, as `bulletin preview` writes it: what a subscriber would get."""

from __future__ import annotations

from .digest_site import DigestSite


def preview(site: DigestSite, now: str = "2026-04-12T10:00") -> tuple[str, str]:
    """The digest's HTML and text parts."""
    out = site.root / "preview"
    result = site.cli("preview", "--now", now, "--out", str(out))
    assert result.exit_code == 0, result.output
    return (out / "digest.html").read_text(encoding="utf-8"), (out / "digest.txt").read_text(encoding="utf-8")
