"""Rendering pages: the context every template gets, one-time notices, and error pages.

:func:`render` adds the signed-in account, the CSRF token, the language and its switch to the
template context. :func:`exception_handlers` maps web and domain errors to pages in the visitor's
language.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from hub.errors import Conflict, Gone, HubError, InvalidInput, NotFound, PermissionDenied, RateLimited, Suspended
from hub.timezones import DEFAULT_ZONE
from web import csrf
from web.errors import BodyTooLarge, CsrfRejected, SignInRequired, UploadRejected
from web.i18n import LANGUAGES, direction, gettext_for, language_of
from web.sessions import current_account

FLASH_KEY = "flash"


def flash(request: Request, message: str, kind: str = "info") -> None:
    """Keep a message for the next page this session renders (``info`` or ``error``)."""
    queue = list(request.session.get(FLASH_KEY) or [])[-4:]
    queue.append([kind, message])
    request.session[FLASH_KEY] = queue


def _take_flashes(request: Request) -> list[list[str]]:
    if "session" not in request.scope:
        return []
    return list(request.session.pop(FLASH_KEY, None) or [])


def here(request: Request) -> str:
    """The path and query of the request, for "come back here" links."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def page_zone(account: object, group: object) -> str:
    """The time zone a page shows times in: the signed-in person's, else the page's group's, else UTC."""
    return (getattr(account, "time_zone", None) if account is not None else None) or getattr(group, "time_zone", None) \
        or DEFAULT_ZONE


async def _page_context(request: Request, context: dict, *, with_notices: bool = True) -> dict:
    """``context`` with what every template gets: account, CSRF token, language, time zone, notices."""
    account = await current_account(request)
    lang = language_of(request)
    context.update(
        account=account,
        csrf_token=csrf.form_token(request) if "session" in request.scope else "",
        lang=lang,
        dir=direction(lang),
        time_zone=page_zone(account, context.get("group")),
        languages=LANGUAGES,
        here=quote(here(request), safe="/"),
        flashes=_take_flashes(request) if with_notices else [],
    )
    return context


async def render(request: Request, template: str, *, status: int = 200, **context: object) -> HTMLResponse:
    """Render ``template`` with the request, account, CSRF token, language, time zone and notices in its context.

    Times are shown in the signed-in person's zone, else in the zone of the page's group, else UTC.
    """
    context = await _page_context(request, context)
    response = request.app.state.templates.TemplateResponse(request, template, context, status_code=status)
    response.headers["Vary"] = "Accept, Accept-Language, Cookie"
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Content-Language"] = language_of(request)
    return response


async def render_block(request: Request, template: str, block: str, **context: object) -> str:
    """Only ``block`` of ``template``, with the context :func:`render` gives (for web.fragments).

    The block must not show notices: they are taken from the session by the page around it.
    """
    context = await _page_context(request, context, with_notices=False)
    found = request.app.state.templates.get_template(template)
    return "".join(found.blocks[block](found.new_context({**context, "request": request})))


async def error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    """A page explaining an error (already translated ``title`` and ``message``)."""
    return await render(request, "error.html", status=status, title=title, message=message)


def domain_error_status(exc: HubError) -> int:
    """The HTTP status that fits a domain error."""
    if isinstance(exc, Gone):
        return 410
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, RateLimited):
        return 429
    if isinstance(exc, (Conflict, InvalidInput)):
        return 400
    return 500


def domain_error_title(request: Request, exc: HubError) -> str:
    """A translated one-line title for a domain error."""
    _ = gettext_for(request)
    if isinstance(exc, Suspended):
        return _("Suspended")
    if isinstance(exc, Gone):
        return _("Deleted")
    if isinstance(exc, NotFound):
        return _("Not found")
    if isinstance(exc, PermissionDenied):
        return _("You may not do this")
    if isinstance(exc, RateLimited):
        return _("Too many requests")
    if isinstance(exc, Conflict):
        return _("That is not possible right now")
    return _("That did not work")


def error_text(request: Request, exc: HubError) -> str:
    """A domain error as people read it (a notice, or next to a field): its translated kind and what was wrong."""
    return f"{domain_error_title(request, exc)}: {exc}"


def report_error(request: Request, exc: HubError) -> None:
    """Show a domain error on the next page (a notice)."""
    flash(request, error_text(request, exc), "error")


async def _csrf_rejected(request: Request, exc: Exception) -> Response:
    _ = gettext_for(request)
    return await error_page(
        request, 403, _("The form expired"),
        _("The form was missing its security token or it had expired. Go back, reload the page and try again."),
    )


async def _sign_in_required(request: Request, exc: Exception) -> Response:
    return RedirectResponse(f"/login?next={quote(here(request), safe='/')}", status_code=303)


async def _upload_rejected(request: Request, exc: Exception) -> Response:
    _ = gettext_for(request)
    return await error_page(request, 400, _("The file was not accepted"), str(exc))


async def _body_too_large(request: Request, exc: Exception) -> Response:
    _ = gettext_for(request)
    return await error_page(request, 413, _("Too large"),
                            _("What you sent is larger than this form accepts. Sign in first to upload files."))


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HubError)
    return await error_page(request, domain_error_status(exc), domain_error_title(request, exc), str(exc))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    _ = gettext_for(request)
    if exc.status_code == 404:
        return await error_page(request, 404, _("Not found"), _("There is no page at this address."))
    if exc.status_code == 405:
        return await error_page(request, 405, _("Not allowed"), _("This address does not accept that kind of request."))
    return await error_page(request, exc.status_code, _("Something went wrong"), str(exc.detail))


def exception_handlers() -> dict:
    """Exception class -> handler, for Starlette(exception_handlers=...)."""
    return {
        CsrfRejected: _csrf_rejected,
        SignInRequired: _sign_in_required,
        UploadRejected: _upload_rejected,
        BodyTooLarge: _body_too_large,
        HubError: _domain_error,
        HTTPException: _http_error,
    }
