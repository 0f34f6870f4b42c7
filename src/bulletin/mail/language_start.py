"""From when posts in the site's other languages count as new for digests.

Before subscribers had languages, a multi-language site's digests held its default
language's posts only. The first run that reads every language would otherwise find
every Kazakh and English post since digest.start "new" and send them all at once; they
count from that run on instead (kept in the store's meta, so the moment never moves).
A store without digests yet has nothing to catch up on: there digest.start holds for all.
"""

from __future__ import annotations

import datetime as dt

from ..store import Store

SINCE_KEY = "other_languages_since"  # meta key


def other_languages_start(store: Store, start: dt.datetime, now: dt.datetime, *, record: bool) -> dt.datetime:
    """The moment posts outside the default language count from; noted in the store when ``record``."""
    kept = store.meta(SINCE_KEY)
    if kept is not None:
        return dt.datetime.fromisoformat(kept)
    since = now if store.next_digest_number() > 1 else start
    if record:
        store.set_meta(SINCE_KEY, since.isoformat())
    return since
