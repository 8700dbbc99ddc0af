"""Initial schema: instance key, peers, accounts, remote actors, groups, memberships, posts, queues.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True)


def upgrade() -> None:
    op.create_table(
        "instance_keys",
        _id(),
        sa.Column("private_key_pem", sa.Text(), nullable=False),
        sa.Column("public_key_pem", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "peers",
        _id(),
        sa.Column("host", sa.String(255), nullable=False, unique=True),
        sa.Column("software", sa.String(64)),
        sa.Column("software_version", sa.String(64)),
        sa.Column("nodeinfo_fetched_at", TS),
        sa.Column("signature_scheme", sa.String(16)),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.Column("block_reason", sa.Text()),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("paused_until", TS),
        sa.Column("last_success_at", TS),
        sa.Column("last_failure_at", TS),
    )
    op.create_table(
        "accounts",
        _id(),
        sa.Column("uri", sa.String(1024), nullable=False, unique=True),
        sa.Column("is_local", sa.Boolean(), nullable=False),
        sa.Column("username", sa.String(64), unique=True),
        sa.Column("password_hash", sa.String(255)),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("handle", sa.String(320)),
        sa.Column("display_name", sa.String(200)),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "remote_actors",
        _id(),
        sa.Column("uri", sa.String(1024), nullable=False, unique=True),
        sa.Column("actor_type", sa.String(32), nullable=False),
        sa.Column("inbox", sa.String(1024), nullable=False),
        sa.Column("shared_inbox", sa.String(1024)),
        sa.Column("key_id", sa.String(1024)),
        sa.Column("public_key_pem", sa.Text()),
        sa.Column("preferred_username", sa.String(200)),
        sa.Column("name", sa.String(200)),
        sa.Column("url", sa.String(1024)),
        sa.Column("icon_url", sa.String(1024)),
        sa.Column("fetched_at", TS, nullable=False),
        sa.Column("gone", sa.Boolean(), nullable=False),
        sa.Column("peer_id", sa.Integer(), sa.ForeignKey("peers.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "account_id", sa.Integer(), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, unique=True
        ),
    )
    op.create_table(
        "groups",
        _id(),
        sa.Column("slug", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("visibility", sa.String(16), nullable=False),
        sa.Column("join_policy", sa.String(16), nullable=False),
        sa.Column("posting_mode", sa.String(16), nullable=False),
        sa.Column("private_key_pem", sa.Text(), nullable=False),
        sa.Column("public_key_pem", sa.Text(), nullable=False),
        sa.Column("icon_path", sa.String(255)),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "memberships",
        _id(),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("follow_uri", sa.String(1024)),
        sa.Column("reason", sa.Text()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("group_id", sa.Integer(), sa.ForeignKey("groups.id", ondelete="CASCADE"), nullable=False),
        sa.UniqueConstraint("group_id", "account_id", name="uq_memberships_group_account"),
    )
    op.create_index("ix_memberships_group_state", "memberships", ["group_id", "state"])
    op.create_table(
        "posts",
        _id(),
        sa.Column("uri", sa.String(1024), nullable=False),
        sa.Column("activity_uri", sa.String(1024)),
        sa.Column("url", sa.String(1024)),
        sa.Column("object_type", sa.String(16), nullable=False),
        sa.Column("in_reply_to", sa.String(1024)),
        sa.Column("thread_uri", sa.String(1024), nullable=False),
        sa.Column("title", sa.String(500)),
        sa.Column("content_html", sa.Text(), nullable=False),
        sa.Column("summary", sa.String(500)),
        sa.Column("language", sa.String(16)),
        sa.Column("visibility", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("published_at", TS, nullable=False),
        sa.Column("edited_at", TS),
        sa.Column("announce_uri", sa.String(1024)),
        sa.Column("activity_json", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("group_id", sa.Integer(), sa.ForeignKey("groups.id", ondelete="CASCADE"), nullable=False),
        sa.Column("via_id", sa.Integer(), sa.ForeignKey("accounts.id", ondelete="SET NULL")),
        sa.UniqueConstraint("group_id", "uri", name="uq_posts_group_uri"),
    )
    op.create_index("ix_posts_uri", "posts", ["uri"])
    op.create_index("ix_posts_thread_uri", "posts", ["thread_uri"])
    op.create_index("ix_posts_group_state_id", "posts", ["group_id", "state", "id"])
    op.create_table(
        "tombstones",
        _id(),
        sa.Column("uri", sa.String(1024), nullable=False, unique=True),
        sa.Column("actor_uri", sa.String(1024), nullable=False),
        sa.Column("deleted_at", TS, nullable=False),
    )
    op.create_table(
        "inbox_items",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("activity_uri", sa.String(1024), nullable=False, unique=True),
        sa.Column("actor_uri", sa.String(1024), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("lease_until", TS),
        sa.Column("next_try_at", TS, nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("processed_at", TS),
    )
    op.create_index("ix_inbox_items_state_next_try_at", "inbox_items", ["state", "next_try_at"])
    op.create_table(
        "events",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("lease_until", TS),
        sa.Column("next_try_at", TS, nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("group_id", sa.Integer(), sa.ForeignKey("groups.id", ondelete="CASCADE")),
    )
    op.create_index("ix_events_state_next_try_at", "events", ["state", "next_try_at"])
    op.create_table(
        "deliveries",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("inbox", sa.String(1024), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("actor_uri", sa.String(1024), nullable=False),
        sa.Column("activity_uri", sa.String(1024), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("next_try_at", TS, nullable=False),
        sa.Column("lease_until", TS),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("last_status", sa.Integer()),
        sa.Column("last_error", sa.Text()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("delivered_at", TS),
    )
    op.create_index("ix_deliveries_state_next_try_at", "deliveries", ["state", "next_try_at"])
    op.create_index("ix_deliveries_host_state", "deliveries", ["host", "state"])


def downgrade() -> None:
    for table in (
        "deliveries", "events", "inbox_items", "tombstones", "posts", "memberships",
        "groups", "remote_actors", "accounts", "peers", "instance_keys",
    ):
        op.drop_table(table)
