"""Gatherings (a group's events, named so apart from the domain events of the outbox), RSVPs, and the
events of followed groups.

Revision ID: 0009
Revises: 0005
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
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
        "gatherings",
        _id(),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("place_name", sa.String(200), nullable=False),
        sa.Column("street_address", sa.String(300), nullable=False),
        sa.Column("locality", sa.String(200), nullable=False),
        sa.Column("region", sa.String(200), nullable=False),
        sa.Column("postal_code", sa.String(32), nullable=False),
        sa.Column("country", sa.String(100), nullable=False),
        sa.Column("latitude", sa.Float()),
        sa.Column("longitude", sa.Float()),
        sa.Column("online_url", sa.String(1024)),
        sa.Column("capacity", sa.Integer()),
        sa.Column("join_mode", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("remind_before", JSON, nullable=False),
        sa.Column("reminded", JSON, nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("cancelled_at", TS),
        _fk("group_id", "groups"),
        _fk("image_id", "media_files", nullable=True, ondelete="SET NULL"),
        _fk("created_by_id", "accounts", nullable=True, ondelete="SET NULL"),
    )
    op.create_index("ix_gatherings_group_starts_at", "gatherings", ["group_id", "starts_at"])
    op.create_index("ix_gatherings_state_starts_at", "gatherings", ["state", "starts_at"])
    op.create_table(
        "rsvps",
        _id(),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("activity_uri", sa.String(1024)),
        sa.Column("arrived_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        _fk("gathering_id", "gatherings"),
        _fk("account_id", "accounts"),
        sa.UniqueConstraint("gathering_id", "account_id", name="uq_rsvps_gathering_account"),
    )
    op.create_index("ix_rsvps_gathering_status_arrived", "rsvps", ["gathering_id", "status", "arrived_at"])
    op.create_table(
        "remote_gatherings",
        _id(),
        sa.Column("uri", sa.String(1024), nullable=False, unique=True),
        sa.Column("url", sa.String(1024)),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS),
        sa.Column("timezone", sa.String(64)),
        sa.Column("place", sa.String(500), nullable=False),
        sa.Column("online_url", sa.String(1024)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("participant_count", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer()),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        _fk("origin_id", "accounts"),
    )
    op.create_index("ix_remote_gatherings_starts_at", "remote_gatherings", ["starts_at"])


def downgrade() -> None:
    op.drop_table("remote_gatherings")
    op.drop_table("rsvps")
    op.drop_table("gatherings")
