"""Worker heartbeats: each running worker writes its row every few seconds, so /healthz can tell a
load balancer whether anything processes the queues.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "worker_heartbeats",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True, nullable=False),
        sa.Column("owner", sa.String(64), nullable=False, unique=True),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("beat_at", TS, nullable=False),
    )
    op.create_index("ix_worker_heartbeats_beat_at", "worker_heartbeats", ["beat_at"])


def downgrade() -> None:
    op.drop_table("worker_heartbeats")
