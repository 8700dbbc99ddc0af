"""Languages of the web interface: gettext catalogs, choosing one per request, and the switch.

Every piece of UI text goes through gettext: templates with Jinja2's i18n extension (``{% trans %}``,
``_()``), Python code with :func:`gettext_for`. The catalogues are the hub's (:mod:`hub.languages`,
``hub/locale``; ``make catalogues`` extracts, updates and compiles them; a test checks they match).

A request's language is the ``lang`` cookie set by the switch on every page, else the language a
signed-in member chose (``Account.language``: on their page, in /preferences, or with the switch, which
also stores it), else the best match of its ``Accept-Language`` header, else English. Messages the hub
sends a person are in their language too (:func:`hub.languages.language_for`).
"""

from __future__ import annotations

import gettext
import logging

from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hub.languages import DEFAULT_LANGUAGE, LANGUAGES, Catalogs, direction
from hub.services import accounts
from web.sessions import current_account

__all__ = ["Catalogs", "DEFAULT_LANGUAGE", "LANGUAGES", "direction", "gettext_for", "language_of", "negotiate"]
log = logging.getLogger("causeway.web")
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def parse_accept_language(header: str) -> list[str]:
    """Primary language subtags of an Accept-Language header, best first (``q=0`` dropped)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        if not tag:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranked.append((-quality, index, tag.split("-")[0]))
    return [tag for _, _, tag in sorted(ranked)]


def negotiate(cookie: str | None, accept_language: str, chosen: str | None = None) -> str:
    """The language for a request: a valid cookie wins, then the member's choice, then Accept-Language, then English."""
    if cookie in LANGUAGES:
        return cookie
    if chosen in LANGUAGES:
        return chosen
    for tag in parse_accept_language(accept_language):
        if tag in LANGUAGES:
            return tag
        if tag == "*":
            break
    return DEFAULT_LANGUAGE


def language_of(request: Request) -> str:
    """The request's language code (cached on the request)."""
    code = getattr(request.state, "language", None)
    if code is None:
        account = getattr(request.state, "account", None)
        code = negotiate(request.cookies.get(COOKIE), request.headers.get("accept-language", ""),
                         account.language if account is not None else None)
        request.state.language = code
    return code


def translations_of(request: Request) -> gettext.NullTranslations:
    """The gettext translations of the request's language."""
    return request.app.state.catalogs.get(language_of(request))


def gettext_for(request: Request):
    """The ``gettext`` function of the request's language, for messages built in Python."""
    return translations_of(request).gettext


def ngettext_for(request: Request):
    """The ``ngettext`` function of the request's language (CLDR plural forms), for counted messages built in Python."""
    return translations_of(request).ngettext


@pass_context
def _template_gettext(context: Context, message: str) -> str:
    request = context.get("request")
    return translations_of(request).gettext(message) if request is not None else message


@pass_context
def _template_ngettext(context: Context, singular: str, plural: str, count: int) -> str:
    request = context.get("request")
    if request is None:
        return singular if count == 1 else plural
    return translations_of(request).ngettext(singular, plural, count)


def install(env) -> None:
    """Add the i18n extension to a Jinja2 environment, translating with each render's request."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(_template_gettext, _template_ngettext, newstyle=True)
    env.globals["language_name"] = _language_name
    env.globals["label"] = _label


def safe_next(target: str | None) -> str:
    """A local path to go back to (never another site): ``/`` unless ``target`` is a plain absolute path."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target or len(target) > 2000:
        return "/"
    return target


def use_account_language(request: Request, code: str | None) -> None:
    """Make a signed-in person's stored language the request's (it beats the cookie and the browser's)."""
    if code in LANGUAGES:
        request.state.language = code


async def switch_language(request: Request) -> Response:
    """GET /language/{code}?next=PATH: remember the chosen language in a cookie (and on the account) and go back.

    An unknown code changes nothing and is logged.
    """
    code = request.path_params["code"]
    response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    if code not in LANGUAGES:
        log.info("language ignored code=%r source=switch", code[:40])
        return response
    remember_language(request, response, code)
    account = await current_account(request)
    if account is not None:
        await accounts.set_preferences(account, language=code, time_zone=account.time_zone)
    return response


def remember_language(request: Request, response: Response, code: str) -> None:
    """Keep ``code`` in this browser's language cookie."""
    response.set_cookie(
        COOKIE, code, max_age=COOKIE_MAX_AGE, httponly=True, samesite="lax",
        secure=request.app.state.settings.scheme == "https",
    )


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, where it is shown."""
    return message


LANGUAGE_NAMES: dict[str, str] = {
    "en": N_("English"), "es": N_("Spanish"), "fr": N_("French"), "de": N_("German"), "it": N_("Italian"),
    "pt": N_("Portuguese"), "nl": N_("Dutch"), "ca": N_("Catalan"), "eu": N_("Basque"), "gl": N_("Galician"),
    "pl": N_("Polish"), "sv": N_("Swedish"), "ja": N_("Japanese"), "zh": N_("Chinese"), "ar": N_("Arabic"),
    "uk": N_("Ukrainian"), "ru": N_("Russian"), "tr": N_("Turkish"), "eo": N_("Esperanto"), "sw": N_("Swahili"),
}
"""Names of the languages posts are most often written in; others are shown by their tag."""


@pass_context
def _language_name(context: Context, tag: str | None) -> str:
    """The translated name of a post's language tag (``es-AR`` -> Spanish), or the tag itself."""
    if not tag:
        return ""
    name = LANGUAGE_NAMES.get(tag.split("-")[0].lower())
    request = context.get("request")
    if name is None:
        return tag
    return translations_of(request).gettext(name) if request is not None else name


LABELS: dict[str, str] = {
    # roles
    "owner": N_("owner"), "admin": N_("admin"), "moderator": N_("moderator"), "member": N_("member"),
    "partner": N_("partner"),
    # membership, post, invite, follow and report states
    "pending": N_("pending"), "accepted": N_("accepted"), "rejected": N_("rejected"), "left": N_("left"),
    "removed": N_("removed"), "gone": N_("gone"), "banned": N_("banned"), "held": N_("held"),
    "published": N_("published"), "deleted": N_("deleted"), "revoked": N_("revoked"), "expired": N_("expired"),
    "used": N_("used"), "undone": N_("undone"), "open": N_("open"), "resolved": N_("resolved"),
    "dismissed": N_("dismissed"), "incoming": N_("incoming"), "outgoing": N_("outgoing"),
    # visibilities
    "public": N_("public"), "unlisted": N_("unlisted"), "members": N_("members only"), "direct": N_("direct"),
}
"""Translatable names of the values (roles, states) the console shows."""


@pass_context
def _label(context: Context, value: str | None) -> str:
    """The translated name of a role or state value (the value itself when unknown)."""
    if not value:
        return ""
    name = LABELS.get(value)
    request = context.get("request")
    if name is None:
        return value
    return translations_of(request).gettext(name) if request is not None else name
