"""Errors shown next to the form field they are about, for console forms re-rendered with what was typed.

A service refuses a value with ``InvalidInput(message, field=...)`` (hub.errors); the console page
catches it, renders the same form again with status 400, the values as typed and
``errors = {field: message}``. The templates' macros (``_fields.html``) put the message next to the
field, mark the field ``aria-invalid`` and point its ``aria-describedby`` at the message. An error
that names no field goes under the key ``""``, shown at the top of the form.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from starlette.requests import Request

from hub.errors import HubError, NotFound, PermissionDenied
from hub.models import MediaFile
from hub.services import media
from web.errors import UploadRejected
from web.rendering import error_text

FORM = ""
"""The key of an error about the whole form (no field named)."""


def field_errors(request: Request, exc: HubError | UploadRejected, fields: Collection[str] | None = None) -> dict[str, str]:
    """``{field: message}`` for a refused form: the field the error names (``""`` when none, or when ``fields`` is
    given and the form shows no such field, so that no message is lost), its message translated as far as the
    domain's messages are (a translated title, then the domain's own sentence)."""
    field = getattr(exc, "field", None) or FORM
    if fields is not None and field not in fields:
        field = FORM
    if isinstance(exc, UploadRejected):
        return {field: str(exc)}
    return {field: error_text(request, exc)}


def typed(form, names: tuple[str, ...], limit: int = 20_000) -> dict[str, str]:
    """The text fields among ``names`` that the form carries, as typed (each cut at ``limit`` characters, only to
    bound the page; the services' limits are far lower, so a too-long text is still refused, never cut silently)."""
    return {name: form[name][:limit] for name in names if isinstance(form.get(name), str)}


def retyped(form, names: tuple[str, ...]) -> dict[str, str]:
    """Every field of ``names`` as typed, empty when the form lacks it: a refused form shown again shows what was
    sent, never a stored value (:func:`typed` alone keeps the absent ones out, for forms that fall back to them)."""
    return dict.fromkeys(names, "") | typed(form, names)


async def refused(request: Request, exc: HubError | UploadRejected, form, fields: tuple[str, ...], *,
                  images: Iterable[MediaFile | None] = ()) -> dict[str, dict[str, str]]:
    """The refused-form step of every console form, as the page's keyword arguments: the ``images`` stored for
    the form deleted (:func:`drop_refused`, which lets NotFound and PermissionDenied go on to their own pages),
    then ``typed`` (every field of ``fields`` as sent) and ``errors`` (the message next to its field)."""
    await drop_refused(request, exc, images)
    return {"typed": retyped(form, fields), "errors": field_errors(request, exc, fields)}


async def drop_refused(request: Request, exc: HubError | UploadRejected, images: Iterable[MediaFile | None]) -> None:
    """What every console form does first when refused: delete the images stored for it (nothing refers to them),
    and let NotFound and PermissionDenied go on to their own pages instead of the form."""
    for image in images:
        await media.forget(request.app.state.settings.data_dir, image)
    if isinstance(exc, (NotFound, PermissionDenied)):
        raise exc
