"""release, microdata grant, survey.microdata_k (respondent privacy, issue 10)

Revision ID: p10_0001
Revises: 0002_submission_token
Create Date: 2026-11-27 15:20:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'p10_0001'
down_revision = 'p11_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('release',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('min_cell_size', sa.Integer(), nullable=False),
    sa.Column('waves', sa.JSON(), nullable=False),
    sa.Column('cube', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['researcher.id'], name=op.f('fk_release_created_by_id_researcher')),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_release_survey_id_survey'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_release')),
    sa.UniqueConstraint('survey_id', 'number', name='uq_release_survey_number')
    )
    with op.batch_alter_table('release', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_release_survey_id'), ['survey_id'], unique=False)
    op.create_table('microdata_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('analyst_id', sa.Integer(), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['analyst_id'], ['researcher.id'], name=op.f('fk_microdata_grant_analyst_id_researcher')),
    sa.ForeignKeyConstraint(['granted_by_id'], ['researcher.id'],
                            name=op.f('fk_microdata_grant_granted_by_id_researcher')),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_microdata_grant_survey_id_survey'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_microdata_grant'))
    )
    with op.batch_alter_table('microdata_grant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_microdata_grant_analyst_id'), ['analyst_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_microdata_grant_survey_id'), ['survey_id'], unique=False)
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.add_column(sa.Column('microdata_k', sa.Integer(), server_default='5', nullable=False))


def downgrade():
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.drop_column('microdata_k')
    with op.batch_alter_table('microdata_grant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_microdata_grant_survey_id'))
        batch_op.drop_index(batch_op.f('ix_microdata_grant_analyst_id'))
    op.drop_table('microdata_grant')
    with op.batch_alter_table('release', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_release_survey_id'))
    op.drop_table('release')
