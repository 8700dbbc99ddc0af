"""FEP-8b32 integrity proofs: each group's Ed25519 key, and the Ed25519 assertion keys of remote actors.

Groups' keys are made on first use (federation.proof_keys), so existing groups get one the first time
their actor is served or they publish something.

Revision ID: 0024
Revises: 0012
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0024"
down_revision = "0022"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("groups") as batch:
        batch.add_column(sa.Column("proof_key_pem", sa.Text(), nullable=True))
    with op.batch_alter_table("remote_actors") as batch:
        batch.add_column(sa.Column("assertion_keys", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("remote_actors") as batch:
        batch.drop_column("assertion_keys")
    with op.batch_alter_table("groups") as batch:
        batch.drop_column("proof_key_pem")
