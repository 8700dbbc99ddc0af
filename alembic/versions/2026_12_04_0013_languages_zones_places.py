"""Languages, time zones and places: a person's time zone (their language column comes with 0006), a group's language, zone, city and
country, where a remote group says it is, calls with a real time in a zone, and the language of posts a
campaign gathers (issue 19, items 4 and 5).

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-04
"""

import sqlalchemy as sa

from alembic import op

revision = "0013"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:  # accounts.language comes with 0006 (members)
        batch.add_column(sa.Column("time_zone", sa.String(64), nullable=True))
    with op.batch_alter_table("groups") as batch:
        batch.add_column(sa.Column("language", sa.String(16), nullable=False, server_default="en"))
        batch.add_column(sa.Column("time_zone", sa.String(64), nullable=False, server_default="UTC"))
        batch.add_column(sa.Column("city", sa.String(100), nullable=False, server_default=""))
        batch.add_column(sa.Column("country", sa.String(2), nullable=False, server_default=""))
    with op.batch_alter_table("remote_actors") as batch:
        batch.add_column(sa.Column("place_name", sa.String(200), nullable=True))
        batch.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch.add_column(sa.Column("longitude", sa.Float(), nullable=True))
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("time_zone", sa.String(64), nullable=True))
    with op.batch_alter_table("campaign_posts") as batch:
        batch.add_column(sa.Column("language", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaign_posts") as batch:
        batch.drop_column("language")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("time_zone")
        batch.drop_column("starts_at")
    with op.batch_alter_table("remote_actors") as batch:
        batch.drop_column("longitude")
        batch.drop_column("latitude")
        batch.drop_column("place_name")
    with op.batch_alter_table("groups") as batch:
        for name in ("country", "city", "time_zone", "language"):
            batch.drop_column(name)
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("time_zone")
