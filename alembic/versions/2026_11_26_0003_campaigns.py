"""Campaigns: gathered posts, calls to action and signups, needs and offers, alerts, relay subscriptions, media.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
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
        "media_files",
        _id(),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("media_type", sa.String(32), nullable=False),
        sa.Column("alt", sa.Text(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "campaigns",
        _id(),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("hashtags", JSON, nullable=False),
        sa.Column("goal", sa.Text(), nullable=False),
        sa.Column("starts_at", TS),
        sa.Column("ends_at", TS),
        sa.Column("donation_url", sa.String(1024)),
        sa.Column("fundraising_target", sa.Integer()),
        sa.Column("fundraising_progress", sa.Integer(), nullable=False),
        sa.Column("fundraising_unit", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        _fk("group_id", "groups"),
        sa.UniqueConstraint("group_id", "slug", name="uq_campaigns_group_slug"),
    )
    op.create_table(
        "campaign_posts",
        _id(),
        sa.Column("uri", sa.String(1024), nullable=False),
        sa.Column("url", sa.String(1024)),
        sa.Column("content_html", sa.Text(), nullable=False),
        sa.Column("attachments", JSON, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("published_at", TS, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        _fk("author_id", "accounts"),
        _fk("campaign_id", "campaigns"),
        _fk("post_id", "posts", nullable=True, ondelete="SET NULL"),
        sa.UniqueConstraint("campaign_id", "uri", name="uq_campaign_posts_campaign_uri"),
    )
    op.create_index("ix_campaign_posts_campaign_state", "campaign_posts", ["campaign_id", "state"])
    op.create_table(
        "calls",
        _id(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("what", sa.String(500), nullable=False),
        sa.Column("where_text", sa.String(500), nullable=False),
        sa.Column("when_text", sa.String(200), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("needed", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("non_members", sa.String(16), nullable=False),
        sa.Column("object_uri", sa.String(1024), unique=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("closed_at", TS),
        _fk("campaign_id", "campaigns", nullable=True, ondelete="SET NULL"),
        _fk("created_by_id", "accounts", nullable=True, ondelete="SET NULL"),
        _fk("group_id", "groups"),
        _fk("image_id", "media_files", nullable=True, ondelete="SET NULL"),
    )
    op.create_index("ix_calls_group_state", "calls", ["group_id", "state"])
    op.create_table(
        "signups",
        _id(),
        sa.Column("via", sa.String(8), nullable=False),
        sa.Column("member", sa.Boolean(), nullable=False),
        sa.Column("activity_uri", sa.String(1024)),
        sa.Column("created_at", TS, nullable=False),
        _fk("account_id", "accounts"),
        _fk("call_id", "calls"),
        sa.UniqueConstraint("call_id", "account_id", name="uq_signups_call_account"),
    )
    op.create_table(
        "board_items",
        _id(),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("keywords", JSON, nullable=False),
        sa.Column("post_uri", sa.String(1024)),
        sa.Column("url", sa.String(1024)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("met_at", TS),
        _fk("author_id", "accounts"),
        _fk("campaign_id", "campaigns", nullable=True, ondelete="SET NULL"),
        _fk("group_id", "groups"),
        _fk("matched_with_id", "board_items", nullable=True, ondelete="SET NULL"),
        sa.UniqueConstraint("group_id", "post_uri", "kind", name="uq_board_items_group_post_kind"),
    )
    op.create_index("ix_board_items_group_state", "board_items", ["group_id", "state"])
    op.create_table(
        "alerts",
        _id(),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("object_uri", sa.String(1024), unique=True),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        _fk("campaign_id", "campaigns", nullable=True, ondelete="SET NULL"),
        _fk("created_by_id", "accounts", nullable=True, ondelete="SET NULL"),
        _fk("group_id", "groups"),
        _fk("image_id", "media_files", nullable=True, ondelete="SET NULL"),
    )
    op.create_index("ix_alerts_group_pinned", "alerts", ["group_id", "pinned"])
    op.create_table(
        "alert_subscriptions",
        _id(),
        sa.Column("created_at", TS, nullable=False),
        _fk("account_id", "accounts"),
        _fk("group_id", "groups"),
        sa.UniqueConstraint("group_id", "account_id", name="uq_alert_subscriptions_group_account"),
    )
    op.create_table(
        "relay_subscriptions",
        _id(),
        sa.Column("actor_uri", sa.String(1024), nullable=False, unique=True),
        sa.Column("inbox", sa.String(1024), nullable=False),
        sa.Column("follow_uri", sa.String(1024), nullable=False, unique=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )


def downgrade() -> None:
    for table in ("relay_subscriptions", "alert_subscriptions", "alerts", "board_items", "signups", "calls",
                  "campaign_posts", "campaigns", "media_files"):
        op.drop_table(table)
