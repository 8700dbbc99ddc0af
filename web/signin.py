"""Sign-in pages: the instance admin's password, members' one-time links sent by direct message, sign-out.

Opening a link shows a button rather than signing in at once: servers fetch links in messages to
build previews, and such a fetch must not use up the single-use link.
"""

from __future__ import annotations

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from federation.errors import FederationError
from federation.remote import account_for
from federation.webfinger import parse_handle, resolve_handle
from hub.errors import NotFound, PermissionDenied, RateLimited
from hub.languages import language_for
from hub.services import directory, instance, profiles, signin
from web import sessions
from web.csrf import checked_form
from web.i18n import gettext_for, language_of, safe_next
from web.rendering import flash, render


def client_address(request: Request) -> str:
    """The client address of the request: the TCP peer, or the forwarded client behind a trusted proxy (web.proxies).

    The sign-in limits (links per address, wrong passwords per address) count by it.
    """
    return request.client.host if request.client else "unknown"


def _wait_message(_, seconds: int) -> str:
    """The "too many wrong passwords" message with the wait in seconds, or in minutes when it is over two."""
    if seconds <= 120:
        return _("Too many wrong passwords. Wait %(seconds)s seconds, then try again.") % {"seconds": seconds}
    return _("Too many wrong passwords. Wait %(minutes)s minutes, then try again.") % {"minutes": -(-seconds // 60)}


async def login(request: Request) -> Response:
    """GET /login: the two ways to sign in."""
    return await render(request, "login.html", next=safe_next(request.query_params.get("next")), handle="", username="")


async def login_password(request: Request) -> Response:
    """POST /login/password: the instance admin's local account."""
    form = await checked_form(request)
    username = str(form.get("username", "")).strip()[:64]
    target = safe_next(str(form.get("next", "")))
    _ = gettext_for(request)
    try:
        account = await signin.password_sign_in(username, str(form.get("password", ""))[:1024], address=client_address(request))
    except RateLimited as exc:
        response = await render(
            request, "login.html", status=429, next=target, handle="", username=username,
            password_error=_wait_message(_, exc.retry_after or 1),
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if account is None:
        return await render(
            request, "login.html", status=401, next=target, handle="", username=username,
            password_error=_("That user name and password do not match."),
        )
    await sessions.sign_in(request, account)
    flash(request, _("You are signed in."))
    return RedirectResponse(target if target != "/" else "/console", status_code=303)


async def login_link(request: Request) -> Response:
    """POST /login/link: send a sign-in link to a fediverse account by direct message."""
    form = await checked_form(request)
    handle = str(form.get("handle", "")).strip()[:320]
    target = safe_next(str(form.get("next", "")))
    _ = gettext_for(request)

    async def again(status: int, error: str) -> Response:
        return await render(request, "login.html", status=status, next=target, handle=handle, username="", link_error=error)

    try:
        parse_handle(handle)
    except FederationError:
        return await again(400, _("“%(handle)s” is not a fediverse handle. Write it as @name@server.example.") % {"handle": handle})
    try:
        await signin.charge_address(client_address(request))
    except RateLimited:
        return await again(429, _("Too many sign-in links were asked for from your address. Use the last one you received, or try again in an hour."))
    fed = request.app.state.federation
    try:
        account = await account_for(fed, await resolve_handle(fed, handle))
    except FederationError as exc:
        return await again(502, _("We could not look up %(handle)s: %(reason)s") % {"handle": handle, "reason": exc.reason})
    settings = request.app.state.settings
    page_language = language_of(request)

    async def send_link() -> None:
        # The message is in the person's language (their choice, else their posts'), else the page's.
        language = await language_for(account, fallback=page_language)
        text = request.app.state.catalogs.get(language).gettext(
            "Your sign-in link for Causeway at %(domain)s. It works once, for 15 minutes. If you did not ask for it, "
            "ignore this message.") % {"domain": settings.domain}
        try:
            await signin.request_link(
                account, address=client_address(request), text=text,
                open_group_creation=await instance.open_group_creation(settings.open_group_creation),
                link_for=lambda token: f"{settings.base_url}/login/link/{token}", language=language,
            )
        except PermissionDenied:
            return  # a local account: nothing is sent (they use their password)
        fed.wake_worker()

    # Whether a link is sent (a member) or not (anyone else) is decided after the answer has gone,
    # so neither the page nor its timing tells a stranger who is a member here.
    response = await render(request, "login_sent.html", handle=handle)
    response.background = BackgroundTask(send_link)
    return response


async def link_landing(request: Request) -> Response:
    """GET /login/link/{token}: show whom the link signs in as, with a button (the link is not used yet)."""
    token = request.path_params["token"]
    _ = gettext_for(request)
    try:
        account = await signin.pending_link(token)
    except NotFound:
        return await render(request, "login_link.html", status=410, token=None, link_account=None,
                            message=_("This sign-in link is unknown, already used or expired. Ask for a new one."))
    return await render(request, "login_link.html", token=token, link_account=account, message=None)


async def link_redeem(request: Request) -> Response:
    """POST /login/link/{token}: use the link and start the session."""
    await checked_form(request)
    _ = gettext_for(request)
    try:
        account = await signin.redeem_link(request.path_params["token"])
    except NotFound:
        return await render(request, "login_link.html", status=410, token=None, link_account=None,
                            message=_("This sign-in link is unknown, already used or expired. Ask for a new one."))
    await sessions.sign_in(request, account)
    flash(request, _("You are signed in."))
    settings = request.app.state.settings
    open_creation = await instance.open_group_creation(settings.open_group_creation)
    organises = profiles.may_create_groups(account, open_group_creation=open_creation) \
        or bool(await directory.organised_groups(account))
    return RedirectResponse("/console" if organises else "/me", status_code=303)


async def logout(request: Request) -> Response:
    """POST /logout."""
    await checked_form(request)
    await sessions.sign_out(request)
    _ = gettext_for(request)
    flash(request, _("You are signed out."))
    return RedirectResponse("/", status_code=303)
