"""The Jinja2 environment for digests, web pages and confirmation mail: the site's templates first."""

from __future__ import annotations

import jinja2

from .config import Config


def template_environment(config: Config) -> jinja2.Environment:
    """The site's templates folder first, then the defaults shipped with bulletin."""
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [
                jinja2.FileSystemLoader(config.digest.templates_dir),
                jinja2.PackageLoader("bulletin", "templates"),
            ]
        ),
        autoescape=jinja2.select_autoescape(["html", "html.j2", "xsl.j2"], default_for_string=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["quoted"] = quoted
    return env


def quoted(text: str) -> str:
    """«text», with quotes inside it turned into „inner“ ones: «Центр „Шипагер“», not «Центр «Шипагер»»."""
    inner = text.replace("«", "„").replace("»", "“")
    return f"«{inner}»"
