"""The organisers' console: their groups, creating one, profile and avatar, members, posts.

Every handler: signed-in account (else to the sign-in page), CSRF-checked form for POSTs, the role
checked on the server (the services check it again), one service call, then back to the page with a
one-time notice (post/redirect/get). Collaborations, invites, follows and reports are in
``web.console_network``.
"""

from __future__ import annotations

from collections.abc import Awaitable

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hub.errors import HubError, ImageRejected, NotFound, PermissionDenied
from hub.models import Account, Group, Membership, Post
from hub.services import directory, groups, instance, media, members, moderation, profiles
from hub.services.members import MODERATOR_ROLES, ORGANISER_ROLES
from hub.timezones import zone_names
from web import form_errors
from web.csrf import checked_form
from web.errors import UploadRejected
from web.i18n import gettext_for
from web.rendering import flash, render, report_error
from web.sessions import require_account

MEMBER_STATES_SHOWN = ("accepted", "banned", "removed", "left", "rejected")


async def console_group(request: Request, roles: tuple[str, ...] = MODERATOR_ROLES) -> tuple[Account, Group, str]:
    """The signed-in account, the group of the path and the account's role; PermissionDenied without one of ``roles``."""
    account = await require_account(request)
    group = await groups.get_group(request.path_params["slug"])
    role = await directory.role_in(group, account)
    if role not in roles and not account.is_admin:
        raise PermissionDenied("only the group's organisers may use its console")
    return account, group, role or "admin"


def back(request: Request, section: str = "") -> RedirectResponse:
    """Post/redirect/get to a section of the group's console."""
    slug = request.path_params["slug"]
    return RedirectResponse(f"/console/groups/{slug}{section}", status_code=303)


async def carry_out(request: Request, action: Awaitable[object], done: str, section: str = "") -> Response:
    """Run one console action and redirect to its section: a domain error becomes a notice, success a
    confirmation (and wakes the worker for what it queued); PermissionDenied propagates as a 403."""
    try:
        await action
    except PermissionDenied:
        raise
    except HubError as exc:
        report_error(request, exc)
        return back(request, section)
    request.app.state.federation.wake_worker()
    flash(request, done)
    return back(request, section)


async def index(request: Request) -> Response:
    """GET /console: the groups the account runs, and the form to create one."""
    account = await require_account(request)
    settings = request.app.state.settings
    return await render(
        request, "console/index.html",
        organised=await directory.organised_groups(account),
        may_create=profiles.may_create_groups(
            account, open_group_creation=await instance.open_group_creation(settings.open_group_creation)),
        form={},
    )


PROFILE_FIELDS = ("name", "summary", "rules", "join_policy", "posting_mode", "language", "time_zone", "city", "country")
IMAGE_KINDS = {"avatar": media.AVATAR_MAX_BYTES, "header": media.HEADER_MAX_BYTES}


async def create_group(request: Request) -> Response:
    """POST /console/groups: create a group owned by the signed-in account; refused values come back in the form
    (status 400) with the error next to its field."""
    account = await require_account(request)
    form = await checked_form(request)
    settings = request.app.state.settings
    typed = {"slug": "", "name": "", "summary": ""} | form_errors.typed(form, ("slug", "name", "summary"))
    values = {"slug": typed["slug"].strip().lower(), "name": typed["name"].strip(), "summary": typed["summary"],
              "closed": form.get("closed") == "on"}
    try:
        open_creation = await instance.open_group_creation(settings.open_group_creation)
        group = await profiles.create_group_for(account, **values, open_group_creation=open_creation)
    except PermissionDenied:
        raise
    except HubError as exc:
        return await render(
            request, "console/index.html", status=400,
            organised=await directory.organised_groups(account), may_create=True, form={**typed, "closed": values["closed"]},
            errors=form_errors.field_errors(request, exc),
        )
    _ = gettext_for(request)
    flash(request, _("The group was created."))
    return RedirectResponse(f"/console/groups/{group.slug}", status_code=303)


