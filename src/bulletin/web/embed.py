"""`bulletin embed`: the sign-up form for the site's own pages, as HTML or as a Grav Twig partial."""

from __future__ import annotations

from typing import Any

import jinja2
from markupsafe import escape

from ..config import Config
from ..errors import BulletinError
from ..i18n import texts
from ..preferences import site_languages
from ..templating import template_environment
from .choices import topic_options
from .languages import language_name

HTML_TEMPLATE = "embed/subscribe_form.html.j2"
TWIG_TEMPLATE = "embed/subscribe_form.html.twig.j2"
STYLE = "embed/style.css"
# The texts the form shows: all of them, per language, go into the Twig partial.
FORM_TEXTS = (
    "email_label",
    "name_label",
    "language_label",
    "topics_label",
    "topics_hint",
    "subscribe_button",
)


def embed_snippet(config: Config, language: str | None = None, twig: bool = False) -> str:
    """The form as HTML in ``language`` (default: the site's), or as a Twig partial in every language."""
    languages = site_languages(config)
    if language is not None and language not in languages:
        raise BulletinError(
            f"--lang {language!r} is not one of the site's languages ({', '.join(languages)})"
        )
    env = template_environment(config)
    context: dict[str, Any] = {
        "site": config.site,
        "action": f"{config.web.url}/subscribe",
        "style": env.get_template(STYLE).render(),
        "languages": tuple((code, language_name(code)) for code in languages),
    }
    if twig:
        return _twig_partial(config, env, context, languages)
    lang = language or languages[0]
    return env.get_template(HTML_TEMPLATE).render(
        context, lang=lang, t=texts(lang), topics=topic_options(config, lang)
    )


def embed_warnings(config: Config) -> list[str]:
    """What keeps the printed form from working yet."""
    if not config.web.allowed_origins:
        return [
            "web.allowed_origins is empty: `bulletin serve` refuses this form on other sites until"
            " it lists your site's origin (and web.after_subscribe the page to return to)"
        ]
    return []


def _twig_partial(
    config: Config, env: jinja2.Environment, context: dict[str, Any], languages: tuple[str, ...]
) -> str:
    # Jinja writes Twig here: its own delimiters differ, so Twig's pass through untouched.
    twig_env = jinja2.Environment(
        loader=env.loader,
        block_start_string="[%",
        block_end_string="%]",
        variable_start_string="[[",
        variable_end_string="]]",
        comment_start_string="[#",
        comment_end_string="#]",
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    twig_env.filters.update(twig=twig_literal, twig_text=twig_text, twig_comment=twig_comment)
    return twig_env.get_template(TWIG_TEMPLATE).render(
        context,
        default=languages[0],
        texts={code: {key: texts(code)[key] for key in FORM_TEXTS} for code in languages},
        topics={code: topic_options(config, code) for code in languages},
    )


def twig_literal(value: Any) -> str:
    """``value`` (strings, lists, tuples, dicts of them) as a Twig expression.

    Strings are single-quoted: Twig unescapes them with stripcslashes, and only a
    double-quoted string would read #{...} as an interpolation.
    """
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{twig_literal(str(k))}: {twig_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(twig_literal(item) for item in value) + "]"
    raise TypeError(f"no Twig literal for {type(value).__name__}")


def twig_text(value: str) -> str:
    """Text in the partial's markup: HTML-escaped, and no brace Twig could take for a tag."""
    return str(escape(value)).replace("{", "&#123;").replace("}", "&#125;")


def twig_comment(value: str) -> str:
    """Text inside a Twig comment, which the first ``#}`` would end."""
    return value.replace("#}", "# }")
