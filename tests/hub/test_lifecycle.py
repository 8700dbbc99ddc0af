"""Tests for hub.lifecycle: the declared state graphs and how services use them."""

from __future__ import annotations

import pytest

from hub import queue
from hub.errors import Conflict
from hub.lifecycle import ALL, DELIVERY, EVENT, INBOX_ITEM, MEMBERSHIP, POST, Lifecycle
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
