"""response buffer and survey version: responses leave the submit transaction sealed

Revision ID: p11_0001
Revises: 0002_submission_token
Create Date: 2026-11-27 15:20:00

``response_buffer`` holds submitted responses (AES-GCM sealed) until they are written
out to ``response``/``answer`` in shuffled batches; ``survey.version`` is bumped by
any change to a survey so respondent workers know when their snapshot is stale.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'p11_0001'
down_revision = 'w15_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('response_buffer',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_response_buffer_survey_id_survey')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_buffer'))
    )
    with op.batch_alter_table('response_buffer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_buffer_survey_id'), ['survey_id'], unique=False)
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.drop_column('version')
    with op.batch_alter_table('response_buffer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_buffer_survey_id'))
    op.drop_table('response_buffer')
