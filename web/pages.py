"""Public HTML pages: home (directory), about, group, thread. Each parses, calls a service, renders."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from federation.endpoints import group_document, wants_activity_json
from federation.sanitize import render_local_text
from hub import __version__
from hub.errors import NotFound
from hub.models import Group, Post
from hub.services import groups, posts


def render(request: Request, template: str, status: int = 200, **context: object) -> HTMLResponse:
    """Render a template with the request in its context."""
    response = request.app.state.templates.TemplateResponse(request, template, context, status_code=status)
    response.headers["Vary"] = "Accept"
    return response


async def home(request: Request) -> Response:
    """The hub's front page: what it is, a search box and the directory of public groups."""
    query = request.query_params.get("q", "").strip()[:100]
    directory = await groups.list_groups()
    if query:
        needle = query.lower()
        directory = [g for g in directory if needle in g.name.lower() or needle in g.slug or needle in g.summary.lower()]
    return render(request, "home.html", groups=directory, query=query)


async def about(request: Request) -> Response:
    """What this hub is, its software version."""
    return render(request, "about.html", software_version=__version__)


async def group(request: Request) -> Response:
    """A group's page for browsers, its Group actor for ActivityPub clients (same URL, Vary: Accept)."""
    try:
        found = await groups.get_group(request.path_params["slug"])
    except NotFound:
        if wants_activity_json(request):
            return Response(status_code=404)
        return render(request, "error.html", status=404, message="There is no group with this name on this hub.")
    if wants_activity_json(request):
        return await group_document(request, found)
    public_only = found.visibility == "public"
    recent = await posts.recent_posts(found, limit=20) if public_only else []
    pinned = [p for p in recent if p.pinned]
    count = (await groups.member_counts([found.id])).get(found.id, 0)
    return render(
        request,
        "group.html",
        group=found,
        summary_html=render_local_text(found.summary),
        rules_html=render_local_text(found.rules),
        posts=recent,
        pinned=pinned,
        member_count=count,
        handle=f"@{found.slug}@{request.app.state.settings.domain}",
    )


async def thread(request: Request) -> Response:
    """A post and its replies."""
    post = await Post.get_or_none(id=request.path_params["post_id"], state="published").prefetch_related("group", "author")
    if post is None or post.visibility not in ("public", "unlisted"):
        return render(request, "error.html", status=404, message="This post does not exist or is not public.")
    replies = await Post.filter(thread_uri=post.thread_uri, state="published", visibility__in=["public", "unlisted"]).exclude(id=post.id).order_by("id").prefetch_related("author")
    group_row: Group = post.group
    return render(request, "thread.html", post=post, replies=replies, group=group_row)
