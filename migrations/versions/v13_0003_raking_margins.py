"""raking margins: population margins uploaded per survey for raking weights in web reports

Revision ID: v13_0003
Revises: e14_0001
Create Date: 2026-11-27 18:30:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'v13_0003'
down_revision = 'e14_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('raking_margins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_raking_margins_survey_id_survey')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['researcher.id'],
                            name=op.f('fk_raking_margins_uploaded_by_id_researcher')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_raking_margins'))
    )
    with op.batch_alter_table('raking_margins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_raking_margins_survey_id'), ['survey_id'], unique=False)


def downgrade():
    with op.batch_alter_table('raking_margins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_raking_margins_survey_id'))
    op.drop_table('raking_margins')
