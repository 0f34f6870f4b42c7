"""A digest site that is the three-language Grav site of tests/sites/multilang (ru, kk, en)."""

from __future__ import annotations

import shutil
from pathlib import Path

from .digest_site import DigestSite
from .smtp_server import SmtpServer

MULTILANG_USER = Path(__file__).parent / "sites" / "multilang" / "user"


def multilang_digest_site(root: Path, smtp: SmtpServer | None) -> DigestSite:
    """A DigestSite whose content folder is a copy of the multilang Grav user/ folder."""
    site = DigestSite(root, smtp)
    shutil.copytree(MULTILANG_USER, site.content, dirs_exist_ok=True)
    site.configure()
    assert site.config.content.languages is not None
    return site
