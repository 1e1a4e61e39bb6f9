"""Initial schema: users, identities, profiles, consent, phrases, guilds, jobs, clip cache.

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 09:36:57.909137
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('guilds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.Enum('telegram', 'discord', name='platform', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('platform_guild_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('tutor_role_ids', sa.JSON(), nullable=False),
    sa.Column('allowed_channel_ids', sa.JSON(), nullable=False),
    sa.Column('default_language', sa.String(length=35), nullable=True),
    sa.Column('default_output_format', sa.Enum('video', 'video_note', 'voice', name='output_format', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.Column('default_captions', sa.Enum('soft', 'burn', 'none', name='captions_mode', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guilds')),
    sa.UniqueConstraint('platform', 'platform_guild_id', name=op.f('uq_guilds_platform_platform_guild_id'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=True),
    sa.Column('output_format', sa.Enum('video', 'video_note', 'voice', name='output_format', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('captions', sa.Enum('soft', 'burn', 'none', name='captions_mode', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('language', sa.String(length=35), nullable=False),
    sa.Column('interface_locale', sa.String(length=35), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users'))
    )
    op.create_table('clip_cache',
    sa.Column('request_hash', sa.String(length=128), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('blob', sa.String(length=64), nullable=False),
    sa.Column('mime', sa.String(length=100), nullable=False),
    sa.Column('meta', sa.JSON(), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_clip_cache_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('request_hash', name=op.f('pk_clip_cache'))
    )
    op.create_index(op.f('ix_clip_cache_blob'), 'clip_cache', ['blob'], unique=False)
    op.create_index(op.f('ix_clip_cache_user_id'), 'clip_cache', ['user_id'], unique=False)

    op.create_table('consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Enum('voice_cloning', 'face_animation', 'act_for_another', name='consent_purpose', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('scope', sa.String(length=100), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('granted_by_user_id', sa.Integer(), nullable=True),
    sa.Column('grantee_user_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['granted_by_user_id'], ['users.id'], name=op.f('fk_consents_granted_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['grantee_user_id'], ['users.id'], name=op.f('fk_consents_grantee_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['revoked_by_user_id'], ['users.id'], name=op.f('fk_consents_revoked_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_consents_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents'))
    )
    op.create_index(op.f('ix_consents_granted_by_user_id'), 'consents', ['granted_by_user_id'], unique=False)
    op.create_index(op.f('ix_consents_grantee_user_id'), 'consents', ['grantee_user_id'], unique=False)
    op.create_index(op.f('ix_consents_revoked_by_user_id'), 'consents', ['revoked_by_user_id'], unique=False)
    op.create_index(op.f('ix_consents_scope'), 'consents', ['scope'], unique=False)
    op.create_index(op.f('ix_consents_user_id'), 'consents', ['user_id'], unique=False)
    op.create_index('ix_consents_user_purpose', 'consents', ['user_id', 'purpose'], unique=False)

    op.create_table('face_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('engine', sa.String(length=32), nullable=False),
    sa.Column('style', sa.String(length=100), nullable=True),
    sa.Column('photo_blob', sa.String(length=64), nullable=True),
    sa.Column('photo_mime', sa.String(length=100), nullable=True),
    sa.Column('prepared_face_blob', sa.String(length=64), nullable=True),
    sa.Column('weights_blob', sa.String(length=64), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_face_profiles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_face_profiles'))
    )
    op.create_index(op.f('ix_face_profiles_photo_blob'), 'face_profiles', ['photo_blob'], unique=False)
    op.create_index(op.f('ix_face_profiles_prepared_face_blob'), 'face_profiles', ['prepared_face_blob'], unique=False)
    op.create_index(op.f('ix_face_profiles_user_id'), 'face_profiles', ['user_id'], unique=False)
    op.create_index(op.f('ix_face_profiles_weights_blob'), 'face_profiles', ['weights_blob'], unique=False)
    op.create_index('uq_face_profiles_one_active', 'face_profiles', ['user_id'], unique=True, sqlite_where=sa.text('is_active'), postgresql_where=sa.text('is_active'))

    op.create_table('guild_members',
    sa.Column('guild_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('member', 'tutor', name='guild_role', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['guild_id'], ['guilds.id'], name=op.f('fk_guild_members_guild_id_guilds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_guild_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('guild_id', 'user_id', name=op.f('pk_guild_members'))
    )
    op.create_index(op.f('ix_guild_members_user_id'), 'guild_members', ['user_id'], unique=False)

    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('state', sa.Enum('queued', 'running', 'done', 'failed', 'cancelled', name='job_state', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=True),
    sa.Column('lease_owner', sa.String(length=200), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('available_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('input_blob', sa.String(length=64), nullable=True),
    sa.Column('result_blob', sa.String(length=64), nullable=True),
    sa.Column('result_mime', sa.String(length=100), nullable=True),
    sa.Column('result_meta', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_jobs_attempts_non_negative')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_jobs_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs')),
    sa.UniqueConstraint('user_id', 'idempotency_key', name=op.f('uq_jobs_user_id_idempotency_key'))
    )
    op.create_index(op.f('ix_jobs_input_blob'), 'jobs', ['input_blob'], unique=False)
    op.create_index(op.f('ix_jobs_result_blob'), 'jobs', ['result_blob'], unique=False)
    op.create_index('ix_jobs_state_available', 'jobs', ['state', 'available_at'], unique=False)
    op.create_index(op.f('ix_jobs_user_id'), 'jobs', ['user_id'], unique=False)
    op.create_index('ix_jobs_user_state', 'jobs', ['user_id', 'state'], unique=False)
    op.create_index('ix_jobs_user_started', 'jobs', ['user_id', 'started_at'], unique=False)

    op.create_table('phrases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=100), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('use_count', sa.Integer(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('clip_blob', sa.String(length=64), nullable=True),
    sa.Column('clip_mime', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_phrases_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phrases'))
    )
    op.create_index(op.f('ix_phrases_clip_blob'), 'phrases', ['clip_blob'], unique=False)
    op.create_index(op.f('ix_phrases_user_id'), 'phrases', ['user_id'], unique=False)
    op.create_index('ix_phrases_user_position', 'phrases', ['user_id', 'position'], unique=False)

    op.create_table('platform_identities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.Enum('telegram', 'discord', name='platform', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('platform_user_id', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_platform_identities_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_identities')),
    sa.UniqueConstraint('platform', 'platform_user_id', name=op.f('uq_platform_identities_platform_platform_user_id'))
    )
    op.create_index(op.f('ix_platform_identities_user_id'), 'platform_identities', ['user_id'], unique=False)

    op.create_table('voice_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('engine', sa.String(length=32), nullable=False),
    sa.Column('voice_id', sa.String(length=200), nullable=True),
    sa.Column('rate', sa.Double(), nullable=False),
    sa.Column('pitch', sa.Double(), nullable=False),
    sa.Column('volume', sa.Double(), nullable=False),
    sa.Column('language', sa.String(length=35), nullable=False),
    sa.Column('pronunciation_overrides', sa.JSON(), nullable=False),
    sa.Column('reference_audio_blob', sa.String(length=64), nullable=True),
    sa.Column('reference_audio_mime', sa.String(length=100), nullable=True),
    sa.Column('engine_state_blob', sa.String(length=64), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_voice_profiles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voice_profiles'))
    )
    op.create_index(op.f('ix_voice_profiles_engine_state_blob'), 'voice_profiles', ['engine_state_blob'], unique=False)
    op.create_index(op.f('ix_voice_profiles_reference_audio_blob'), 'voice_profiles', ['reference_audio_blob'], unique=False)
    op.create_index(op.f('ix_voice_profiles_user_id'), 'voice_profiles', ['user_id'], unique=False)
    op.create_index('uq_voice_profiles_one_active', 'voice_profiles', ['user_id'], unique=True, sqlite_where=sa.text('is_active'), postgresql_where=sa.text('is_active'))



def downgrade() -> None:
    op.drop_index('uq_voice_profiles_one_active', table_name='voice_profiles', sqlite_where=sa.text('is_active'), postgresql_where=sa.text('is_active'))
    op.drop_index(op.f('ix_voice_profiles_user_id'), table_name='voice_profiles')
    op.drop_index(op.f('ix_voice_profiles_reference_audio_blob'), table_name='voice_profiles')
    op.drop_index(op.f('ix_voice_profiles_engine_state_blob'), table_name='voice_profiles')

    op.drop_table('voice_profiles')
    op.drop_index(op.f('ix_platform_identities_user_id'), table_name='platform_identities')

    op.drop_table('platform_identities')
    op.drop_index('ix_phrases_user_position', table_name='phrases')
    op.drop_index(op.f('ix_phrases_user_id'), table_name='phrases')
    op.drop_index(op.f('ix_phrases_clip_blob'), table_name='phrases')

    op.drop_table('phrases')
    op.drop_index('ix_jobs_user_started', table_name='jobs')
    op.drop_index('ix_jobs_user_state', table_name='jobs')
    op.drop_index(op.f('ix_jobs_user_id'), table_name='jobs')
    op.drop_index('ix_jobs_state_available', table_name='jobs')
    op.drop_index(op.f('ix_jobs_result_blob'), table_name='jobs')
    op.drop_index(op.f('ix_jobs_input_blob'), table_name='jobs')

    op.drop_table('jobs')
    op.drop_index(op.f('ix_guild_members_user_id'), table_name='guild_members')

    op.drop_table('guild_members')
    op.drop_index('uq_face_profiles_one_active', table_name='face_profiles', sqlite_where=sa.text('is_active'), postgresql_where=sa.text('is_active'))
    op.drop_index(op.f('ix_face_profiles_weights_blob'), table_name='face_profiles')
    op.drop_index(op.f('ix_face_profiles_user_id'), table_name='face_profiles')
    op.drop_index(op.f('ix_face_profiles_prepared_face_blob'), table_name='face_profiles')
    op.drop_index(op.f('ix_face_profiles_photo_blob'), table_name='face_profiles')

    op.drop_table('face_profiles')
    op.drop_index('ix_consents_user_purpose', table_name='consents')
    op.drop_index(op.f('ix_consents_user_id'), table_name='consents')
    op.drop_index(op.f('ix_consents_scope'), table_name='consents')
    op.drop_index(op.f('ix_consents_revoked_by_user_id'), table_name='consents')
    op.drop_index(op.f('ix_consents_grantee_user_id'), table_name='consents')
    op.drop_index(op.f('ix_consents_granted_by_user_id'), table_name='consents')

    op.drop_table('consents')
    op.drop_index(op.f('ix_clip_cache_user_id'), table_name='clip_cache')
    op.drop_index(op.f('ix_clip_cache_blob'), table_name='clip_cache')

    op.drop_table('clip_cache')
    op.drop_table('users')
    op.drop_table('guilds')
