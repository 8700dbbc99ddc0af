"""The administrators' console for groups: every group with its state, creating one, suspending and lifting a
suspension, deleting one for good, and whether anyone signed in may create groups.

Same rules as web.admin_console: administrators only (403 otherwise), CSRF-checked POSTs, one
service call each (hub.services.administration, .suspension, .group_settings, .instance), every
change in the moderation log, and bad input shown next to its field with status 400 and nothing changed.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.errors import HubError, PermissionDenied
from hub.services import administration, group_settings, instance, suspension
from web.admin_console import ADMIN, act, back, reason_of, require_admin
from web.csrf import checked_form
from web.i18n import gettext_for
from web.rendering import error_text, flash, render

GROUPS = f"{ADMIN}/groups"


async def groups_page(request: Request, *, status: int = 200, errors: dict | None = None, form: dict | None = None) -> Response:
    """GET /console/admin/groups: every group (suspended ones marked), the create and delete forms, open creation."""
    await require_admin(request)
    settings = request.app.state.settings
    return await render(
        request, "admin/groups.html", status=status, section="groups", rows=await administration.list_groups(),
        open_creation=await instance.open_group_creation(settings.open_group_creation),
        errors=errors or {}, form=form or {},
    )


async def set_creation(request: Request) -> Response:
    """POST /console/admin/groups/creation: ``open`` = ``on`` (anyone signed in from the fediverse) or ``off`` (administrators)."""
    account = await require_admin(request)
    form = await checked_form(request)
    choice = str(form.get("open", ""))
    _ = gettext_for(request)
    if choice not in ("on", "off"):
        return await groups_page(request, status=400, errors={"open": _("Choose who may create groups.")})
    await instance.set_open_group_creation(choice == "on", by=account)
    flash(request, _("Anyone signed in may now create groups.") if choice == "on"
          else _("Only administrators may now create groups."))
    return back("/groups")


async def create_group(request: Request) -> Response:
    """POST /console/admin/groups: create a group owned by the named account (or the administrator)."""
    account = await require_admin(request)
    form = await checked_form(request)
    values = {
        "slug": str(form.get("slug", "")).strip().lower()[:64], "name": str(form.get("name", "")).strip()[:200],
        "owner": str(form.get("owner", "")).strip()[:300], "closed": "on" if form.get("closed") == "on" else "",
    }
    try:
        owner = await administration.find_person(values["owner"]) if values["owner"] else account
    except PermissionDenied:
        raise
    except HubError as exc:
        return await groups_page(request, status=400, errors={"owner": error_text(request, exc)}, form=values)
    _ = gettext_for(request)
    try:
        group = await administration.create_group(values["slug"], values["name"], by=account, owner=owner,
                                                  closed=bool(values["closed"]))
    except PermissionDenied:
        raise
    except HubError as exc:
        field = getattr(exc, "field", None) if getattr(exc, "field", None) in ("name", "slug") else "slug"
        return await groups_page(request, status=400, errors={field: error_text(request, exc)}, form=values)
    flash(request, _("The group @%(slug)s was created.") % {"slug": group.slug})
    return back("/groups")


async def _target(request: Request, form, field: str):
    """The group the form's ``slug`` names, or the page again with the error next to ``field``."""
    slug = str(form.get("slug", "")).strip()[:64]
    try:
        return slug, await administration.find_group(slug), None
    except HubError as exc:
        return slug, None, await groups_page(request, status=400, errors={field: error_text(request, exc)},
                                             form={"target": slug})


async def suspend(request: Request) -> Response:
    """POST /console/admin/groups/suspend: suspend a group, with a reason shown on its pages."""
    return await _suspension(request, lift=False)


async def unsuspend(request: Request) -> Response:
    """POST /console/admin/groups/unsuspend: lift a group's suspension."""
    return await _suspension(request, lift=True)


async def _suspension(request: Request, *, lift: bool) -> Response:
    account = await require_admin(request)
    form = await checked_form(request)
    slug, group, refused = await _target(request, form, "suspend")
    if refused is not None:
        return refused
    _ = gettext_for(request)
    if lift:
        change = suspension.unsuspend(group, by=account, reason=reason_of(form))
        done = _("The suspension of @%(slug)s was lifted.")
    else:
        change = suspension.suspend(group, by=account, reason=reason_of(form) or "")
        done = _("@%(slug)s is suspended: its pages answer 410 and it federates nothing more.")
    return await act(request, change, done % {"slug": slug}, "/groups", groups_page, field=f"suspend-{slug}")


async def delete(request: Request) -> Response:
    """POST /console/admin/groups/delete: delete a group for good (its slug typed again to confirm)."""
    account = await require_admin(request)
    form = await checked_form(request)
    slug, group, refused = await _target(request, form, "delete-slug")
    if refused is not None:
        return refused
    _ = gettext_for(request)
    if str(form.get("confirm", "")).strip() != group.slug:
        return await groups_page(request, status=400, form={"target": slug},
                                 errors={"confirm": _("Type the group's handle again to confirm the deletion.")})
    return await act(request, group_settings.delete_group(group, by=account, by_administrators=True),
                     _("@%(slug)s was deleted: its members are told and its pages answer 410.") % {"slug": slug},
                     "/groups", groups_page, field="delete-slug", form={"target": slug})


def routes() -> list[Route]:
    """The groups' part of the administrators' console."""
    return [
        Route(GROUPS, groups_page, name="admin_groups"),
        Route(GROUPS, create_group, methods=["POST"], name="admin_create_group"),
        Route(f"{GROUPS}/creation", set_creation, methods=["POST"], name="admin_group_creation"),
        Route(f"{GROUPS}/suspend", suspend, methods=["POST"], name="admin_suspend"),
        Route(f"{GROUPS}/unsuspend", unsuspend, methods=["POST"], name="admin_unsuspend"),
        Route(f"{GROUPS}/delete", delete, methods=["POST"], name="admin_delete_group"),
    ]
