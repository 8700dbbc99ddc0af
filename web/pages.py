"""Public HTML pages: home (directory), about, group, thread. Each parses, calls a service, renders.

Members-only posts show on a group's page and thread pages only to its signed-in accepted members;
everyone else (visitors, other accounts, pending, banned and former members, members of other
groups, instance admins who are not members) sees the public posts of public groups only.
A deleted group's page and actor answer 410 Gone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit


from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from federation.endpoints import group_document
from federation.post_media import TAG_RE, hashtag_pattern, post_media
from federation.responses import wants_activity_json
from federation.sanitize import render_local_text
from hub import __version__
from hub.errors import Gone, NotFound, Suspended
from hub.models import Account, Collaboration, Group, Post, RemoteActor
from hub.places import locate
from hub.services import alerts, announcements, collaborations, directory, groups, members, moderation, posts
from web.activity import activity_section
from web.gathering_pages import gathering_section
from web.graph import Partner, collaboration_svg
from web.i18n import gettext_for, language_of, ngettext_for
from web.pagecache import cached_page
from web.rendering import error_page, page_zone, render, render_block
from web.sessions import current_account
from web.suspension import suspended_page


def group_handle(request: Request, group: Group) -> str:
    """``@slug@domain``."""
    return f"@{group.slug}@{request.app.state.settings.domain}"


@cached_page
async def home(request: Request) -> Response:
    """The hub's front page: what it is, a search box and the directory of public groups."""
    query = request.query_params.get("q", "").strip()[:100]
    entries = await directory.public_directory(query)
    return await render(request, "home.html", groups=entries, query=query)


async def favicon(request: Request) -> Response:
    """GET /favicon.ico (asked for by browsers and feed readers whatever the page links): the SVG icon."""
    return RedirectResponse(request.app.state.urls.base + "/static/favicon.svg", status_code=301)


async def about(request: Request) -> Response:
    """What this hub is, its rules, how to reach its administrators, its software version.

    Administrators' user names are not shown: they are half of a password sign-in, and reports reach
    the administrators without them.
    """
    return await render(request, "about.html", software_version=__version__)


async def reads_members_posts(request: Request, group: Group) -> bool:
    """Whether the visitor is a signed-in accepted member of ``group`` (and so reads its members-only posts)."""
    account = await current_account(request)
    return account is not None and await members.is_member(group, account)


PAGE_SIZE = 20
"""Posts per page of a group's posts (older ones by ``?before=ID``: a stable URL, whatever is posted since)."""


def _before(request: Request) -> int | None:
    raw = request.query_params.get("before", "")
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


async def group_page(request: Request, group: Group, *, status: int = 200, **extra: object) -> Response:
    """Render a group's page (also used by the join form to show its outcome): newest posts (``?before=ID`` for
    older ones, ``?q=`` to search them), pinned posts, the weekly activity chart and the ways to join.

    The main part (posts, counts, alerts, announcements, gatherings, the chart) is shared by every reader in
    the same language, time zone, view (members' or public) and page of posts: kept in web.fragments until
    content changes.
    """
    member = await reads_members_posts(request, group)
    public = group.visibility == "public" or member
    if not public or extra:
        return await render(request, "group.html", status=status,
                            **{**(await _group_context(request, group, member, public)), **extra})
    key = ("group", group.id, group.updated_at, member, language_of(request),
           page_zone(await current_account(request), group), _query(request), _before(request))

    async def main() -> str:
        return await render_block(request, "group.html", "main", **(await _group_context(request, group, member, public)))

    return await render(request, "group.html", status=status, group=group,
                        main_html=await request.app.state.fragments.get(request, key, main))


def _query(request: Request) -> str:
    return " ".join(request.query_params.get("q", "").split())[:100]


async def _group_context(request: Request, group: Group, member: bool, public: bool) -> dict:
    """What a group page's main part shows."""
    query = _query(request)
    before = _before(request)
    recent = await posts.recent_posts(group, limit=PAGE_SIZE + 1, public_only=not member, before_id=before, text=query or None) if public else []
    pinned = await directory.pinned_posts(group) if public and not (before or query) else []
    count = (await groups.member_counts([group.id])).get(group.id, 0) if public else None  # a private group's size is not public
    return dict(
        group=group,
        summary_html=render_local_text(group.summary),
        rules_html=render_local_text(group.rules),
        posts=recent[:PAGE_SIZE],
        older=recent[PAGE_SIZE - 1].id if len(recent) > PAGE_SIZE else None,
        paged=before is not None,
        query=query,
        pinned=pinned,
        member_count=count,
        handle=group_handle(request, group),
        collaborations=await directory.collaborations_of(group, request.app.state.urls.group(group.slug)),
        alerts=await alerts.pinned_alerts(group) if public else [],
        announcements=await announcements.shown(group) if public else [],
        **(await gathering_section(group) if public else {}),
        **(await activity_section(request, group, public_only=not member) if public and not (before or query) else {}),
        suggested_servers=request.app.state.settings.suggested_servers,
        join_handle="",
        join_error=None,
        join_search=False,
        members_view=member,
    )


