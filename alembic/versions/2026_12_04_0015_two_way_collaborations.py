"""Two-way collaborations: a space's hashtag, a hashtag filter on group follows, moderators named by partners,
partners' calls counted in a space's campaigns.

Revision ID: 0015
Revises: 0005
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("group_follows") as batch:
        batch.add_column(sa.Column("hashtag", sa.String(100)))
    with op.batch_alter_table("collaborations") as batch:
        batch.add_column(sa.Column("hashtag", sa.String(100), nullable=False, server_default=""))
    op.create_table(
        "collaboration_moderators",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("space_id", sa.Integer(), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("partner_id", sa.Integer(), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("moderator_id", sa.Integer(), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.UniqueConstraint("space_id", "partner_id", "moderator_id", name="uq_collaboration_moderators_space_partner_moderator"),
    )
    op.create_table(
        "partner_calls",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("uri", sa.String(1024), nullable=False),
        sa.Column("what", sa.String(500), nullable=False),
        sa.Column("signups", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
        sa.Column("partner_id", sa.Integer(), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.UniqueConstraint("campaign_id", "uri", name="uq_partner_calls_campaign_uri"),
    )


def downgrade() -> None:
    op.drop_table("partner_calls")
    op.drop_table("collaboration_moderators")
    with op.batch_alter_table("collaborations") as batch:
        batch.drop_column("hashtag")
    with op.batch_alter_table("group_follows") as batch:
        batch.drop_column("hashtag")
