"""The page a suspended group's addresses answer with: 410 Gone, saying the administrators suspended it and why."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from federation.responses import wants_activity_json
from web.i18n import gettext_for
from web.rendering import error_page


async def suspended_page(request: Request, reason: str | None) -> Response:
    """410 for ActivityPub clients; for browsers a page naming the suspension and its reason."""
    if wants_activity_json(request):
        return Response(status_code=410)
    _ = gettext_for(request)
    message = _("This group was suspended by the hub's administrators.")
    if reason:
        message = f"{message} {_('Reason:')} {reason}"
    return await error_page(request, 410, _("Suspended"), message)
