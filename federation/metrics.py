"""Prometheus metrics, in the text exposition format (version 0.0.4), written by hand.

Why not prometheus_client: its default registry is a module-level singleton shared by everything
in the process, which STYLE.md rules out, and the hub needs only counters with a few fixed labels
plus gauges read from the database at scrape time; the format is a few lines of code.

``Metrics`` is owned by the ``Federation`` object (one per process). Counters count what this
process did (deliveries its worker sent, activities its inbox received); on PostgreSQL every
process writes them to the database and /metrics shows their sums over the whole hub
(federation.shared_metrics). Gauges that describe the
shared queues (depth, age of the oldest due delivery) are read from the database when /metrics is
scraped (``web.metrics``), so every process reports the same figures for them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from federation.errors import FederationError, KeyFetchError, LdSignatureError

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

SIGNATURE_REASONS = ("unsigned", "malformed", "algorithm", "time", "digest", "host", "key", "actor_mismatch", "invalid",
                     "linked_data")
"""The fixed label values of signature failures (a free-text reason would make the label unbounded)."""


def signature_failure_reason(exc: FederationError) -> str:
    """One of SIGNATURE_REASONS for a refused signature."""
    if isinstance(exc, KeyFetchError):
        return "key"
    if isinstance(exc, LdSignatureError):
        return "linked_data"
    text = exc.reason.lower()
    if "not signed" in text and text.startswith("request"):
        return "unsigned"
    if "does not verify" in text:
        return "invalid"
    if "another actor" in text:
        return "actor_mismatch"
    if "digest" in text:
        return "digest"
    if "date" in text or "expired" in text or "created" in text:
        return "time"
    if "host" in text:
        return "host"
    if "keyid" in text or "key" in text.split():
        return "key"
    if "algorithm" in text or "key type" in text:
        return "algorithm"
    return "malformed"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(names: tuple[str, ...], values: tuple[str, ...]) -> str:
    if not names:
        return ""
    return "{" + ",".join(f'{n}="{_escape(v)}"' for n, v in zip(names, values)) + "}"


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    return repr(int(value)) if float(value).is_integer() and abs(value) < 2**53 else repr(float(value))


@dataclass
class Counter:
    """A monotonically increasing count per label set."""

    name: str
    help: str
    labelnames: tuple[str, ...] = ()
    values: dict[tuple[str, ...], float] = field(default_factory=dict)

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        """Add ``amount`` to the series of ``labels`` (every label name must be given)."""
        key = tuple(str(labels[name]) for name in self.labelnames)
        self.values[key] = self.values.get(key, 0.0) + amount

    def get(self, **labels: str) -> float:
        """The current value of one series (0 when never incremented)."""
        return self.values.get(tuple(str(labels[name]) for name in self.labelnames), 0.0)

    def series(self) -> dict[str, float]:
        """Each series as exposed (``name{label="value"}``) with its value."""
        return {f"{self.name}{_labels(self.labelnames, key)}": v for key, v in self.values.items()}

    def render(self, totals: Mapping[str, float] | None = None) -> list[str]:
        """HELP, TYPE and one line per series: this process's values, or ``totals`` (series -> value) of the whole hub."""
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} counter"]
        if totals is None:
            return lines + [f"{self.name}{_labels(self.labelnames, key)} {_number(v)}" for key, v in sorted(self.values.items())]
        mine = {s for s in totals if s == self.name or s.startswith(self.name + "{")} | set(self.series())
        return lines + [f"{s} {_number(totals.get(s, 0.0))}" for s in sorted(mine)]


def gauge_lines(name: str, help_text: str, samples: Mapping[tuple[tuple[str, str], ...], float] | float) -> list[str]:
    """A gauge rendered from values read at scrape time: one number, or {((label, value), …): number}."""
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    if not isinstance(samples, Mapping):
        return lines + [f"{name} {_number(float(samples))}"]
    for labels, value in sorted(samples.items()):
        names = tuple(k for k, _ in labels)
        values = tuple(v for _, v in labels)
        lines.append(f"{name}{_labels(names, values)} {_number(float(value))}")
    return lines


class Metrics:
    """The counters of one process; ``render`` adds gauges computed by the caller."""

    def __init__(self) -> None:
        self.deliveries = Counter(
            "causeway_delivery_attempts_total",
            "Delivery attempts made by this process's worker, by outcome (delivered, retry, dead, gone).",
            ("outcome",),
        )
        self.inbox = Counter(
            "causeway_inbox_requests_total",
            "POSTs to this process's inboxes, by result (stored, duplicate, refused).",
            ("result",),
        )
        self.signature_failures = Counter(
            "causeway_inbox_signature_failures_total",
            "Inbox POSTs refused for their HTTP signature, by reason.",
            ("reason",),
        )
        self.inbox_processed = Counter(
            "causeway_inbox_processed_total",
            "Inbox items this process's worker finished, by final state.",
            ("state",),
        )
        for reason in SIGNATURE_REASONS:
            self.signature_failures.inc(0, reason=reason)
        for outcome in ("delivered", "retry", "dead", "gone"):
            self.deliveries.inc(0, outcome=outcome)
        for result in ("stored", "duplicate", "refused"):
            self.inbox.inc(0, result=result)

    @property
    def counters(self) -> tuple[Counter, ...]:
        """Every counter, in exposition order."""
        return (self.deliveries, self.inbox, self.signature_failures, self.inbox_processed)

    def series(self) -> dict[str, float]:
        """Every series of every counter (as exposed) with this process's value."""
        return {s: v for counter in self.counters for s, v in counter.series().items()}

    def render(self, gauges: Iterable[list[str]] = (), *, totals: Mapping[str, float] | None = None) -> str:
        """The whole exposition: the counters (this process's, or ``totals`` of the whole hub), then the gauge blocks."""
        lines: list[str] = []
        for counter in self.counters:
            lines += counter.render(totals)
        for block in gauges:
            lines += block
        return "\n".join(lines) + "\n"
