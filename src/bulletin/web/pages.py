"""The HTML pages every endpoint answers with: templates, fixed messages, forms with a CSRF pair."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ..store import Subscriber
from ..subscribers import masked_address
from ..templating import quoted
from .digest_archive import stylesheet_text
from .security import STRICT_CSP, new_csrf_pair, security_headers, set_csrf_cookie
from .state import WebState, web_state


def page(
    state: WebState,
    name: str,
    status: int = 200,
    csp: str = STRICT_CSP,
    language: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page in ``language`` (one of the site's; None: the default)."""
    html = state.env.get_template(f"web/{name}").render(
        site=state.config.site, t=state.texts_in(language), lang=state.language(language), **context
    )
    return HTMLResponse(html, status_code=status, headers=security_headers(csp))


def message_page(
    state: WebState, title: str, text: str, status: int = 200, language: str | None = None
) -> HTMLResponse:
    """A page with a title and one paragraph, both from the language's texts."""
    language = state.language(language)
    html = state.message_pages.get((title, text, language))
    if html is None:
        t = state.texts_in(language)
        html = state.env.get_template("web/message.html.j2").render(
            site=state.config.site, t=t, lang=language, title=t[title], text=t[text], link=None
        )
        state.message_pages[(title, text, language)] = html
    return HTMLResponse(html, status_code=status, headers=security_headers(STRICT_CSP))


def sentence(state: WebState, key: str, subscriber: Subscriber, language: str | None = None) -> Markup:
    """A text with its ``{list}`` (the list's name in «») and ``{address}`` (masked) filled in, in bold."""
    bold = Markup("<strong>{}</strong>")
    name, address = quoted(state.config.site.title), masked_address(subscriber.email)
    text = state.texts_in(language)[key]
    return Markup(escape(text)).format(list=bold.format(name), address=bold.format(address))


def subscriber_page(
    state: WebState,
    title: str,
    text: str,
    subscriber: Subscriber,
    link: tuple[str, str] | None = None,
    language: str | None = None,
) -> HTMLResponse:
    """A message page about one subscriber: a whole sentence naming the list and the masked address,
    and maybe a link (href, text key) to go on from there."""
    t = state.texts_in(language)
    html = state.env.get_template("web/message.html.j2").render(
        site=state.config.site,
        t=t,
        lang=state.language(language),
        title=t[title],
        text=sentence(state, text, subscriber, language),
        link={"href": link[0], "label": t[link[1]]} if link else None,
    )
    return HTMLResponse(html, headers=security_headers(STRICT_CSP))


def not_found(state: WebState, language: str | None = None) -> HTMLResponse:
    return message_page(state, "not_found_title", "not_found_text", 404, language)


def forbidden(state: WebState, language: str | None = None) -> HTMLResponse:
    """The answer to a form posted without its CSRF pair."""
    return message_page(state, "forbidden_title", "forbidden_text", 403, language)


def form_page(state: WebState, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page with a form: a fresh CSRF pair, the nonce in a cookie and its MAC in the form."""
    nonce, mac = new_csrf_pair(state.signer)
    response = page(state, name, status, csrf=mac, **context)
    set_csrf_cookie(response, nonce, secure=state.secure_cookie)
    return response


def action_page(
    state: WebState, action: str, subscriber: Subscriber, language: str | None = None
) -> HTMLResponse:
    """The one-button page of an unsubscribe or confirm link (texts ``<action>_*``), saying which
    address it is about."""
    t = state.texts_in(language)
    return form_page(
        state,
        "action.html.j2",
        language=language,
        title=t[f"{action}_title"],
        question=sentence(state, f"{action}_page_question", subscriber, language),
        button=t[f"{action}_button"],
    )


async def stylesheet(request: Request) -> Response:
    css = stylesheet_text(web_state(request).env)
    return Response(css, media_type="text/css", headers=security_headers(STRICT_CSP))
