"""Errors the web layer raises itself; the app turns each into a page (see ``web.rendering``).

    WebError
    ├── CsrfRejected     a form came without this session's CSRF token (403)
    ├── SignInRequired   the page needs a signed-in account (redirect to the sign-in page)
    ├── UploadRejected   an uploaded file is too large or not an accepted image type (400)
    ├── BodyTooLarge     a form body is larger than its sender may send (413), refused before it is read
    └── PortUnavailable  `hub serve` cannot listen on the address and port asked for (exit 1)

Domain errors (``hub.errors``) raised by services are mapped to pages there too.
"""


class WebError(Exception):
    """Base of the web layer's own errors."""


class CsrfRejected(WebError):
    """The form's CSRF token is missing or does not match the session's."""


class SignInRequired(WebError):
    """The request needs a signed-in account."""


class UploadRejected(WebError):
    """An upload was refused; the message says why (already translated); ``field`` names the form field, when known."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class BodyTooLarge(WebError):
    """A form body over the limit for its sender (anonymous visitors get a small one); nothing more is read."""


class PortUnavailable(WebError):
    """`hub serve` cannot listen where asked (the port is taken, or the host is not this machine's)."""
