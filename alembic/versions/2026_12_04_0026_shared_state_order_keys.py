"""Scale-out: events ordered by what they are about (not by group), shared rate budgets and hub-wide metrics.

- ``events.order_key``: an event waits only for earlier pending events with the same key (a post's
  publication, edit and deletion; a membership's follow and its undo), no longer for every earlier
  event of its group (hub.queue.claim). Pending events of the old schema keep their group order
  (key ``group:<id>``). The group index (0005) stays: a group's deletion still waits for all its events.
- ``rate_buckets``: the inbox's token buckets when several processes share one PostgreSQL
  (federation.shared_limits), UNLOGGED (lost in a crash, which only favours senders); unused on SQLite.
- ``metric_counts``: each process's counters, summed by /metrics (federation.shared_metrics).

Revision ID: 0026
Revises: 0012
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("events", sa.Column("order_key", sa.String(160), nullable=True))
    op.execute("UPDATE events SET order_key = 'group:' || CAST(group_id AS VARCHAR) WHERE state = 'pending' AND group_id IS NOT NULL")
    op.create_index("ix_events_order_key_state_id", "events", ["order_key", "state", "id"])
    op.create_table(
        "rate_buckets",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated", sa.Float(), nullable=False),
        sa.Column("took", sa.Float(), nullable=False),
    )
    op.create_index("ix_rate_buckets_updated", "rate_buckets", ["updated"])
    if op.get_bind().dialect.name == "postgresql":
        # Budgets are worth nothing after a crash (forgetting them only favours senders): no WAL, no fsync per
        # check. With WAL a check waited for the disk: 769 checks/s against 3,000+ unlogged (bench/budgets.py).
        op.execute("ALTER TABLE rate_buckets SET UNLOGGED")
    op.create_table(
        "metric_counts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("process", sa.String(120), nullable=False),
        sa.Column("series", sa.String(300), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("process", "series"),
    )


def downgrade() -> None:
    op.drop_table("metric_counts")
    op.drop_table("rate_buckets")
    op.drop_index("ix_events_order_key_state_id", table_name="events")
    op.drop_column("events", "order_key")
