"""The instance itself: its actor key pair, first-start content and the settings administrators change in the console."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from hub.keys import generate_rsa_keypair
from hub.models import Account, Group, InstanceKey, InstanceSetting
from hub.services import moderation_log
from hub.services.groups import create_group
from hub.services.moderation import require_admin

OPEN_GROUP_CREATION = "open_group_creation"
"""Whether any signed-in fediverse account may create groups (off: administrators only)."""

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


async def open_group_creation(default: bool) -> bool:
    """Whether anyone signed in from the fediverse may create groups: the administrators' choice in the
    console, or ``default`` (HUB_OPEN_GROUP_CREATION) until they make one."""
    row = await InstanceSetting.get_or_none(name=OPEN_GROUP_CREATION)
    return default if row is None else row.value == "true"


async def set_open_group_creation(value: bool, *, by: Account | None) -> bool:
    """Open (or close) the creation of groups to signed-in fediverse accounts; logged ``group_creation_opened``
    or ``group_creation_closed``. Returns the new value."""
    await require_admin(by)
    async with in_transaction():
        await InstanceSetting.update_or_create(name=OPEN_GROUP_CREATION, defaults={"value": "true" if value else "false"})
        await moderation_log.record("group_creation_opened" if value else "group_creation_closed", "instance",
                                    group=None, by=by)
    return value
