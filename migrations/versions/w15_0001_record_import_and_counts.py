"""record import and counts: police-records imports and their aggregated counts

Revision ID: w15_0001
Revises: 0002_submission_token
Create Date: 2026-11-27 15:04:58

Only place x period x victim group x category counts are stored, never incident
rows (they can hold addresses). The two unique constraints per survey refuse a
re-import of the same file (content hash) or the same incidents (rows fingerprint).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'w15_0001'
down_revision = '0002_submission_token'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('record_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('researcher_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('rows_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=20), nullable=False),
    sa.Column('n_rows', sa.Integer(), nullable=False),
    sa.Column('n_counted', sa.Integer(), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('tally', sa.JSON(), nullable=False),
    sa.Column('unmapped', sa.JSON(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['researcher_id'], ['researcher.id'], name=op.f('fk_record_import_researcher_id_researcher')),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_record_import_survey_id_survey')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_import')),
    sa.UniqueConstraint('survey_id', 'content_hash', name='uq_record_import_survey_content'),
    sa.UniqueConstraint('survey_id', 'rows_fingerprint', name='uq_record_import_survey_rows')
    )
    with op.batch_alter_table('record_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_import_survey_id'), ['survey_id'], unique=False)

    op.create_table('record_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('place', sa.String(length=40), nullable=False),
    sa.Column('period', sa.String(length=40), nullable=False),
    sa.Column('victim_group', sa.String(length=40), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.CheckConstraint('count >= 0', name=op.f('ck_record_count_count_non_negative')),
    sa.ForeignKeyConstraint(['import_id'], ['record_import.id'], name=op.f('fk_record_count_import_id_record_import')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_count')),
    sa.UniqueConstraint('import_id', 'place', 'period', 'victim_group', 'category', name='uq_record_count_cell')
    )
    with op.batch_alter_table('record_count', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_count_import_id'), ['import_id'], unique=False)



def downgrade():
    with op.batch_alter_table('record_count', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_count_import_id'))

    op.drop_table('record_count')
    with op.batch_alter_table('record_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_import_survey_id'))

    op.drop_table('record_import')
