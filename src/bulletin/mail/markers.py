"""The markers a digest is rendered with once, swapped per subscriber when a message is assembled.

Kept apart from the digest composer so the message assembler and the public archive
use them without importing Markdown, CSS inlining and the HTML sanitiser.
"""

from __future__ import annotations

# Per-subscriber values are rendered as these markers once per digest and swapped
# for each subscriber's values when the message is assembled, so the templates are
# not rendered again for every subscriber. They contain nothing that HTML escaping
# or CSS inlining would change.
NAME_MARK = "%%bulletin:subscriber.name%%"
EMAIL_MARK = "%%bulletin:subscriber.email%%"
UNSUBSCRIBE_MARK = "%%bulletin:unsubscribe_url%%"
# The "manage preferences" page (tokens.preferences_url), with its own token per subscriber.
PREFERENCES_MARK = "%%bulletin:preferences_url%%"
MARKS = (NAME_MARK, EMAIL_MARK, UNSUBSCRIBE_MARK, PREFERENCES_MARK)
# The templates wrap everything addressed to one subscriber (greeting, footer with
# the address and unsubscribe link) in these comments; the public archive drops it.
PERSONAL_START = "<!--bulletin:personal-->"
PERSONAL_END = "<!--/bulletin:personal-->"
