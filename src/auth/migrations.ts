/**
 * The framework's own tables, as versioned Kysely migrations: users, groups and permissions (Django's
 * `auth_*` names, so a Django user table maps across), tokens and sessions. `migrate` runs these first,
 * then creates the tables of the app's models.
 */
import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { AnyDB } from '../db/database.ts';

const initial: Migration = {
  async up(db: Kysely<AnyDB>) {
    await db.schema
      .createTable('auth_user')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('password', 'varchar(256)', (c) => c.notNull())
      .addColumn('last_login', 'text')
      .addColumn('is_superuser', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('username', 'varchar(150)', (c) => c.notNull().unique())
      .addColumn('first_name', 'varchar(150)', (c) => c.notNull().defaultTo(''))
      .addColumn('last_name', 'varchar(150)', (c) => c.notNull().defaultTo(''))
      .addColumn('email', 'varchar(254)', (c) => c.notNull().defaultTo(''))
      .addColumn('is_staff', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('is_active', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('date_joined', 'text', (c) => c.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
      .execute();
    await db.schema
      .createTable('auth_group')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('name', 'varchar(150)', (c) => c.notNull().unique())
      .execute();
    await db.schema
      .createTable('auth_permission')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('codename', 'varchar(100)', (c) => c.notNull().unique())
      .execute();
    for (const [table, left, leftTable, right, rightTable] of [
      ['auth_user_groups', 'user_id', 'auth_user', 'group_id', 'auth_group'],
      ['auth_group_permissions', 'group_id', 'auth_group', 'permission_id', 'auth_permission'],
      ['auth_user_user_permissions', 'user_id', 'auth_user', 'permission_id', 'auth_permission'],
    ] as const) {
      await db.schema
        .createTable(table)
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn(left, 'integer', (c) => c.notNull().references(`${leftTable}.id`).onDelete('cascade'))
        .addColumn(right, 'integer', (c) => c.notNull().references(`${rightTable}.id`).onDelete('cascade'))
        .addUniqueConstraint(`${table}_unique`, [left, right])
        .execute();
      await db.schema.createIndex(`${table}_${right}`).on(table).column(right).execute();
    }
    // Tokens are stored as a SHA-256 digest (the lookup key) and sealed with AES-GCM under the secret
    // key (so the obtain-token view can return an existing token, as DRF's does); never in plaintext.
    await db.schema
      .createTable('authtoken_token')
      .addColumn('digest', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('sealed', 'text', (c) => c.notNull())
      .addColumn('user_id', 'integer', (c) => c.notNull().unique().references('auth_user.id').onDelete('cascade'))
      .addColumn('created', 'text', (c) => c.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
      .execute();
    // user_id is denormalised out of session_data so authenticating a session is one indexed join.
    await db.schema
      .createTable('django_session')
      .addColumn('session_key', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('session_data', 'text', (c) => c.notNull())
      .addColumn('expire_date', 'bigint', (c) => c.notNull())
      .addColumn('user_id', 'integer', (c) => c.references('auth_user.id').onDelete('cascade'))
      .execute();
    await db.schema.createIndex('django_session_expire_date').on('django_session').column('expire_date').execute();
    await db.schema.createIndex('django_session_user_id').on('django_session').column('user_id').execute();
  },
};

export const coreMigrations: MigrationProvider = {
  async getMigrations() {
    return { '0001_initial': initial };
  },
};