@cached_page
async def hashtag(request: Request) -> Response:
    """GET /groups/{slug}/tags/{tag}: a group's posts with a hashtag, newest first (``?before=ID`` for older ones)."""
    _ = gettext_for(request)
    found = await groups.get_group(request.path_params["slug"])
    tag = request.path_params["tag"].casefold()
    member = await reads_members_posts(request, found)
    if not TAG_RE.match(tag) or (found.visibility != "public" and not member):
        return await error_page(request, 404, _("Not found"), _("There is no such hashtag page."))
    before = _before(request)
    rows = await posts.recent_posts(found, limit=PAGE_SIZE + 1, public_only=not member, before_id=before,
                                    stored_text=hashtag_pattern(tag))
    # the page is the PAGE_SIZE rows the search found (a stored text may name the tag without carrying it: those
    # are left out); one row more means older ones exist, before the last row of this page
    older = rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None
    return await render(request, "hashtag.html", group=found, tag=tag,
                        posts=[p for p in rows[:PAGE_SIZE] if tag in post_media(p).hashtags], older=older)


@cached_page
async def group(request: Request) -> Response:
    """A group's page for browsers, its Group actor for ActivityPub clients (same URL, Vary: Accept)."""
    try:
        found = await groups.get_group(request.path_params["slug"])
    except Suspended as exc:
        return await suspended_page(request, exc.reason)
    except Gone:
        if wants_activity_json(request):
            return Response(status_code=410)
        _ = gettext_for(request)
        return await error_page(request, 410, _("Deleted"), _("This group was deleted by its organisers."))
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
    post = await posts.published_with_group(request.path_params["post_id"])
    member = post is not None and post.group.deleted_at is None and await reads_members_posts(request, post.group)
    shown = ["public", "unlisted", "members"] if member else ["public", "unlisted"]
    if post is not None and post.group.suspended_at is not None:
        return await suspended_page(request, post.group.suspension_reason)
    if post is None or post.visibility not in shown or post.group.deleted_at is not None \
            or (post.group.visibility != "public" and not member):
        _ = gettext_for(request)
        return await error_page(request, 404, _("Not found"), _("This post does not exist or is not public."))
    key = ("thread", post.id, post.group.updated_at, member, language_of(request),
           page_zone(await current_account(request), post.group))

    async def main() -> str:
        replies = await Post.filter(thread_uri=post.thread_uri, group=post.group, state="published", visibility__in=shown) \
            .exclude(id=post.id).order_by("id").limit(500).prefetch_related("author__remote", "via")
        await post.fetch_related("author__remote", "via")
        return await render_block(request, "thread.html", "main", post=post, replies=reply_tree(post, replies),
                                  reply_count=len(replies), group=post.group)

    return await render(request, "thread.html", post=post, group=post.group,
                        main_html=await request.app.state.fragments.get(request, key, main))


@dataclass
class Reply:
    """A reply in a thread with the replies to it (shown nested, at most :data:`MAX_DEPTH` levels deep)."""

    post: Post
    children: list[Reply] = field(default_factory=list)


MAX_DEPTH = 5


def reply_tree(root: Post, replies: list[Post]) -> list[Reply]:
    """The replies to ``root`` as a tree by ``in_reply_to`` (oldest first at each level); a reply whose parent is not
    shown hangs under the root; replies deeper than :data:`MAX_DEPTH` hang under their ancestor at that depth."""
    nodes = {p.uri: Reply(p) for p in replies}
    depth, parent_of = {root.uri: 0}, {}
    top: list[Reply] = []
    for p in replies:  # oldest first: a parent is placed before its replies
        parent_uri = p.in_reply_to if p.in_reply_to in depth else root.uri  # unknown, or stored after it: under the root
        while depth[parent_uri] >= MAX_DEPTH:
            parent_uri = parent_of[parent_uri]
        parent_of[p.uri], depth[p.uri] = parent_uri, depth[parent_uri] + 1
        (top if parent_uri == root.uri else nodes[parent_uri].children).append(nodes[p.uri])
    return top


