"""Collaboration, invites, moderation log, reports, group domain blocks, sign-in links, queue samples.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True)


def _fk(name: str, table: str, *, nullable: bool = False, ondelete: str = "CASCADE", unique: bool = False) -> sa.Column:
    return sa.Column(name, sa.Integer(), sa.ForeignKey(f"{table}.id", ondelete=ondelete), nullable=nullable, unique=unique)


def upgrade() -> None:
    with op.batch_alter_table("memberships") as batch:
        batch.add_column(sa.Column("banned_until", TS))
    op.create_table(
        "group_follows",
        _id(),
        sa.Column("follow_uri", sa.String(1024), nullable=False, unique=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("relay", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        _fk("group_id", "groups"),
        _fk("target_id", "accounts"),
        sa.UniqueConstraint("group_id", "target_id", name="uq_group_follows_group_target"),
    )
    op.create_table(
        "collaborations",
        _id(),
        sa.Column("ends_at", TS),
        sa.Column("created_at", TS, nullable=False),
        _fk("group_id", "groups", unique=True),
        _fk("host_group_id", "groups"),
    )
    op.create_table(
        "invites",
        _id(),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("object_uri", sa.String(1024), nullable=False),
        sa.Column("object_name", sa.String(200)),
        sa.Column("invite_uri", sa.String(1024), nullable=False, unique=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("message", sa.Text()),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("answered_at", TS),
        sa.Column("created_at", TS, nullable=False),
        _fk("collaboration_id", "collaborations", nullable=True),
        _fk("counterpart_id", "accounts"),
        _fk("created_by_id", "accounts", nullable=True, ondelete="SET NULL"),
        _fk("group_id", "groups"),
    )
    op.create_index("ix_invites_group_state", "invites", ["group_id", "state"])
    op.create_table(
        "moderation_actions",
        _id(),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(1024), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("expires_at", TS),
        sa.Column("created_at", TS, nullable=False),
        _fk("group_id", "groups", nullable=True),
        _fk("moderator_id", "accounts", nullable=True, ondelete="SET NULL"),
    )
    op.create_index("ix_moderation_actions_group_id", "moderation_actions", ["group_id", "id"])
    op.create_table(
        "reports",
        _id(),
        sa.Column("flag_uri", sa.String(1024), unique=True),
        sa.Column("reporter_uri", sa.String(1024), nullable=False),
        sa.Column("target_uri", sa.String(1024)),
        sa.Column("object_uris", JSON, nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("outgoing", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("resolved_at", TS),
        _fk("group_id", "groups", nullable=True),
        _fk("resolved_by_id", "accounts", nullable=True, ondelete="SET NULL"),
    )
    op.create_index("ix_reports_group_state", "reports", ["group_id", "state"])
    op.create_table(
        "domain_blocks",
        _id(),
        sa.Column("domain", sa.String(255), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("created_at", TS, nullable=False),
        _fk("group_id", "groups"),
        sa.UniqueConstraint("group_id", "domain", name="uq_domain_blocks_group_domain"),
    )
    op.create_table(
        "login_tokens",
        _id(),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("requested_ip", sa.String(64), nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS),
        sa.Column("created_at", TS, nullable=False),
        _fk("account_id", "accounts"),
    )
    op.create_table(
        "queue_samples",
        _id(),
        sa.Column("sampled_at", TS, nullable=False),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.Column("delivered", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("dead", sa.Integer(), nullable=False),
    )
    op.create_index("ix_queue_samples_sampled_at", "queue_samples", ["sampled_at"])


def downgrade() -> None:
    for table in ("queue_samples", "login_tokens", "domain_blocks", "reports", "moderation_actions", "invites",
                  "collaborations", "group_follows"):
        op.drop_table(table)
    with op.batch_alter_table("memberships") as batch:
        batch.drop_column("banned_until")
