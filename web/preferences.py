"""A signed-in person's preferences: the language of pages and messages, and the time zone of times shown."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hub.errors import InvalidInput
from hub.services import accounts
from hub.timezones import zone_names
from web.csrf import checked_form
from web.i18n import COOKIE, COOKIE_MAX_AGE, gettext_for, use_account_language
from web.rendering import flash, render
from web.sessions import require_account


async def preferences(request: Request) -> Response:
    """GET /preferences: the form (sign-in required)."""
    account = await require_account(request)
    return await render(request, "preferences.html", zone_names=zone_names(), chosen_language=account.language or "",
                        chosen_zone=account.time_zone or "")


async def save_preferences(request: Request) -> Response:
    """POST /preferences: store the language and time zone (empty: none chosen); 400 with the form on bad values."""
    account = await require_account(request)
    form = await checked_form(request)
    language, time_zone = str(form.get("language", ""))[:16], str(form.get("time_zone", ""))[:64]
    try:
        await accounts.set_preferences(account, language=language, time_zone=time_zone)
    except InvalidInput:
        _ = gettext_for(request)
        return await render(request, "preferences.html", status=400, zone_names=zone_names(), chosen_language=language,
                            chosen_zone=time_zone, error=_("Choose a language and a time zone from the lists."))
    use_account_language(request, account.language)
    _ = gettext_for(request)
    flash(request, _("Your preferences were saved."))
    response = RedirectResponse("/preferences", status_code=303)
    if account.language:
        response.set_cookie(COOKIE, account.language, max_age=COOKIE_MAX_AGE, httponly=True, samesite="lax",
                            secure=request.app.state.settings.scheme == "https")
    return response
