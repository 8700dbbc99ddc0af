"""Group decisions by vote (decisions, votes, who may open them) and each group's resource library.

Revision ID: 0010
Revises: 0005
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True)


def _fk(name: str, table: str, *, nullable: bool = False, ondelete: str = "CASCADE") -> sa.Column:
    return sa.Column(name, sa.Integer(), sa.ForeignKey(f"{table}.id", ondelete=ondelete), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("groups") as batch:
        batch.add_column(sa.Column("decisions_by", sa.String(16), nullable=False, server_default="organisers"))
    op.create_table(
        "decisions",
        _id(),
        sa.Column("question", sa.String(500), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("options", JSON, nullable=False),
        sa.Column("multiple", sa.Boolean(), nullable=False),
        sa.Column("changeable", sa.Boolean(), nullable=False),
        sa.Column("quorum", sa.Integer()),
        sa.Column("closes_at", TS, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("object_uri", sa.String(1024), unique=True),
        sa.Column("result", JSON),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("closed_at", TS),
        _fk("group_id", "groups"),
        _fk("created_by_id", "accounts", nullable=True, ondelete="SET NULL"),
    )
    op.create_index("ix_decisions_group_state", "decisions", ["group_id", "state"])
    op.create_index("ix_decisions_state_closes_at", "decisions", ["state", "closes_at"])
    op.create_table(
        "votes",
        _id(),
        sa.Column("choice", sa.Integer(), nullable=False),
        sa.Column("member", sa.Boolean(), nullable=False),
        sa.Column("activity_uri", sa.String(1024)),
        sa.Column("created_at", TS, nullable=False),
        _fk("decision_id", "decisions"),
        _fk("account_id", "accounts"),
        sa.UniqueConstraint("decision_id", "account_id", "choice", name="uq_votes_decision_account_choice"),
    )
    op.create_table(
        "library_entries",
        _id(),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("url", sa.String(1024)),
        sa.Column("file_name", sa.String(64)),
        sa.Column("file_size", sa.Integer()),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("object_uri", sa.String(1024), unique=True),
        sa.Column("created_at", TS, nullable=False),
        _fk("group_id", "groups"),
        _fk("image_id", "media_files", nullable=True, ondelete="SET NULL"),
        _fk("created_by_id", "accounts", nullable=True, ondelete="SET NULL"),
    )
    op.create_index("ix_library_entries_group_state", "library_entries", ["group_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_library_entries_group_state", table_name="library_entries")
    op.drop_table("library_entries")
    op.drop_table("votes")
    op.drop_index("ix_decisions_state_closes_at", table_name="decisions")
    op.drop_index("ix_decisions_group_state", table_name="decisions")
    op.drop_table("decisions")
    with op.batch_alter_table("groups") as batch:
        batch.drop_column("decisions_by")
