"""policy event entanglement: each event says more or less police entanglement with enforcement

Revision ID: v13_0001
Revises: w15_0001
Create Date: 2026-11-27 16:20:00

The claim under test is about one dimension: more or less entanglement of local police
with immigration enforcement. Existing rows are filled from their expected effect on
trust (-1 = more entanglement, +1 = less), the same mapping new events use.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'v13_0001'
down_revision = 'p10_0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('policy_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entanglement', sa.String(length=4), nullable=True))
    op.execute("UPDATE policy_event SET entanglement = CASE WHEN direction < 0 THEN 'more' ELSE 'less' END")
    with op.batch_alter_table('policy_event', schema=None) as batch_op:
        batch_op.alter_column('entanglement', existing_type=sa.String(length=4), nullable=False)
        batch_op.create_check_constraint('entanglement_value', "entanglement IN ('more', 'less')")


def downgrade():
    with op.batch_alter_table('policy_event', schema=None) as batch_op:
        batch_op.drop_constraint('entanglement_value', type_='check')
        batch_op.drop_column('entanglement')
