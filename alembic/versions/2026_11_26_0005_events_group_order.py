"""An index for claiming events in order per group: the claim asks, for each due event, whether an
earlier event of its group is still pending (hub.queue.claim).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_events_group_state_id", "events", ["group_id", "state", "id"])


def downgrade() -> None:
    op.drop_index("ix_events_group_state_id", table_name="events")
