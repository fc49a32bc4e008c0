"""survey trust block: who runs the survey and how to reach them, ethics approval, what is never shared

Revision ID: i14_0001
Revises: v13_0003
Create Date: 2026-11-27 18:40:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'i14_0001'
down_revision = 'v13_0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trust', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.drop_column('trust')
