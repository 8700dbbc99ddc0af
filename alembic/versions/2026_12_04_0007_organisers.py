"""Organisers: the group's own announcements, refusals explained once a day, organisers' notification settings.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True)


def _fk(name: str, table: str, *, nullable: bool = False, ondelete: str = "CASCADE") -> sa.Column:
    return sa.Column(name, sa.Integer(), sa.ForeignKey(f"{table}.id", ondelete=ondelete), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "announcements",
        _id(),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("summary", sa.String(500)),
        sa.Column("media_ids", JSON, nullable=False),
        sa.Column("object_uri", sa.String(1024), unique=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("edited_at", TS),
        sa.Column("deleted_at", TS),
        _fk("created_by_id", "accounts", nullable=True, ondelete="SET NULL"),
        _fk("group_id", "groups"),
    )
    op.create_index("ix_announcements_group_state", "announcements", ["group_id", "state"])
    op.create_table(
        "refusal_notices",
        _id(),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("sent_at", TS, nullable=False),
        _fk("account_id", "accounts"),
        _fk("group_id", "groups"),
        sa.UniqueConstraint("group_id", "account_id", "reason", name="uq_refusal_notices_group_account_reason"),
    )
    op.create_table(
        "organiser_settings",
        _id(),
        sa.Column("direct_messages", sa.Boolean(), nullable=False),
        sa.Column("email", sa.String(320)),
        sa.Column("told_at", JSON, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        _fk("account_id", "accounts"),
        _fk("group_id", "groups"),
        sa.UniqueConstraint("group_id", "account_id", name="uq_organiser_settings_group_account"),
    )


def downgrade() -> None:
    for table in ("organiser_settings", "refusal_notices", "announcements"):
        op.drop_table(table)
