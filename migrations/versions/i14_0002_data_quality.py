"""data quality: a survey's minimum answered share, and two flags per response (no timestamps)

Revision ID: i14_0002
Revises: i14_0001
Create Date: 2026-11-27 18:55:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'i14_0002'
down_revision = 'i14_0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_answered_share', sa.Float(), server_default='0.5', nullable=False))
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flag_straightlining', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('flag_nonresponse', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('flag_nonresponse')
        batch_op.drop_column('flag_straightlining')
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.drop_column('min_answered_share')
