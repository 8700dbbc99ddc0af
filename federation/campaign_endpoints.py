"""Serving the group's own campaign objects (calls, alerts, campaign notes) at their ids as ActivityStreams.

Mastodon fetches an object by its id when someone searches for it, opens a reply thread or votes;
these answer with the same document the group sent in its Create (Update of a call: fresh counts).
Direct messages are not served. Authorized fetch applies as to every other object.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from federation.campaign_objects import alert_note, call_question, campaign_note, with_context
from federation.endpoints import signed_fetch_refusal
from federation.features import decisions, library, organisers
from federation.integrity import served_with_proof
from federation.responses import ActivityResponse, error_response, fed_of
from hub.models import Alert, Announcement, CallToAction, Campaign, Group
from hub.services import calls

FEATURE_DOCUMENTS = {**decisions.OBJECT_DOCUMENTS, **library.OBJECT_DOCUMENTS}
"""Object kinds of other features: kind -> (urls, group, id) -> document or None."""
FEATURE_PAGES = {**decisions.OBJECT_PAGES, **library.OBJECT_PAGES}
"""Object kinds of other features: kind -> (urls, slug, id) -> the HTML page browsers are sent to."""


async def object_document(request: Request, group: Group, kind: str, ident: int) -> Response:
    """The AS2 document of ``{group}/objects/{kind}/{ident}``, or 404."""
    refusal = await signed_fetch_refusal(request)
    if refusal is not None:
        return refusal
    urls = fed_of(request).urls
    translations = fed_of(request).catalogs.get(group.language)
    if group.visibility != "public":
        return error_response(404, "no such object")
    if kind in FEATURE_DOCUMENTS:
        doc = await FEATURE_DOCUMENTS[kind](urls, group, ident)
        if doc is None:
            return error_response(404, f"no such {kind}")
    elif kind == "call":
        call = await CallToAction.get_or_none(id=ident, group=group)
        if call is None:
            return error_response(404, "no such call")
        campaign = await Campaign.get_or_none(id=call.campaign_id) if call.campaign_id else None
        counted = (await calls.status(call)).counted
        doc = call_question(urls, group, call, counted=counted, campaign=campaign, image=await call.image,
                            translations=translations)
    elif kind == "alert":
        alert = await Alert.get_or_none(id=ident, group=group)
        if alert is None:
            return error_response(404, "no such alert")
        campaign = await Campaign.get_or_none(id=alert.campaign_id) if alert.campaign_id else None
        doc = alert_note(urls, group, alert, campaign=campaign, image=await alert.image, translations=translations)
    elif kind == "campaign":
        campaign = await Campaign.get_or_none(id=ident, group=group)
        if campaign is None:
            return error_response(404, "no such campaign")
        doc = campaign_note(urls, group, campaign, translations=translations)
    elif kind == organisers.KIND:
        announcement = await Announcement.get_or_none(id=ident, group=group)
        if announcement is None:
            return error_response(404, "no such announcement")
        if announcement.state != "published":
            return error_response(410, "the announcement was deleted")
        doc = await organisers.document(urls, group, announcement)
    else:
        return error_response(404, "no such object")
    signed = await served_with_proof(group, urls.group(group.slug), with_context(doc))
    return ActivityResponse(signed, headers={"Vary": "Accept"})
