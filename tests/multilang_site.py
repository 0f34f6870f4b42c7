"""A digest site that is the three-language Grav site of tests/sites/multilang (ru, kk, en)."""

from __future__ import annotations

import shutil
from pathlib import Path

from .digest_site import DigestSite
from .smtp_server import SmtpServer

MULTILANG_USER = Path(__file__).parent / "sites" / "multilang" / "user"
VACCINATION = ("category", "вакцинация")
DIAGNOSTICS = ("category", "диагностика")
# digest.topics with a label per language, as a clinic writes them.
TOPICS = {
    "category": [
        {"term": "вакцинация", "labels": {"ru": "Вакцинация", "kk": "Екпе", "en": "Vaccination"}},
        {"term": "диагностика", "labels": {"ru": "Диагностика", "kk": "Диагностика", "en": "Diagnostics"}},
    ]
}


def multilang_digest_site(root: Path, smtp: SmtpServer | None, topics: bool = False) -> DigestSite:
    """A DigestSite whose content folder is a copy of the multilang Grav user/ folder
    (with ``topics``: the two topics of TOPICS to choose from)."""
    site = DigestSite(root, smtp)
    shutil.copytree(MULTILANG_USER, site.content, dirs_exist_ok=True)
    site.configure(digest={"topics": TOPICS} if topics else {})
    assert site.config.content.languages is not None
    return site