def _local_slug(request: Request, uri: str) -> str | None:
    """The slug of a local group whose actor id is ``uri``, else None."""
    urls = request.app.state.urls
    if not urls.is_local(uri):
        return None
    path = urlsplit(uri).path
    return path.removeprefix("/groups/") if path.startswith("/groups/") and path.count("/") == 2 else None


async def _as_partner(request: Request, account: Account) -> Partner:
    """An account of a partner group as the map shows it, with where it says it is."""
    handle = account.handle or account.uri
    instance = handle.rpartition("@")[2] if account.handle else (urlsplit(account.uri).netloc or account.uri)
    name = account.display_name or handle.partition("@")[0]
    slug = _local_slug(request, account.uri)
    local = await Group.get_or_none(slug=slug) if slug else None
    if local is not None:
        place = locate(local.city, local.country) if local.country else None
        if place is not None:
            return Partner(name, handle, instance, place.name, place.latitude, place.longitude)
        return Partner(name, handle, instance)
    actor = await RemoteActor.get_or_none(account_id=account.id)
    if actor is None:
        return Partner(name, handle, instance)
    return Partner(name, handle, instance, actor.place_name, actor.latitude, actor.longitude)


async def _collaboration(request: Request) -> tuple[Collaboration, list[Partner], Partner]:
    """The collaboration of the path, its partners and its host as the map shows them; NotFound otherwise."""
    found = await groups.get_group(request.path_params["slug"])
    collab = await Collaboration.get_or_none(group=found).prefetch_related("group", "host_group")
    if collab is None:
        raise NotFound("this group is not a collaboration")
    shown = [await _as_partner(request, account) for account in await collaborations.partners(collab)]
    shown.sort(key=lambda p: (p.instance, p.name.lower()))
    host_group = collab.host_group
    place = locate(host_group.city, host_group.country) if host_group.country else None
    host = Partner(host_group.name, f"{host_group.slug}@{request.app.state.settings.domain}", request.app.state.settings.domain,
                   *((place.name, place.latitude, place.longitude) if place else ()))
    return collab, shown, host


async def collaboration(request: Request) -> Response:
    """A collaboration: its partner groups on a world map, and the same as a text list (by instance, with places)."""
    collab, partners, host = await _collaboration(request)
    by_instance: dict[str, list[Partner]] = {}
    for partner in partners:
        by_instance.setdefault(partner.instance, []).append(partner)
    return await render(
        request, "collaboration.html", collab=collab, group=collab.group, by_instance=by_instance,
        partner_count=len(partners), located_count=sum(1 for p in partners if p.located), host=host,
        summary_html=render_local_text(collab.group.summary),
    )


async def collaboration_map(request: Request) -> Response:
    """The collaboration map as an SVG image."""
    collab, partners, host = await _collaboration(request)
    _ = gettext_for(request)
    located = [p for p in partners if p.located]
    ngettext = ngettext_for(request)
    places = len({(p.latitude, p.longitude) for p in located})
    description = _("%(name)s: %(groups)s on a world map, %(places)s") % {
        "name": collab.group.name,
        "groups": ngettext("%(count)d partner group", "%(count)d partner groups", len(located)) % {"count": len(located)},
        "places": ngettext("in %(count)d place", "in %(count)d places", places) % {"count": places},
    }
    svg = collaboration_svg(collab.group.name, partners, description=description, host=host)
    return Response(svg, media_type="image/svg+xml", headers={
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        "Cache-Control": "public, max-age=60", "Vary": "Accept-Language, Cookie",
    })


async def moderation_log(request: Request) -> Response:
    """A public group's moderation log: what was done, when and why — never who reported it."""
    _ = gettext_for(request)
    try:
        found = await groups.get_group(request.path_params["slug"])
    except Suspended as exc:
        return await suspended_page(request, exc.reason)
    except Gone:
        raise
    except NotFound:
        return await error_page(request, 404, _("Not found"), _("There is no group with this name on this hub."))
    if found.visibility != "public":
        return await error_page(request, 404, _("Not found"), _("The moderation log of a members-only group is not public."))
    before = request.query_params.get("before", "")
    entries = await moderation.public_log(found, limit=50, before_id=int(before) if before.isdigit() else None)
    return await render(request, "moderation_log.html", group=found, entries=entries,
                        next_before=entries[-1].id if len(entries) == 50 else None)
