"""RSS 2.0 and Atom feeds of a public group's public posts (newest 30)."""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime
from xml.etree import ElementTree as ET

from starlette.requests import Request
from starlette.responses import Response

from federation.sanitize import plain_text, render_local_text
from hub.errors import NotFound
from hub.models import Group, Post
from hub.services import groups, posts

FEED_SIZE = 30
ATOM_NS = "http://www.w3.org/2005/Atom"


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _title(post: Post) -> str:
    if post.title:
        return post.title
    text = plain_text(post.content_html or "", max_length=80)
    return text or (post.author.handle or post.author.uri)


def _author(post: Post) -> str:
    author = post.author
    return author.display_name or author.handle or author.uri


async def _public_group(request: Request) -> Group:
    group = await groups.get_group(request.path_params["slug"])
    if group.visibility != "public":
        raise NotFound("this group's posts are for its members only")
    return group


def _xml(root: ET.Element, media_type: str) -> Response:
    body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return Response(body, media_type=media_type, headers={"Cache-Control": "public, max-age=300"})


async def rss(request: Request) -> Response:
    """GET /groups/{slug}/feed.rss."""
    group = await _public_group(request)
    urls = request.app.state.urls
    items = await posts.recent_posts(group, limit=FEED_SIZE)
    rss_el = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM_NS})
    channel = ET.SubElement(rss_el, "channel")
    ET.SubElement(channel, "title").text = group.name
    ET.SubElement(channel, "link").text = urls.group(group.slug)
    ET.SubElement(channel, "description").text = plain_text(render_local_text(group.summary), max_length=500) or group.name
    ET.SubElement(channel, "atom:link", {"href": f"{urls.group(group.slug)}/feed.rss", "rel": "self", "type": "application/rss+xml"})
    if items:
        ET.SubElement(channel, "lastBuildDate").text = format_datetime(items[0].published_at)
    for post in items:
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = _title(post)
        ET.SubElement(item, "link").text = urls.post(post.id)
        ET.SubElement(item, "guid", {"isPermaLink": "false"}).text = post.uri
        ET.SubElement(item, "pubDate").text = format_datetime(post.published_at)
        ET.SubElement(item, "author").text = f"nobody@invalid ({_author(post)})"
        ET.SubElement(item, "description").text = post.content_html
    return _xml(rss_el, "application/rss+xml; charset=utf-8")


async def atom(request: Request) -> Response:
    """GET /groups/{slug}/feed.atom."""
    group = await _public_group(request)
    urls = request.app.state.urls
    items = await posts.recent_posts(group, limit=FEED_SIZE)
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    ET.SubElement(feed, "id").text = f"{urls.group(group.slug)}/feed.atom"
    ET.SubElement(feed, "title").text = group.name
    ET.SubElement(feed, "updated").text = _iso(items[0].published_at if items else group.updated_at)
    ET.SubElement(feed, "link", {"rel": "alternate", "type": "text/html", "href": urls.group(group.slug)})
    ET.SubElement(feed, "link", {"rel": "self", "type": "application/atom+xml", "href": f"{urls.group(group.slug)}/feed.atom"})
    if group.summary:
        ET.SubElement(feed, "subtitle").text = plain_text(render_local_text(group.summary), max_length=500)
    for post in items:
        entry = ET.SubElement(feed, "entry")
        ET.SubElement(entry, "id").text = post.uri
        ET.SubElement(entry, "title").text = _title(post)
        ET.SubElement(entry, "link", {"rel": "alternate", "type": "text/html", "href": urls.post(post.id)})
        ET.SubElement(entry, "published").text = _iso(post.published_at)
        ET.SubElement(entry, "updated").text = _iso(post.edited_at or post.published_at)
        author = ET.SubElement(entry, "author")
        ET.SubElement(author, "name").text = _author(post)
        ET.SubElement(author, "uri").text = post.author.uri
        content = ET.SubElement(entry, "content", {"type": "html"})
        if post.language:
            content.set("xml:lang", post.language)
        content.text = post.content_html
    return _xml(feed, "application/atom+xml; charset=utf-8")
