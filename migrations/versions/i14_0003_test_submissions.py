"""test submissions: a researcher's preview answers, stored apart from responses

Revision ID: i14_0003
Revises: i14_0002
Create Date: 2026-11-27 19:30:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'i14_0003'
down_revision = 'i14_0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'test_submission',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=16), nullable=False),
        sa.Column('submitted_on', sa.Date(), nullable=False),
        sa.Column('answers', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_test_submission_survey_id_survey')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_test_submission')),
    )
    with op.batch_alter_table('test_submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_test_submission_survey_id'), ['survey_id'], unique=False)


def downgrade():
    with op.batch_alter_table('test_submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_test_submission_survey_id'))
    op.drop_table('test_submission')
