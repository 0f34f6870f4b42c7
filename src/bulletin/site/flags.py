"""Yes/no page headers (published, routable, feed.skip, ...) read as Grav reads them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# The spellings of yes and no that flag() takes for a header such as routable.
_TRUE_STRINGS = {"true", "yes", "on", "1"}
_FALSE_STRINGS = {"false", "no", "off", "0"}
# Plain YAML 1.1 false words: PHP's yaml extension, which Grav tries first where it is
# installed, reads `published: no` as false; Symfony YAML reads the text "no".
_YAML11_FALSE = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N"}


def published_flag(value: Any) -> bool:
    """Grav's ``published``: PHP's (bool) of the header value (Page::header), true when absent.

    So text is true unless it is "" or "0", a number unless it is 0, a list unless empty:
    ``published: 'draft'`` publishes, as on the Grav site. One deliberate difference: the
    words YAML 1.1 reads as false (``no``, ``off``, ``false`` as text) keep the page out,
    as on a Grav host with PHP's yaml extension, since mailing a draft cannot be undone.
    """
    if value is None or isinstance(value, bool):
        return value is not False
    if isinstance(value, str):
        return value not in _YAML11_FALSE and value not in ("", "0")
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, (list, dict)):
        return bool(value)
    return True  # a date: PHP casts any object to true


def published_note(path: str, value: Any) -> str | None:
    """A check warning for a ``published`` header given as text, which Grav reads by PHP's rules."""
    if not isinstance(value, str):
        return None
    if published_flag(value):
        return (
            f"{path}: published: {value!r} is text, which Grav (PHP) reads as true: the page is"
            " published; write published: true or false"
        )
    if value in ("", "0"):
        return None
    return (
        f"{path}: published: {value!r} is text: Grav publishes the page unless PHP's yaml extension"
        " reads it as false; bulletin keeps it out; write published: false"
    )


def flag(header: dict[str, Any], key: str, default: bool, path: str | Path, problems: list[str]) -> bool:
    """A yes/no header (routable, hide_from_post_list, ...): anything but a yes or a no is a problem."""
    value = header.get(key, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, (str, int)) and str(value).strip().lower() in _TRUE_STRINGS:
        return True
    if isinstance(value, (str, int)) and str(value).strip().lower() in _FALSE_STRINGS:
        return False
    if value is None:
        return default
    problems.append(f"{path}: '{key}' must be true or false, not {value!r:.40}")
    return default
