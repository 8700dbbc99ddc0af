"""Field errors of re-rendered console forms: each under the field it names, at the top when the form shows no such field."""

from __future__ import annotations

import gettext
from types import SimpleNamespace

from starlette.requests import Request

from hub.errors import Conflict, InvalidInput
from web import form_errors
from web.errors import UploadRejected


def english_request() -> Request:
    """A bare request whose app knows only the English (untranslated) messages."""
    app = SimpleNamespace(state=SimpleNamespace(catalogs={"en": gettext.NullTranslations()}))
    return Request({"type": "http", "app": app, "method": "POST", "path": "/", "headers": [(b"accept-language", b"en")]})


def test_an_error_goes_under_the_field_it_names() -> None:
    """A refusal naming a field of the form is shown there, after a title saying what kind of refusal it is."""
    request = english_request()
    assert form_errors.field_errors(request, InvalidInput("the title is too long", field="title"), ("title", "text")) == \
        {"title": "That did not work: the title is too long"}
    assert form_errors.field_errors(request, Conflict("already taken", field="slug")) == \
        {"slug": "That is not possible right now: already taken"}
    assert form_errors.field_errors(request, UploadRejected("Describe the image.", field="alt2")) == {"alt2": "Describe the image."}


def test_an_error_about_no_field_of_the_form_goes_at_the_top() -> None:
    """A refusal naming no field, or a field the form does not show, is kept at the top of the form (never lost)."""
    request = english_request()
    assert form_errors.field_errors(request, InvalidInput("kind must be one of a, b", field="kind"), ("title", "text")) == \
        {form_errors.FORM: "That did not work: kind must be one of a, b"}
    assert form_errors.field_errors(request, InvalidInput("no")) == {form_errors.FORM: "That did not work: no"}


def test_typed_keeps_only_text_fields_as_typed() -> None:
    """The text fields asked for, cut only far beyond any service's limit; files and absent fields are left out."""
    form = {"title": "  Spaces kept  ", "text": "x" * 30_000, "file": object()}
    typed = form_errors.typed(form, ("title", "text", "file", "url"))
    assert typed == {"title": "  Spaces kept  ", "text": "x" * 20_000}
