/**
 * Accounts: users, their passwords, permissions, sessions and tokens, over the framework's tables.
 * The queries on the per-request path (a session or a token to its user) are one indexed join each,
 * compiled once at start-up.
 */
import { createHash, createHmac } from 'node:crypto';
import { constantTimeEqual } from '../util/random.ts';
import type { Database } from '../db/database.ts';
import { prepare, type Prepared } from '../db/prepared.ts';
import type { Settings } from '../settings.ts';
import type { Request } from '../request.ts';
import type { MaybePromise } from '../util/types.ts';
import { ImproperlyConfigured, ParseError, ValidationError } from '../exceptions.ts';
import type { Redis } from '../db/redis.ts';
import { DatabaseSessionStore, type LoadedSession, type SessionStore } from './session-store.ts';
import { RedisSessionStore } from './redis-session-store.ts';
import { checkPassword, makePassword, makeUnusablePassword, runDummyHasher } from './hashers.ts';
import { User, type UserRow } from './user.ts';
import { AUTH_USER_HASH, AUTH_USER_ID, Session, isValidSessionKey, newSessionKey } from './sessions.ts';
import { TokenSealer, digestKey, generateKey } from './token-crypto.ts';
import { newMaskedToken } from '../authentication/csrf.ts';

/** `request.auth` after token authentication. Renders as its key, as DRF's Token does. */
export class Token {
  constructor(
    readonly key: string,
    readonly userId: number,
  ) {}

  toString(): string {
    return this.key;
  }

  toJSON(): string {
    return this.key;
  }
}

export interface NewUser {
  username: string;
  /** Null or absent: an unusable password (the user cannot log in with one). */
  password?: string | null;
  /** An already hashed password, e.g. imported from a Django user table (`pbkdf2_sha256$...`); wins over `password`. */
  passwordHash?: string;
  email?: string;
  isStaff?: boolean;
  isSuperuser?: boolean;
  isActive?: boolean;
}

/** Longer passwords are refused without hashing them, as Django once did. */
export const MAX_PASSWORD_LENGTH = 4096;

const USER_COLUMNS = ['u.id', 'u.username', 'u.password', 'u.email', 'u.is_active', 'u.is_staff', 'u.is_superuser'] as const;

export class Accounts {
  readonly db: Database;
  readonly #settings: Settings;
  readonly #sealer: TokenSealer;
  readonly #hashKey: Buffer;
  readonly #userByToken: Prepared<[string], UserRow>;
  readonly #userById: Prepared<[number], UserRow>;
  readonly #userByName: Prepared<[string], UserRow>;
  readonly #permissionsOf: Prepared<[number, number], { codename: string }>;

  /** Where sessions live: the database, or Redis with `sessionStore: 'redis'`. */
  readonly sessions: SessionStore;

  constructor(db: Database, settings: Settings, redis: Redis | null = null) {
    this.db = db;
    this.#settings = settings;
    this.#sealer = new TokenSealer(settings.secretKey);
    this.#hashKey = createHash('sha256').update(`gatehouse.session-auth-hash${settings.secretKey}`).digest();
    const k = db.kysely;
    this.#userByToken = prepare(
      db,
      k.selectFrom('authtoken_token as t').innerJoin('auth_user as u', 'u.id', 't.user_id').select(USER_COLUMNS).where('t.digest', '=', ''),
    );
    this.#userById = prepare(db, k.selectFrom('auth_user as u').select(USER_COLUMNS).where('u.id', '=', 0));
    if (settings.sessionStore === 'redis') {
      if (redis === null) throw new ImproperlyConfigured(`sessionStore: 'redis' needs the "redisUrl" setting.`);
      this.sessions = new RedisSessionStore(redis, settings.redisKeyPrefix, async (id) => (await this.#userById(id))[0]);
    } else {
      this.sessions = new DatabaseSessionStore(db, USER_COLUMNS);
    }
    this.#userByName = prepare(db, k.selectFrom('auth_user as u').select(USER_COLUMNS).where('u.username', '=', ''));
    this.#permissionsOf = prepare(
      db,
      k
        .selectFrom('auth_permission as p')
        .select('p.codename')
        .where((eb) =>
          eb.or([
            eb('p.id', 'in', eb.selectFrom('auth_user_user_permissions').select('permission_id').where('user_id', '=', 0)),
            eb(
              'p.id',
              'in',
              eb
                .selectFrom('auth_group_permissions as gp')
                .innerJoin('auth_user_groups as ug', 'ug.group_id', 'gp.group_id')
                .select('gp.permission_id')
                .where('ug.user_id', '=', 0),
            ),
          ]),
        ),
    );
  }

