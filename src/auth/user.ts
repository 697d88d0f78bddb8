/**
 * The user a request runs as: a `User` loaded from the database, or the `AnonymousUser`. Both answer
 * the questions permissions ask (authenticated? staff? has these model permissions?) the way Django's
 * classes do, so DRF's permission rules carry over word for word.
 */
export interface UserRow {
  id: number;
  username: string;
  password: string;
  email: string;
  is_active: boolean | number;
  is_staff: boolean | number;
  is_superuser: boolean | number;
  last_login?: Date | string | null;
  date_joined?: Date | string | null;
}

/** Loads a user's permission codenames (direct and through groups), bound to a database by the accounts module. */
export type PermissionLoader = (userId: number) => Promise<ReadonlySet<string>>;

const NO_PERMISSIONS: PermissionLoader = async () => new Set();

export class User {
  readonly isAuthenticated = true;
  readonly isAnonymous = false;
  readonly id: number;
  readonly username: string;
  readonly email: string;
  readonly isActive: boolean;
  readonly isStaff: boolean;
  readonly isSuperuser: boolean;
  /** The stored password hash; never serialised. */
  readonly passwordHash: string;
  readonly #loadPermissions: PermissionLoader;
  #permissions: Promise<ReadonlySet<string>> | undefined;

  constructor(row: UserRow, loadPermissions: PermissionLoader = NO_PERMISSIONS) {
    this.#loadPermissions = loadPermissions;
    this.id = row.id;
    this.username = row.username;
    this.email = row.email ?? '';
    this.isActive = Boolean(row.is_active);
    this.isStaff = Boolean(row.is_staff);
    this.isSuperuser = Boolean(row.is_superuser);
    this.passwordHash = row.password;
  }

  get pk(): number {
    return this.id;
  }

  /**
   * Django's `has_perms`: an active superuser has every permission; an inactive user has none.
   * Codenames are `add_life`, `change_life`, `delete_life`, `view_life`. Loaded once per request.
   */
  async hasPerms(perms: readonly string[]): Promise<boolean> {
    if (perms.length === 0) return true;
    if (!this.isActive) return false;
    if (this.isSuperuser) return true;
    this.#permissions ??= this.#loadPermissions(this.id);
    const owned = await this.#permissions;
    return perms.every((p) => owned.has(p));
  }

  toString(): string {
    return this.username;
  }

  toJSON(): unknown {
    return { id: this.id, username: this.username };
  }
}

export class AnonymousUser {
  readonly isAuthenticated = false;
  readonly isAnonymous = true;
  readonly id = null;
  readonly pk = null;
  readonly username = '';
  readonly isActive = false;
  readonly isStaff = false;
  readonly isSuperuser = false;

  async hasPerms(perms: readonly string[]): Promise<boolean> {
    return perms.length === 0;
  }

  toString(): string {
    return 'AnonymousUser';
  }

  toJSON(): unknown {
    return null;
  }
}

export const ANONYMOUS = new AnonymousUser();

export type AnyUser = User | AnonymousUser;
