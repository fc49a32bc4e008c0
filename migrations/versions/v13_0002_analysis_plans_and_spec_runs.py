"""analysis plans and spec runs: pre-registered plans (frozen, hashed) and the record of every specification run

Revision ID: v13_0002
Revises: v13_0001
Create Date: 2026-11-27 16:30:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'v13_0002'
down_revision = 'v13_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('analysis_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('spec', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('frozen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['researcher.id'], name=op.f('fk_analysis_plan_author_id_researcher')),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_analysis_plan_survey_id_survey')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analysis_plan')),
    sa.UniqueConstraint('sha256', name=op.f('uq_analysis_plan_sha256'))
    )
    with op.batch_alter_table('analysis_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analysis_plan_survey_id'), ['survey_id'], unique=False)
    op.create_table('spec_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('researcher_id', sa.Integer(), nullable=True),
    sa.Column('ran_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=40), nullable=False),
    sa.Column('spec_hash', sa.String(length=64), nullable=False),
    sa.Column('verdict', sa.String(length=30), nullable=False),
    sa.Column('estimate', sa.Float(), nullable=True),
    sa.Column('p_value', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['researcher_id'], ['researcher.id'], name=op.f('fk_spec_run_researcher_id_researcher')),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_spec_run_survey_id_survey')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spec_run'))
    )
    with op.batch_alter_table('spec_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_spec_run_survey_id'), ['survey_id'], unique=False)


def downgrade():
    with op.batch_alter_table('spec_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_spec_run_survey_id'))
    op.drop_table('spec_run')
    with op.batch_alter_table('analysis_plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_analysis_plan_survey_id'))
    op.drop_table('analysis_plan')
