/**
 * Loads a fixture in the conformance format (groups with permissions, users with passwords, groups
 * and tokens, life rows, surveys by creator username) into a migrated demo database.
 */
import type { Gatehouse } from '../../src/index.ts';
import { Life, Survey } from './models.ts';

export interface Fixture {
  groups?: { name: string; permissions: string[] }[];
  users?: {
    username: string;
    password: string;
    /** Pre-hashed, to skip hashing (tests); else `password` is hashed. */
    passwordHash?: string;
    is_staff?: boolean;
    is_superuser?: boolean;
    is_active?: boolean;
    groups?: string[];
    token?: string;
  }[];
  life?: { id: number; answer: number }[];
  surveys?: { id: number; title: string; status: string; creator: string }[];
}

export async function loadFixture(app: Gatehouse, fixture: Fixture): Promise<void> {
  const { accounts, db } = app;
  for (const group of fixture.groups ?? []) await accounts.createGroup(group.name, group.permissions);
  // Password hashing dominates start-up; hash them concurrently on the thread pool.
  const users = await Promise.all(
    (fixture.users ?? []).map((u) =>
      accounts.createUser({
        username: u.username,
        password: u.password,
        ...(u.passwordHash ? { passwordHash: u.passwordHash } : {}),
        isStaff: u.is_staff ?? false,
        isSuperuser: u.is_superuser ?? false,
        isActive: u.is_active ?? true,
      }),
    ),
  );
  const ids = new Map(users.map((u) => [u.username, u.id]));
  for (const u of fixture.users ?? []) {
    const id = ids.get(u.username)!;
    for (const group of u.groups ?? []) await accounts.addUserToGroup(id, group);
    if (u.token) await accounts.setToken(id, u.token);
  }
  for (const row of fixture.life ?? []) await Life.create(db, row);
  for (const row of fixture.surveys ?? []) {
    await Survey.create(db, { id: row.id, title: row.title, status: row.status, creator_id: ids.get(row.creator)! });
  }
}
