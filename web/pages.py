"""Public HTML pages: home (directory), about, group, thread. Each parses, calls a service, renders."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from federation.endpoints import group_document
from federation.responses import wants_activity_json
from federation.sanitize import render_local_text
from hub import __version__
from hub.errors import NotFound
from hub.models import Collaboration, Group, Post
from hub.services import alerts, collaborations, directory, groups, moderation, posts
from web.graph import Partner, collaboration_svg
from web.i18n import gettext_for
from web.pagecache import cached_page
from web.rendering import error_page, render


def group_handle(request: Request, group: Group) -> str:
    """``@slug@domain``."""
    return f"@{group.slug}@{request.app.state.settings.domain}"


@cached_page
async def home(request: Request) -> Response:
    """The hub's front page: what it is, a search box and the directory of public groups."""
    query = request.query_params.get("q", "").strip()[:100]
    entries = await directory.public_directory(query)
    return await render(request, "home.html", groups=entries, query=query)


async def about(request: Request) -> Response:
    """What this hub is, its rules, how to reach its administrators, its software version.

    Administrators' user names are not shown: they are half of a password sign-in, and reports reach
    the administrators without them.
    """
    return await render(request, "about.html", software_version=__version__)


async def group_page(request: Request, group: Group, *, status: int = 200, **extra: object) -> Response:
    """Render a group's page (also used by the join form to show its outcome)."""
    public = group.visibility == "public"
    recent = await posts.recent_posts(group, limit=20) if public else []
    pinned = await directory.pinned_posts(group) if public else []
    count = (await groups.member_counts([group.id])).get(group.id, 0)
    context = dict(
        group=group,
        summary_html=render_local_text(group.summary),
        rules_html=render_local_text(group.rules),
        posts=recent,
        pinned=pinned,
        member_count=count,
        handle=group_handle(request, group),
        collaborations=await directory.collaborations_of(group, request.app.state.urls.group(group.slug)),
        alerts=await alerts.pinned_alerts(group) if public else [],
        join_handle="",
        join_error=None,
        join_search=False,
    )
    context.update(extra)
    return await render(request, "group.html", status=status, **context)


@cached_page
async def group(request: Request) -> Response:
    """A group's page for browsers, its Group actor for ActivityPub clients (same URL, Vary: Accept)."""
    try:
        found = await groups.get_group(request.path_params["slug"])
    except NotFound:
        if wants_activity_json(request):
            return Response(status_code=404)
        _ = gettext_for(request)
        return await error_page(request, 404, _("Not found"), _("There is no group with this name on this hub."))
    if wants_activity_json(request):
        return await group_document(request, found)
    return await group_page(request, found)


@cached_page
async def thread(request: Request) -> Response:
    """A post and its replies."""
    post = await Post.get_or_none(id=request.path_params["post_id"], state="published").prefetch_related("group", "author", "via")
    if post is None or post.visibility not in ("public", "unlisted"):
        _ = gettext_for(request)
        return await error_page(request, 404, _("Not found"), _("This post does not exist or is not public."))
    replies = await Post.filter(thread_uri=post.thread_uri, state="published", visibility__in=["public", "unlisted"]).exclude(id=post.id).order_by("id").prefetch_related("author", "via")
    return await render(request, "thread.html", post=post, replies=replies, group=post.group)


async def _collaboration(request: Request) -> tuple[Collaboration, list[Partner]]:
    """The collaboration of the path and its partners as the map shows them; NotFound otherwise."""
    found = await groups.get_group(request.path_params["slug"])
    collab = await Collaboration.get_or_none(group=found).prefetch_related("group", "host_group")
    if collab is None:
        raise NotFound("this group is not a collaboration")
    shown = []
    for account in await collaborations.partners(collab):
        handle = account.handle or account.uri
        instance = handle.rpartition("@")[2] if account.handle else (urlsplit(account.uri).netloc or account.uri)
        shown.append(Partner(name=account.display_name or handle.partition("@")[0], handle=handle, instance=instance))
    shown.sort(key=lambda p: (p.instance, p.name.lower()))
    return collab, shown


async def collaboration(request: Request) -> Response:
    """A collaboration: its partner groups by instance, and the map of who works with whom."""
    collab, partners = await _collaboration(request)
    by_instance: dict[str, list[Partner]] = {}
    for partner in partners:
        by_instance.setdefault(partner.instance, []).append(partner)
    return await render(
        request, "collaboration.html", collab=collab, group=collab.group, by_instance=by_instance,
        partner_count=len(partners), summary_html=render_local_text(collab.group.summary),
    )


async def collaboration_map(request: Request) -> Response:
    """The collaboration map as an SVG image."""
    collab, partners = await _collaboration(request)
    _ = gettext_for(request)
    description = _("%(name)s: %(groups)d partner groups on %(instances)d instances") % {
        "name": collab.group.name, "groups": len(partners), "instances": len({p.instance for p in partners}),
    }
    svg = collaboration_svg(collab.group.name, partners, description=description)
    return Response(svg, media_type="image/svg+xml", headers={
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        "Cache-Control": "public, max-age=60", "Vary": "Accept-Language, Cookie",
    })


async def moderation_log(request: Request) -> Response:
    """A public group's moderation log: what was done, when and why — never who reported it."""
    _ = gettext_for(request)
    try:
        found = await groups.get_group(request.path_params["slug"])
    except NotFound:
        return await error_page(request, 404, _("Not found"), _("There is no group with this name on this hub."))
    if found.visibility != "public":
        return await error_page(request, 404, _("Not found"), _("The moderation log of a members-only group is not public."))
    before = request.query_params.get("before", "")
    entries = await moderation.public_log(found, limit=50, before_id=int(before) if before.isdigit() else None)
    return await render(request, "moderation_log.html", group=found, entries=entries,
                        next_before=entries[-1].id if len(entries) == 50 else None)