async def _profile_page(request: Request, group: Group, role: str, *, status: int = 200, values: dict | None = None,
                        errors: dict[str, str] | None = None) -> Response:
    pending = await members.list_members(group, state="pending")
    shown = values if values is not None else {name: getattr(group, name) for name in PROFILE_FIELDS}
    return await render(request, "console/profile.html", status=status, group=group, role=role, pending_count=len(pending),
                        section="profile", zone_names=zone_names(), values=shown, errors=errors or {})


async def group_home(request: Request) -> Response:
    """GET /console/groups/{slug}: the profile form, the avatar and header image, and a summary of what waits."""
    account, group, role = await console_group(request)
    return await _profile_page(request, group, role)


async def update_profile(request: Request) -> Response:
    """POST /console/groups/{slug}/profile; a refused value comes back in the form as typed (400), its error next to it."""
    account, group, role = await console_group(request, ORGANISER_ROLES)
    form = await checked_form(request)
    values = {name: getattr(group, name) for name in PROFILE_FIELDS} | form_errors.typed(form, PROFILE_FIELDS)
    try:
        await profiles.update_profile(group, by=account, **values)
    except (NotFound, PermissionDenied):
        raise
    except HubError as exc:
        return await _profile_page(request, group, role, status=400, values=values, errors=form_errors.field_errors(request, exc))
    _ = gettext_for(request)
    flash(request, _("The profile was saved."))
    return back(request)


def _image_messages(request: Request, kind: str) -> dict[str, str]:
    _ = gettext_for(request)
    return {
        "empty": _("The file is empty."),
        "too_large": _("The image is larger than 1 MiB.") if kind == "avatar" else _("The image is larger than 2 MiB."),
        "type": _("Only PNG, JPEG, GIF and WebP images are accepted."),
        "missing": _("Choose an image file to upload."),
    }


async def upload_image(request: Request) -> Response:
    """POST /console/groups/{slug}/image/{avatar,header} (and the older …/avatar): a PNG, JPEG, GIF or WebP image
    (avatar at most 1 MiB, header 2 MiB), stored cleaned of its metadata (hub.services.media). A refused file gives
    the profile page again (400) with the error next to the file field."""
    account, group, role = await console_group(request, ORGANISER_ROLES)
    kind = request.path_params.get("kind", "avatar")
    if kind not in IMAGE_KINDS:
        raise NotFound("a group has an avatar and a header image")
    limit = IMAGE_KINDS[kind]
    messages = _image_messages(request, kind)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise UploadRejected(messages["too_large"])
    form = await checked_form(request, max_part_size=64 * 1024)
    upload = form.get(kind)
    data_dir = request.app.state.settings.data_dir
    store = media.store_avatar if kind == "avatar" else media.store_header
    try:
        if upload is None or isinstance(upload, str) or not upload.filename:
            raise ImageRejected("missing", "no file was chosen")
        name = store(data_dir, await upload.read(limit + 1))
    except ImageRejected as exc:
        return await _profile_page(request, group, role, status=400, errors={kind: messages.get(exc.code, str(exc))})
    try:
        previous = await profiles.set_image(group, kind, name, by=account)
    except HubError:
        media.discard(data_dir, name)
        raise
    media.discard(data_dir, previous)
    _ = gettext_for(request)
    flash(request, _("The avatar was changed.") if kind == "avatar" else _("The header image was changed."))
    return back(request)


async def members_page(request: Request) -> Response:
    """GET /console/groups/{slug}/members: the approvals queue and the members with their roles."""
    account, group, role = await console_group(request)
    everyone = await members.list_members(group)
    return await render(
        request, "console/members.html", group=group, role=role, section="members",
        pending=[m for m in everyone if m.state == "pending"],
        people=[m for m in everyone if m.state in MEMBER_STATES_SHOWN],
    )


