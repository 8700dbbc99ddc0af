"""“Join from your instance”: a visitor types their handle and is sent to their own server to follow.

Their server's "follow from another server" template (WebFinger rel
``http://ostatus.org/schema/1.0/subscribe``) gets the group's actor id as ``{uri}``; a server that
has none gets the visitor a hint of what to search for instead.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from federation.errors import DiscoveryError
from federation.webfinger import parse_handle, subscribe_template
from hub.services import groups
from web.csrf import checked_form
from web.i18n import gettext_for
from web.pages import group_page


async def join(request: Request) -> Response:
    """POST /groups/{slug}/join: look up the visitor's subscribe template and redirect there."""
    group = await groups.get_group(request.path_params["slug"])
    form = await checked_form(request)
    handle = str(form.get("handle", "")).strip()[:320]
    _ = gettext_for(request)
    try:
        _name, host = parse_handle(handle)
    except DiscoveryError:
        message = _("“%(handle)s” is not a fediverse handle. Write it as @name@server.example.") % {"handle": handle}
        if not handle:
            message = _("Type your fediverse handle, for example @alex@mastodon.social.")
        return await group_page(request, group, status=400, join_handle=handle, join_error=message)
    fed = request.app.state.federation
    try:
        template = await subscribe_template(fed, handle)
    except DiscoveryError as exc:
        message = _("We could not reach %(server)s to look up %(handle)s. Check the handle, or try again later.") % {
            "server": host, "handle": handle,
        }
        return await group_page(
            request, group, status=502, join_handle=handle, join_error=f"{message} ({exc.reason})"
        )
    if template is None:
        return await group_page(request, group, join_handle=handle, join_search=host)
    actor = fed.urls.group(group.slug)
    return RedirectResponse(template.replace("{uri}", quote(actor, safe="")), status_code=303)
