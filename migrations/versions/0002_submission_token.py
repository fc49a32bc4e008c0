"""submission token: used one-time tokens of the respondent form (double-submit guard)

Revision ID: 0002_submission_token
Revises: 0001
Create Date: 2026-11-25 18:00:00

The table holds keyed hashes only and has no link to the response table.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_submission_token'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('submission_token',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_submission_token'))
    )


def downgrade():
    op.drop_table('submission_token')