async def _membership(request: Request, group: Group) -> Membership:
    membership = await Membership.get_or_none(id=request.path_params["membership_id"], group=group).prefetch_related("account")
    if membership is None:
        raise NotFound("no such membership in this group")
    return membership


async def member_action(request: Request) -> Response:
    """POST /console/groups/{slug}/members/{membership_id}/{action}: approve, reject, remove, ban or unban."""
    account, group, _role = await console_group(request)
    form = await checked_form(request)
    membership = await _membership(request, group)
    action = request.path_params["action"]
    reason = str(form.get("reason", "")).strip()[:1000] or None
    _ = gettext_for(request)
    who = membership.account.handle or membership.account.uri
    target = membership.account
    actions = {
        "approve": (lambda: members.approve(group, target, by=account), _("%(who)s is now a member.")),
        "reject": (lambda: members.reject(group, target, by=account, reason=reason), _("The request of %(who)s was turned down.")),
        "remove": (lambda: members.remove(group, target, by=account, reason=reason), _("%(who)s was removed.")),
        "ban": (lambda: moderation.ban(group, target, by=account, reason=reason, remove_posts=form.get("remove_posts") == "on"),
                _("%(who)s was banned.")),
        "unban": (lambda: moderation.unban(group, target, by=account, reason=reason), _("The ban of %(who)s was lifted.")),
    }
    if action not in actions:
        raise NotFound("no such action")
    start, done = actions[action]
    return await carry_out(request, start(), done % {"who": who}, "/members")


async def member_role(request: Request) -> Response:
    """POST /console/groups/{slug}/members/{membership_id}/role: make a member a moderator, an admin or a member again."""
    account, group, _role = await console_group(request, ORGANISER_ROLES)
    form = await checked_form(request)
    membership = await _membership(request, group)
    _ = gettext_for(request)
    who = membership.account.handle or membership.account.uri
    return await carry_out(request, moderation.set_role(group, membership.account, str(form.get("role", "")), by=account),
                           _("The role of %(who)s was changed.") % {"who": who}, "/members")
    request.app.state.federation.wake_worker()
    flash(request, _("The role of %(who)s was changed.") % {"who": membership.account.handle or membership.account.uri})
    return back(request, "/members")


async def posts_page(request: Request) -> Response:
    """GET /console/groups/{slug}/posts: recent and held posts with pin, remove and publish."""
    account, group, role = await console_group(request)
    rows = await Post.filter(group=group, state__in=["published", "held", "removed"]).order_by("-id").limit(50).prefetch_related("author")
    return await render(request, "console/posts.html", group=group, role=role, section="posts", rows=rows)


def _pin(pinned: bool):
    async def pin(post: Post, *, by: Account | None, reason: str | None) -> Post:
        return await moderation.pin_post(post, pinned, by=by)

    return pin


async def post_action(request: Request) -> Response:
    """POST /console/groups/{slug}/posts/{post_id}/{action}: remove, publish, pin or unpin a post."""
    account, group, _role = await console_group(request)
    form = await checked_form(request)
    post = await Post.get_or_none(id=request.path_params["post_id"], group=group)
    if post is None:
        raise NotFound("no such post in this group")
    action = request.path_params["action"]
    reason = str(form.get("reason", "")).strip()[:1000] or None
    _ = gettext_for(request)
    actions = {"remove": (moderation.remove_post, _("The post was removed.")),
               "publish": (moderation.restore_post, _("The post was published.")),
               "pin": (_pin(True), _("The post was pinned.")),
               "unpin": (_pin(False), _("The post was unpinned."))}
    if action not in actions:
        raise NotFound("no such action")
    service, done = actions[action]
    return await carry_out(request, service(post, by=account, reason=reason), done, "/posts")
    request.app.state.federation.wake_worker()
    flash(request, done)
    return back(request, "/posts")
