"""A small RFC 8941 structured-field parser and serializer, just enough for HTTP message signatures.

It reads dictionaries whose members are items or inner lists, with parameters, and bare items of
every RFC 8941 type (integer, decimal, string, token, byte sequence, boolean). Duplicate dictionary
keys and duplicate parameters are rejected rather than overwritten. Any malformed input raises
``SignatureError``; nothing else escapes.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from federation.errors import SignatureError

from ._util import b64decode_strict

_LCALPHA = set("abcdefghijklmnopqrstuvwxyz")
_DIGITS = set("0123456789")
_ALPHA = _LCALPHA | set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_KEY_CHARS = _LCALPHA | _DIGITS | set("_-.*")
_TCHARS = _ALPHA | _DIGITS | set("!#$%&'*+-.^_`|~:/")
_B64_CHARS = _ALPHA | _DIGITS | set("+/=")
MAX_LENGTH = 16384


class Token(str):
    """A structured-field token (serialized without quotes)."""


@dataclass(frozen=True)
class Item:
    """A bare item with its parameters (a tuple of (key, value) pairs, in order)."""

    value: object
    params: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class InnerList:
    """An inner list of items with its parameters."""

    items: tuple[Item, ...]
    params: tuple[tuple[str, object], ...] = ()


def _fail(what: str = "malformed structured header") -> SignatureError:
    return SignatureError(what)


class _Parser:
    def __init__(self, text: str) -> None:
        if len(text) > MAX_LENGTH:
            raise _fail("structured header is too long")
        self.s = text
        self.i = 0

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def skip(self, chars: str = " ") -> None:
        while self.i < len(self.s) and self.s[self.i] in chars:
            self.i += 1

    def key(self) -> str:
        start = self.i
        if self.peek() not in _LCALPHA and self.peek() != "*" or not self.peek():
            raise _fail()
        while self.peek() and self.peek() in _KEY_CHARS:
            self.i += 1
        return self.s[start : self.i]

    def params(self) -> tuple[tuple[str, object], ...]:
        out: dict[str, object] = {}
        while self.peek() == ";":
            self.i += 1
            self.skip()
            name = self.key()
            value: object = True
            if self.peek() == "=":
                self.i += 1
                value = self.bare_item()
            if name in out:
                raise _fail("duplicate parameter")
            out[name] = value
        return tuple(out.items())

    def item(self) -> Item:
        value = self.bare_item()
        return Item(value, self.params())

    def inner_list(self) -> InnerList:
        self.i += 1  # "("
        items = []
        while True:
            self.skip()
            if self.peek() == ")":
                self.i += 1
                return InnerList(tuple(items), self.params())
            items.append(self.item())
            if self.peek() not in (" ", ")"):
                raise _fail()

    def member(self) -> Item | InnerList:
        return self.inner_list() if self.peek() == "(" else self.item()

    def bare_item(self) -> object:
        c = self.peek()
        if c == "-" or (c and c in _DIGITS):
            return self.number()
        if c == '"':
            return self.string()
        if c == ":":
            return self.byte_sequence()
        if c == "?":
            return self.boolean()
        if c == "*" or (c and c in _ALPHA):
            start = self.i
            while self.peek() and self.peek() in _TCHARS:
                self.i += 1
            return Token(self.s[start : self.i])
        raise _fail()

    def number(self) -> int | float:
        start = self.i
        if self.peek() == "-":
            self.i += 1
        digits_start = self.i
        while self.peek() and self.peek() in _DIGITS | {"."}:
            self.i += 1
        text = self.s[digits_start : self.i]
        whole, dot, frac = text.partition(".")
        if not whole or "." in frac:
            raise _fail()
        if not dot:
            if len(whole) > 15:
                raise _fail("integer out of range")
            return int(self.s[start : self.i])
        if len(whole) > 12 or not 1 <= len(frac) <= 3:
            raise _fail("decimal out of range")
        return float(self.s[start : self.i])

    def string(self) -> str:
        self.i += 1
        out = []
        while self.i < len(self.s):
            c = self.s[self.i]
            self.i += 1
            if c == "\\":
                nxt = self.peek()
                if nxt not in ('"', "\\") or not nxt:
                    raise _fail()
                out.append(nxt)
                self.i += 1
            elif c == '"':
                return "".join(out)
            elif not " " <= c <= "~":
                raise _fail()
            else:
                out.append(c)
        raise _fail("unterminated string")

    def byte_sequence(self) -> bytes:
        end = self.s.find(":", self.i + 1)
        if end < 0:
            raise _fail("unterminated byte sequence")
        body = self.s[self.i + 1 : end]
        if any(c not in _B64_CHARS for c in body):
            raise _fail("invalid byte sequence")
        self.i = end + 1
        return b64decode_strict(body, "byte sequence")

    def boolean(self) -> bool:
        flag = self.s[self.i + 1 : self.i + 2]
        if flag not in ("0", "1"):
            raise _fail()
        self.i += 2
        return flag == "1"


def parse_dictionary(text: str) -> dict[str, Item | InnerList]:
    """Parse an RFC 8941 dictionary; duplicate keys and any syntax error raise SignatureError."""
    p = _Parser(text)
    p.skip()
    out: dict[str, Item | InnerList] = {}
    while p.peek():
        name = p.key()
        if p.peek() == "=":
            p.i += 1
            member = p.member()
        else:
            member = Item(True, p.params())
        if name in out:
            raise _fail("duplicate dictionary key")
        out[name] = member
        p.skip(" \t")
        if not p.peek():
            break
        if p.peek() != ",":
            raise _fail()
        p.i += 1
        p.skip(" \t")
        if not p.peek():
            raise _fail("trailing comma")
    if not out:
        raise _fail("empty structured header")
    return out


def serialize_bare(value: object) -> str:
    """Serialize one bare item canonically."""
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = f"{value:.3f}".rstrip("0")
        return text + "0" if text.endswith(".") else text
    if isinstance(value, Token):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bytes):
        return ":" + base64.b64encode(value).decode("ascii") + ":"
    raise TypeError(f"cannot serialize {type(value).__name__}")


def serialize_params(params: tuple[tuple[str, object], ...]) -> str:
    """Serialize parameters canonically (``;key`` for true, ``;key=value`` otherwise)."""
    return "".join(f";{k}" if v is True else f";{k}={serialize_bare(v)}" for k, v in params)


def serialize_inner_list(value: InnerList) -> str:
    """Serialize an inner list with its parameters canonically."""
    inner = " ".join(serialize_bare(i.value) + serialize_params(i.params) for i in value.items)
    return f"({inner}){serialize_params(value.params)}"