  #user(row: UserRow): User {
    return new User(row, this.#loadPermissions);
  }

  readonly #loadPermissions = async (userId: number): Promise<ReadonlySet<string>> =>
    new Set((await this.#permissionsOf(userId, userId)).map((r) => r.codename));

  // ---------------------------------------------------------------- passwords

  /**
   * Django's ModelBackend: the active user with this username and password, or null. A missing user
   * still costs one hash, so timing does not reveal which usernames exist. A correct password under
   * an outdated hasher (a Django pbkdf2 hash) is re-hashed with scrypt.
   */
  async authenticate(username: string, password: string): Promise<User | null> {
    // Hashing megabytes of "password" is a denial of service (CVE-2013-1443); no real one is that long.
    if (password.length > MAX_PASSWORD_LENGTH || username.length > 150) return null;
    const [row] = await this.#userByName(username);
    if (row === undefined) {
      await runDummyHasher(password);
      return null;
    }
    const { valid, mustUpdate } = await checkPassword(password, row.password);
    if (!valid || !row.is_active) return null;
    if (mustUpdate) {
      row.password = await makePassword(password);
      await this.db.kysely.updateTable('auth_user').set({ password: row.password }).where('id', '=', row.id).execute();
    }
    return this.#user(row);
  }

  async setPassword(userId: number, password: string | null): Promise<void> {
    if (password !== null) checkPasswordLength(password);
    const hash = password === null ? makeUnusablePassword() : await makePassword(password);
    await this.db.kysely.updateTable('auth_user').set({ password: hash }).where('id', '=', userId).execute();
  }

  // ---------------------------------------------------------------- users

  async createUser(input: NewUser): Promise<User> {
    const username = input.username.trim();
    if (!username) throw new ValidationError({ username: ['This field may not be blank.'] });
    if (username.length > 150) throw new ValidationError({ username: ['Ensure this field has no more than 150 characters.'] });
    if (input.password != null) checkPasswordLength(input.password);
    const taken = () => new ValidationError({ username: ['A user with that username already exists.'] });
    if (await this.getUserByUsername(username)) throw taken();
    const password = input.passwordHash ?? (input.password == null ? makeUnusablePassword() : await makePassword(input.password));
    // Another request may create the same username while this one hashed: the unique column decides.
    const row = await this.db.kysely
      .insertInto('auth_user')
      .values({
        username,
        password,
        email: input.email ?? '',
        is_staff: input.isStaff ? 1 : 0,
        is_superuser: input.isSuperuser ? 1 : 0,
        is_active: input.isActive === false ? 0 : 1,
        date_joined: new Date().toISOString(),
      })
      .onConflict((oc) => oc.column('username').doNothing())
      .returning(['id', 'username', 'password', 'email', 'is_active', 'is_staff', 'is_superuser'])
      .executeTakeFirst();
    if (row === undefined) throw taken();
    return this.#user(row as UserRow);
  }

  async getUserByUsername(username: string): Promise<User | null> {
    const [row] = await this.#userByName(username);
    return row === undefined ? null : this.#user(row);
  }

  async getUser(id: number): Promise<User | null> {
    const [row] = await this.#userById(id);
    return row === undefined ? null : this.#user(row);
  }

  /** Creates the add/change/delete/view permissions of a model, as Django's post-migrate signal does. */
  async ensureModelPermissions(modelName: string, verboseName = modelName): Promise<void> {
    for (const action of ['add', 'change', 'delete', 'view']) {
      await this.db.kysely
        .insertInto('auth_permission')
        .values({ codename: `${action}_${modelName}`, name: `Can ${action} ${verboseName}` })
        .onConflict((oc) => oc.column('codename').doNothing())
        .execute();
    }
  }

  async createGroup(name: string, permissions: readonly string[] = []): Promise<number> {
    const { id } = await this.db.kysely.insertInto('auth_group').values({ name }).returning('id').executeTakeFirstOrThrow();
    for (const codename of permissions) {
      const permission = await this.db.kysely.selectFrom('auth_permission').select('id').where('codename', '=', codename).executeTakeFirst();
      if (permission === undefined) throw new ValidationError({ permissions: [`Unknown permission "${codename}".`] });
      await this.db.kysely.insertInto('auth_group_permissions').values({ group_id: id, permission_id: permission.id }).execute();
    }
    return id as number;
  }

  async addUserToGroup(userId: number, groupName: string): Promise<void> {
    const group = await this.db.kysely.selectFrom('auth_group').select('id').where('name', '=', groupName).executeTakeFirst();
    if (group === undefined) throw new ValidationError({ groups: [`Unknown group "${groupName}".`] });
    await this.db.kysely.insertInto('auth_user_groups').values({ user_id: userId, group_id: group.id }).execute();
  }

  async grantPermission(userId: number, codename: string): Promise<void> {
    const permission = await this.db.kysely.selectFrom('auth_permission').select('id').where('codename', '=', codename).executeTakeFirst();
    if (permission === undefined) throw new ValidationError({ permissions: [`Unknown permission "${codename}".`] });
    await this.db.kysely.insertInto('auth_user_user_permissions').values({ user_id: userId, permission_id: permission.id }).execute();
  }

  // ---------------------------------------------------------------- tokens

  /**
   * The user a token key belongs to (one indexed query), or null for an unknown key. Synchronous where
   * the lookup is (SQLite).
   */
  tokenUser(key: string): MaybePromise<[User, Token] | null> {
    const rows = this.#userByToken(digestKey(key));
    return rows instanceof Promise ? rows.then((found) => this.#tokenUser(key, found)) : this.#tokenUser(key, rows);
  }

  #tokenUser(key: string, rows: readonly UserRow[]): [User, Token] | null {
    const row = rows[0];
    return row === undefined ? null : [this.#user(row), new Token(key, row.id)];
  }

  /**
   * The user's token, created when they have none (DRF's `get_or_create`). An existing token is
   * unsealed; if it was sealed under another secret key it cannot be returned, so it is replaced.
   */
  async getOrCreateToken(userId: number): Promise<{ key: string; created: boolean }> {
    const existing = await this.#sealedToken(userId);
    if (existing !== undefined) {
      const key = this.#sealer.unseal(existing);
      if (key !== null) return { key, created: false };
      return { key: await this.setToken(userId), created: true };
    }
    // Concurrent requests for the same user race here: the unique user_id decides one winner, and
    // every request answers with the winner's token rather than one that was never stored.
    const candidate = generateKey();
    const inserted = await this.db.kysely
      .insertInto('authtoken_token')
      .values({ digest: digestKey(candidate), sealed: this.#sealer.seal(candidate), user_id: userId, created: new Date().toISOString() })
      .onConflict((oc) => oc.column('user_id').doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0) return { key: candidate, created: true };
    const winner = await this.#sealedToken(userId);
    const key = winner === undefined ? null : this.#sealer.unseal(winner);
    return key === null ? { key: await this.setToken(userId), created: true } : { key, created: false };
  }

  async #sealedToken(userId: number): Promise<string | undefined> {
    const row = await this.db.kysely.selectFrom('authtoken_token').select('sealed').where('user_id', '=', userId).executeTakeFirst();
    return row?.sealed as string | undefined;
  }

  /** Replaces the user's token with `key` (a new random one by default), as `drf_create_token -r`. */
  async setToken(userId: number, key: string = generateKey()): Promise<string> {
    await this.db.kysely.transaction().execute(async (trx) => {
      await trx.deleteFrom('authtoken_token').where('user_id', '=', userId).execute();
      await trx
        .insertInto('authtoken_token')
        .values({ digest: digestKey(key), sealed: this.#sealer.seal(key), user_id: userId, created: new Date().toISOString() })
        .execute();
    });
    return key;
  }

  /** Deletes the user's token: requests bearing it are refused from now on, in every process. */
  async revokeToken(userId: number): Promise<void> {
    await this.db.kysely.deleteFrom('authtoken_token').where('user_id', '=', userId).execute();
  }

  // ---------------------------------------------------------------- sessions

  /**
   * The session named by the request's cookie and its user (one indexed join). The user is null when
   * the session is anonymous, expired, belongs to an inactive user, or predates a password change
   * (Django's session hash check: changing a password logs out other sessions). Synchronous when
   * there is no session cookie to look up.
   */
  loadSession(request: Request): MaybePromise<{ session: Session; user: User | null }> {
    if (request.session !== null) return { session: request.session, user: null };
    const key = request.cookies[this.#settings.sessionCookieName];
    if (!key || !isValidSessionKey(key)) {
      request.session = new Session(null);
      return { session: request.session, user: null };
    }
    return this.#loadStoredSession(request, key);
  }

  /** Synchronous when the store answers synchronously (the database store on SQLite). */
  #loadStoredSession(request: Request, key: string): MaybePromise<{ session: Session; user: User | null }> {
    const stored = this.sessions.load(key);
    return stored instanceof Promise ? stored.then((found) => this.#sessionLoaded(request, key, found)) : this.#sessionLoaded(request, key, stored);
  }

  #sessionLoaded(request: Request, key: string, stored: LoadedSession | null): MaybePromise<{ session: Session; user: User | null }> {
    const session = new Session(stored === null ? null : key, stored?.data);
    // A cookie naming no live session: the client's cookie is stale and gets deleted on the way out.
    if (stored === null) session.flushed = true;
    request.session = session;
    const row = stored?.user;
    if (!row || !row.is_active || row.id !== session.userId) return { session, user: null };
    // A password changed since login: the session is over, server-side too.
    if (!this.#hashMatches(session.get(AUTH_USER_HASH), row.password)) return this.flush(session).then(() => ({ session, user: null }));
    return { session, user: this.#user(row) };
  }

  /**
   * Django's `login()`: the session gets a new key (flushed first if it belonged to someone else),
   * records the user, and the CSRF token is rotated so a token seen before login is useless after it.
   */
  async login(request: Request, user: User): Promise<void> {
    const { session } = await this.loadSession(request);
    if (session.userId !== null && session.userId !== user.id) session.data = {};
    if (session.key !== null) await this.deleteSession(session.key);
    session.key = newSessionKey();
    session.stored = false;
    session.flushed = false;
    await this.#saveLoggedIn(session, user);
    request.user = user;
    request.csrfCookie = newMaskedToken();
    request.csrfCookieUsed = true;
    await this.db.kysely.updateTable('auth_user').set({ last_login: new Date().toISOString() }).where('id', '=', user.id).execute();
  }

  /** A new logged-in session for `user`, returning its key (the test client's `login()`). */
  async createSessionFor(user: User): Promise<string> {
    const session = new Session(null);
    await this.#saveLoggedIn(session, user);
    return session.key!;
  }

  async #saveLoggedIn(session: Session, user: User): Promise<void> {
    session.set(AUTH_USER_ID, String(user.id));
    session.set(AUTH_USER_HASH, this.#sessionHash(user.passwordHash));
    await this.saveSession(session);
  }

  async deleteSession(key: string): Promise<void> {
    await this.sessions.delete(key);
  }

  /** Django's `logout()`: the session is deleted server-side, so its cookie is worthless from now on. */
  async logout(request: Request): Promise<void> {
    const { session } = await this.loadSession(request);
    await this.flush(session);
  }

  async flush(session: Session): Promise<void> {
    if (session.key !== null) await this.deleteSession(session.key);
    session.key = null;
    session.stored = false;
    session.data = {};
    session.modified = false;
    session.flushed = true;
  }

  /**
   * Saves a session. A new one is inserted; a stored one is updated, and if its row is gone (a
   * logout finished first) it is NOT re-created: that would resurrect the logged-out cookie. The
   * request then fails with 400, as Django's SessionInterrupted does.
   */
  async saveSession(session: Session): Promise<void> {
    if (session.key === null) session.key = newSessionKey();
    const expiresAt = Date.now() + this.#settings.sessionCookieAge * 1000;
    if (!session.stored) {
      await this.sessions.create(session.key, session.data, session.userId, expiresAt);
      session.stored = true;
    } else {
      const updated = await this.sessions.update(session.key, session.data, session.userId, expiresAt);
      if (!updated) {
        session.key = null;
        session.flushed = true;
        throw new ParseError('The session was deleted before the request completed. Log in again.');
      }
    }
    session.modified = false;
  }

  /** Removes expired sessions (Django's `clearsessions`). */
  async clearExpiredSessions(): Promise<number> {
    return this.sessions.clearExpired();
  }

  #sessionHash(passwordHash: string): string {
    return createHmac('sha256', this.#hashKey).update(passwordHash).digest('hex');
  }

  #hashMatches(stored: unknown, passwordHash: string): boolean {
    if (typeof stored !== 'string') return false;
    return constantTimeEqual(stored, this.#sessionHash(passwordHash));
  }
}

function checkPasswordLength(password: string): void {
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new ValidationError({ password: [`Ensure this field has no more than ${MAX_PASSWORD_LENGTH} characters.`] });
  }
}

