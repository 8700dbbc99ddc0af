"""Wrong passwords, remembered for a day: password sign-in slows down per user name and address, and caps each address.

Revision ID: 0012
Revises: 0005
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0015"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_login_failures_address_created", "login_failures", ["address", "created_at"])
    op.create_index("ix_login_failures_username_address_created", "login_failures", ["username", "address", "created_at"])


def downgrade() -> None:
    op.drop_table("login_failures")
