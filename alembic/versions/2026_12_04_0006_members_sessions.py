"""Members at home: server-side sessions, sign-in requests per address, a member's language, campaign
alert mutes, and deleted groups.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True)


def _fk(name: str, table: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), sa.ForeignKey(f"{table}.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "sessions",
        _id(),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_agent", sa.String(300), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        _fk("account_id", "accounts"),
    )
    op.create_table(
        "signin_requests",
        _id(),
        sa.Column("requested_ip", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_signin_requests_ip_created", "signin_requests", ["requested_ip", "created_at"])
    op.create_table(
        "alert_mutes",
        _id(),
        sa.Column("created_at", TS, nullable=False),
        _fk("account_id", "accounts"),
        _fk("campaign_id", "campaigns"),
        sa.UniqueConstraint("campaign_id", "account_id", name="uq_alert_mutes_campaign_account"),
    )
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("language", sa.String(8), nullable=True))
    with op.batch_alter_table("groups") as batch:
        batch.add_column(sa.Column("deleted_at", TS, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("groups") as batch:
        batch.drop_column("deleted_at")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("language")
    for table in ("alert_mutes", "signin_requests", "sessions"):
        op.drop_table(table)
