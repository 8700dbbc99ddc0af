"""The instance itself: its actor key pair and first-start content."""

from __future__ import annotations

from hub.keys import generate_rsa_keypair
from hub.models import Group, InstanceKey
from hub.services.groups import create_group

EXAMPLE_GROUP = {
    "slug": "climate",
    "name": "Climate Action",
    "summary": "An example group created on first start. Follow **@climate** from your fediverse account to join; "
    "mention it in a public post to post to every member.",
}


async def instance_key() -> InstanceKey:
    """The instance actor's key pair, generated on first use."""
    key = await InstanceKey.all().order_by("id").first()
    if key is None:
        private_pem, public_pem = generate_rsa_keypair()
        key = await InstanceKey.create(private_key_pem=private_pem, public_key_pem=public_pem)
    return key


async def seed_example_group() -> Group | None:
    """On an empty hub, create one example group so the home page has something to show."""
    if await Group.all().exists():
        return None
    return await create_group(**EXAMPLE_GROUP)
