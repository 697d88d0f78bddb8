/**
 * The framework's own tables, as versioned Kysely migrations: users, groups and permissions (Django's
 * `auth_*` names, so a Django user table maps across), tokens and sessions. `migrate` runs these first,
 * then creates the tables of the app's models.
 */
import { sql, type ColumnDataType, type ColumnDefinitionBuilder, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { AnyDB, Dialect } from '../db/database.ts';

/**
 * Where the engines differ. SQLite keeps its original schema (flags as 0/1 integers, datetimes as ISO
 * text). PostgreSQL gets Django's native types: identity ids, `boolean` flags, `timestamptz` dates, so
 * `UserModel` (which declares them boolean/dateTime) queries them as it does its own tables. accounts.ts
 * stays dialect-free: it writes flags as 1/0 and dates as ISO strings, which PostgreSQL accepts as
 * boolean and timestamptz input, and reads flags by truthiness.
 */
interface ColumnTypes {
  id: ColumnDataType;
  primaryKey(column: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  flag: ColumnDataType;
  yes: number | boolean;
  no: number | boolean;
  date: ColumnDataType;
}

const columnTypes: Record<Dialect, ColumnTypes> = {
  sqlite: { id: 'integer', primaryKey: (c) => c.primaryKey().autoIncrement(), flag: 'integer', yes: 1, no: 0, date: 'text' },
  postgres: {
    id: 'bigint',
    primaryKey: (c) => c.primaryKey().generatedByDefaultAsIdentity(),
    flag: 'boolean',
    yes: true,
    no: false,
    date: 'timestamptz',
  },
};

const initial = (t: ColumnTypes): Migration => ({
  async up(db: Kysely<AnyDB>) {
    await db.schema
      .createTable('auth_user')
      .addColumn('id', t.id, t.primaryKey)
      .addColumn('password', 'varchar(256)', (c) => c.notNull())
      .addColumn('last_login', t.date)
      .addColumn('is_superuser', t.flag, (c) => c.notNull().defaultTo(t.no))
      .addColumn('username', 'varchar(150)', (c) => c.notNull().unique())
      .addColumn('first_name', 'varchar(150)', (c) => c.notNull().defaultTo(''))
      .addColumn('last_name', 'varchar(150)', (c) => c.notNull().defaultTo(''))
      .addColumn('email', 'varchar(254)', (c) => c.notNull().defaultTo(''))
      .addColumn('is_staff', t.flag, (c) => c.notNull().defaultTo(t.no))
      .addColumn('is_active', t.flag, (c) => c.notNull().defaultTo(t.yes))
      .addColumn('date_joined', t.date, (c) => c.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
      .execute();
    await db.schema
      .createTable('auth_group')
      .addColumn('id', t.id, t.primaryKey)
      .addColumn('name', 'varchar(150)', (c) => c.notNull().unique())
      .execute();
    await db.schema
      .createTable('auth_permission')
      .addColumn('id', t.id, t.primaryKey)
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
        .addColumn('id', t.id, t.primaryKey)
        .addColumn(left, t.id, (c) => c.notNull().references(`${leftTable}.id`).onDelete('cascade'))
        .addColumn(right, t.id, (c) => c.notNull().references(`${rightTable}.id`).onDelete('cascade'))
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
      .addColumn('user_id', t.id, (c) => c.notNull().unique().references('auth_user.id').onDelete('cascade'))
      .addColumn('created', t.date, (c) => c.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
      .execute();
    // user_id is denormalised out of session_data so authenticating a session is one indexed join.
    await db.schema
      .createTable('django_session')
      .addColumn('session_key', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('session_data', 'text', (c) => c.notNull())
      .addColumn('expire_date', 'bigint', (c) => c.notNull())
      .addColumn('user_id', t.id, (c) => c.references('auth_user.id').onDelete('cascade'))
      .execute();
    await db.schema.createIndex('django_session_expire_date').on('django_session').column('expire_date').execute();
    await db.schema.createIndex('django_session_user_id').on('django_session').column('user_id').execute();
  },
});

export function coreMigrations(dialect: Dialect): MigrationProvider {
  const types = columnTypes[dialect];
  return {
    async getMigrations() {
      return { '0001_initial': initial(types) };
    },
  };
}
