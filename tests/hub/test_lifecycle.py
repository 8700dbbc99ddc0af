"""Tests for hub.lifecycle: the declared state graphs and how services use them."""

from __future__ import annotations

import random

import pytest

from hub import queue
from hub.errors import Conflict
from hub.lifecycle import ALL, DELIVERY, DELIVERY_RETRIES, EVENT, INBOX_ITEM, ITEM_RETRIES, MEMBERSHIP, POST, Lifecycle, Retries
from hub.models import Delivery, Event, InboxItem


def test_check_allows_declared_moves_and_refuses_others() -> None:
    """check() passes declared transitions and raises Conflict naming the lifecycle and both states."""
    MEMBERSHIP.check("pending", "accepted")
    assert MEMBERSHIP.can("accepted", "banned")
    with pytest.raises(Conflict, match="post cannot go from deleted to published"):
        POST.check("deleted", "published")
    assert not MEMBERSHIP.can("nonsense", "accepted")


@pytest.mark.parametrize(
    ("transitions", "initial", "terminal", "message"),
    [
        ({"a": {"b"}}, {"a"}, set(), "undeclared states"),
        ({"a": set()}, {"x"}, set(), "must be declared"),
        ({"a": {"a"}}, {"a"}, {"a"}, "terminal state a has transitions"),
    ],
)
def test_malformed_graphs_are_refused_when_declared(transitions, initial, terminal, message) -> None:
    """A graph pointing at undeclared states, or with a terminal state that moves on, fails at declaration."""
    with pytest.raises(ValueError, match=message):
        Lifecycle("broken", frozenset(initial), frozenset(terminal), {k: frozenset(v) for k, v in transitions.items()})


@pytest.mark.parametrize("lifecycle", ALL, ids=lambda lc: lc.name)
def test_every_state_is_reachable_from_an_initial_state(lifecycle: Lifecycle) -> None:
    """No declared state is dead weight: each is reachable from some initial state."""
    seen, todo = set(lifecycle.initial), list(lifecycle.initial)
    while todo:
        for target in lifecycle.transitions[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    assert seen == lifecycle.states


def test_ban_is_left_only_by_unban() -> None:
    """A banned membership can only move to left (the unban); deleted posts never come back."""
    assert MEMBERSHIP.transitions["banned"] == {"left"}
    assert POST.transitions["deleted"] == frozenset()
    assert "deleted" in POST.terminal


@pytest.mark.parametrize(("model", "lifecycle"), [(Delivery, DELIVERY), (Event, EVENT), (InboxItem, INBOX_ITEM)])
def test_queue_rows_start_in_an_initial_state_the_queue_claims(model, lifecycle: Lifecycle) -> None:
    """Each queue model's default state is an initial state of its lifecycle and the one claim() looks for."""
    default = model._meta.fields_map["state"].default
    assert default in lifecycle.initial
    assert queue.ACTIVE_STATE[model] == default
    assert lifecycle.can(default, default), "retry_later keeps the row in its active state"


def test_delivery_retries_grow_and_give_up_after_about_two_days() -> None:
    """The delivery lifecycle's schedule grows with every try, spans 2-3 days even with maximal jitter, then gives up."""
    plain = [DELIVERY_RETRIES.next_delay(tries) for tries in range(1, 40)]
    schedule = [d for d in plain if d is not None]
    assert schedule[0] == 15
    assert all(b > a for a, b in zip(schedule, schedule[1:], strict=False))
    assert plain[len(schedule):] == [None] * (len(plain) - len(schedule))
    assert 10 <= len(schedule) <= 20
    assert 2 * 86400 <= sum(schedule) <= 3 * 86400

    class Max(random.Random):
        def uniform(self, a: float, b: float) -> float:
            return b

    jittered = [DELIVERY_RETRIES.next_delay(tries, jitter=Max()) for tries in range(1, len(schedule) + 1)]
    assert all(j > s for j, s in zip(jittered, schedule, strict=True))
    assert sum(jittered) <= 3 * 86400
    seeded = [DELIVERY_RETRIES.next_delay(3, jitter=random.Random(seed)) for seed in range(20)]
    assert all(schedule[2] <= d <= schedule[2] + 90 for d in seeded) and len(set(seeded)) > 1


@pytest.mark.parametrize(
    ("tries", "retry_after", "expected"),
    [(1, 3600, 3600), (1, 10, 15), (5, 1, 4**4 + 15), (1, 10**7, DELIVERY_RETRIES.max_retry_after), (17, 60, None)],
)
def test_retry_after_is_honoured_when_larger(tries: int, retry_after: float, expected: float | None) -> None:
    """A larger Retry-After wins (capped at 6 h); a smaller one or an exhausted schedule does not."""
    assert DELIVERY_RETRIES.next_delay(tries, retry_after) == expected


def test_items_and_events_are_retried_four_times_then_fail() -> None:
    """Inbox items and events wait 5, 20, 80 and 320 s between tries and fail after the fifth; no Retry-After or jitter."""
    assert INBOX_ITEM.retries is EVENT.retries is ITEM_RETRIES
    assert [ITEM_RETRIES.next_delay(t, 9999, jitter=random.Random(1)) for t in range(1, 6)] == [5, 20, 80, 320, None]
    assert (INBOX_ITEM.retries.give_up, DELIVERY.retries.give_up) == ("failed", "dead")


def test_retries_must_fit_the_graph() -> None:
    """A retried lifecycle needs one active state that may repeat and may move to the give-up state."""
    retries = Retries(give_up="gone", max_retries=1, delay=lambda tries: 1.0)
    with pytest.raises(ValueError, match="retries need"):
        Lifecycle("q", frozenset({"a"}), frozenset(), {"a": frozenset({"b"}), "b": frozenset()}, retries)
    with pytest.raises(ValueError, match="one initial"):
        Lifecycle("q", frozenset({"a", "b"}), frozenset(), {"a": frozenset({"a"}), "b": frozenset({"a"})}, retries)
