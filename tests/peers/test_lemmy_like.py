"""The Lemmy-shaped peer reads private messages as Lemmy does: checked against the real Lemmy payloads."""

from __future__ import annotations

import copy

from tests.peers.lemmy_like import PUBLIC, private_message_problems, real


def test_the_real_private_messages_are_shown() -> None:
    """Lemmy's own private messages (Note before 0.19, ChatMessage since) pass, sent by a Person."""
    for path in ("activities/create_or_update/create_private_message.json",
                 "activities/create_or_update/create_private_message_0.19.json"):
        activity = real(path)
        assert private_message_problems(activity, activity["to"][0], "Person") == []


def test_a_group_sender_a_public_copy_or_two_recipients_are_not() -> None:
    """A Group (or Application) sender, Public in cc, or a second recipient each keep the message from the user."""
    activity = real("activities/create_or_update/create_private_message.json")
    recipient = activity["to"][0]
    assert any("UserTypes" in p for p in private_message_problems(activity, recipient, "Group"))
    assert any("UserTypes" in p for p in private_message_problems(activity, recipient, "Application"))
    public = copy.deepcopy(activity)
    public["object"]["cc"] = [PUBLIC]
    assert "a private message must not be public" in private_message_problems(public, recipient, "Service")
    two = copy.deepcopy(activity)
    two["object"]["to"] = [recipient, "http://other.test/u/x"]
    assert private_message_problems(two, recipient, "Service")
