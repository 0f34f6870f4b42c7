"""Which posts go into the next digest, and the digest rendered from Jinja2 templates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote

import css_inline
import jinja2
import lxml.html
import nh3
from markupsafe import Markup

from ..archive_links import archive_path
from ..config import Config
from ..errors import TemplateError
from ..i18n import long_date as localised_date
from ..i18n import texts
from ..site.images import file_beside_post, is_missing_file, pixel_size
from ..site.posts import Post
from ..site.render import html_to_text, render_post
from ..store import RenderedDigest, RenderedVariant
from ..templating import template_environment
from .markers import EMAIL_MARK, NAME_MARK, PREFERENCES_MARK, UNSUBSCRIBE_MARK
from .messages import one_line

HTML_TEMPLATE = "digest.html.j2"
TEXT_TEMPLATE = "digest.txt.j2"

# The content column of the 600 px mail: a header image is at most this wide.
HERO_WIDTH = 544
# The box a logo is scaled into, in CSS pixels: a logo of any size keeps its proportions.
LOGO_BOX = (200, 60)

# Two renderings (RenderedDigest's fields): with a name (templates can say
# "Hello, {{ subscriber.name }}") and without one (so `{% if subscriber.name %}` still works).
VARIANTS = ("named", "anonymous")


def long_date(moment: dt.datetime, config: Config, language: str | None = None) -> str:
    """``moment`` as a long date in the site's time zone and ``language`` (the site's when
    None): "12 апреля 2022", "12 сәуір 2022"."""
    return localised_date(moment, config.site.timezone, language or config.site.language)


def email_safe_html(html: str) -> str:
    """Post HTML as it may appear in an email: through nh3 (the ammonia sanitiser).

    Feeds keep the author's HTML, since readers sanitise it themselves; a mail
    client may not, so script, iframe, form, style and event-handler attributes
    are removed before a post's HTML reaches a digest.
    """
    return str(nh3.clean(html, link_rel=None))


def _image_sources(html: str) -> set[str]:
    if "<img" not in html:
        return set()
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    return {unquote(src) for image in root.iter("img") if (src := image.get("src"))}


def _hero(post: Post, image: str | None, summary_html: str) -> dict[str, Any] | None:
    """The image above a post's title, unless the summary shows it already (or it has none).

    A file beside the post is shown at its own width when narrower than the column, not
    stretched; an image elsewhere cannot be measured and fills the column.
    """
    if image is None or unquote(image) in _image_sources(summary_html):
        return None
    size = pixel_size(file_beside_post(post, image))
    return {"url": image, "width": min(size[0], HERO_WIDTH) if size else HERO_WIDTH}


def _post_context(post: Post, config: Config, language: str) -> dict[str, Any]:
    rendered = render_post(post, config.site.url, config.content.summary_size, config.content.markdown)
    summary = email_safe_html(rendered.summary_html)
    # Asked at every rendering, not cached with the post: the file may be added later.
    image = None if is_missing_file(post, rendered.image) else rendered.image
    return {
        "title": post.title,
        "url": post.url,
        "date": long_date(post.date, config, language),
        "date_iso": post.date.isoformat(),
        "summary_html": Markup(summary),
        "summary_text": html_to_text(summary),
        "has_more": rendered.has_more and post.continue_link,
        "image": image,
        "hero": _hero(post, image, summary),
        "tags": list(dict.fromkeys(post.tags + post.categories)),
    }


def _logo(config: Config) -> dict[str, Any] | None:
    """The logo's URL and size (scaled into LOGO_BOX); a remote one is only limited by CSS."""
    if config.digest.logo is None:
        return None
    size = pixel_size(config.digest.logo_file)
    if size is None:
        return {"url": config.digest.logo, "width": None, "height": None}
    scale = min(1.0, LOGO_BOX[0] / size[0], LOGO_BOX[1] / size[1])
    return {"url": config.digest.logo, "width": round(size[0] * scale), "height": round(size[1] * scale)}


def _digest_context(config: Config, number: int, now: dt.datetime, language: str) -> dict[str, Any]:
    # A multi-language site's archive lists each language's digests apart (/kk/archive/N/).
    archive_language = language if config.content.languages is not None else None
    return {
        "number": number,
        "date": long_date(now, config, language),
        # The public archive copy: served by `bulletin serve` at once, written by `bulletin build`
        # as archive/N/index.html (so with the slash both are the same address).
        "url": config.web.url + archive_path(number, archive_language),
        "logo": _logo(config),
        "footer_lines": [line.strip() for line in config.digest.footer.splitlines() if line.strip()],
    }


def render_digest(
    config: Config, posts: Sequence[Post], number: int, now: dt.datetime, language: str | None = None
) -> RenderedDigest:
    """The digest of ``posts`` with every text around them in ``language`` (the site's when None)."""
    language = language or config.site.language
    env = template_environment(config)
    site = {
        "title": config.site.title,
        "url": config.site.url,
        "description": config.site.description,
        "language": language,
    }
    context: dict[str, Any] = {
        "site": site,
        "posts": [_post_context(post, config, language) for post in posts],
        "unsubscribe_url": UNSUBSCRIBE_MARK,
        "preferences_url": PREFERENCES_MARK,
        "digest": _digest_context(config, number, now, language),
        "t": texts(language),
    }
    variants: dict[str, RenderedVariant] = {}
    try:
        html_template = env.get_template(HTML_TEMPLATE)
        text_template = env.get_template(TEXT_TEMPLATE)
        subject_template = env.from_string(config.digest.subject)
        for variant in VARIANTS:
            context["subscriber"] = {
                "email": EMAIL_MARK,
                "name": NAME_MARK if variant == "named" else None,
            }
            html = css_inline.inline(html_template.render(context))
            variants[variant] = RenderedVariant(
                subject=one_line(subject_template.render(context)),
                text=text_template.render(context),
                html=html,
            )
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{exc.filename or 'digest.subject'}:{exc.lineno}: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"template not found: {exc.name}") from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"template error: {exc.message}") from None
    except Exception as exc:  # noqa: BLE001 - a template may fail in any way; say which, in one line
        raise TemplateError(f"template error: {type(exc).__name__}: {exc}") from None
    return RenderedDigest(named=variants["named"], anonymous=variants["anonymous"])
