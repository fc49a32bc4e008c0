"""instrument versions for the questionnaire editor; the instrument each wave is fielded with

Revision ID: e14_0001
Revises: v13_0002
Create Date: 2026-11-27 18:20:00

Instruments gain a status (draft / published: every stored row so far was loaded from a file,
so published), an owning organisation (None: shared, as loaded by the CLI), a parent version,
who made it, when it was published, and per-item translation reviews. Waves record the
instrument they are fielded with, filled from their survey for existing rows.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e14_0001'
down_revision = 'v13_0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('instrument', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=10), nullable=False, server_default='published'))
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('published_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reviews', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.create_index(batch_op.f('ix_instrument_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_foreign_key('fk_instrument_organisation_id_organisation', 'organisation',
                                    ['organisation_id'], ['id'])
        batch_op.create_foreign_key('fk_instrument_parent_id_instrument', 'instrument', ['parent_id'], ['id'])
        batch_op.create_foreign_key('fk_instrument_created_by_id_researcher', 'researcher', ['created_by_id'], ['id'])
    with op.batch_alter_table('wave', schema=None) as batch_op:
        batch_op.add_column(sa.Column('instrument_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_wave_instrument_id_instrument', 'instrument', ['instrument_id'], ['id'])
    op.execute("UPDATE wave SET instrument_id = (SELECT survey.instrument_id FROM survey WHERE survey.id = wave.survey_id)")


def downgrade():
    with op.batch_alter_table('wave', schema=None) as batch_op:
        batch_op.drop_constraint('fk_wave_instrument_id_instrument', type_='foreignkey')
        batch_op.drop_column('instrument_id')
    with op.batch_alter_table('instrument', schema=None) as batch_op:
        batch_op.drop_constraint('fk_instrument_created_by_id_researcher', type_='foreignkey')
        batch_op.drop_constraint('fk_instrument_parent_id_instrument', type_='foreignkey')
        batch_op.drop_constraint('fk_instrument_organisation_id_organisation', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_instrument_organisation_id'))
        for column in ('reviews', 'published_at', 'created_by_id', 'parent_id', 'organisation_id', 'status'):
            batch_op.drop_column(column)
