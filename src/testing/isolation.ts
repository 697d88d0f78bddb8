/**
 * Isolation for tests (and throwaway servers) that share one PostgreSQL database and one Redis: each
 * gets a schema and a key prefix of its own, removed afterwards, so parallel runs never see each
 * other's rows, sessions or throttle counts.
 */
import pg from 'pg';
import { Redis } from 'ioredis';

/**
 * Creates schema `name` in the database at `url`, and returns a URL whose connections use it as their
 * search_path (the framework's unqualified table names land in it) and a function that drops it.
 */
export async function freshPostgresSchema(url: string, name: string): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`Schema name "${name}" must be lowercase letters, digits and underscores.`);
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE SCHEMA "${name}"`);
  const separator = url.includes('?') ? '&' : '?';
  return {
    url: `${url}${separator}options=${encodeURIComponent(`-c search_path=${name}`)}`,
    drop: () => admin(`DROP SCHEMA IF EXISTS "${name}" CASCADE`),
  };
}

/** Deletes every key starting with `prefix` (e.g. an app's `redisKeyPrefix`). */
export async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    for await (const keys of redis.scanStream({ match: pattern, count: 500 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) await redis.del(...keys);
    }
  } finally {
    redis.disconnect();
  }
}
