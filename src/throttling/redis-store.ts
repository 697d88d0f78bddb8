/**
 * The shared throttle store: DRF's sliding window kept in a Redis sorted set per key (scores are
 * request times), decided by one Lua script. Redis runs a script atomically, so reading the history,
 * deciding and recording are one step: however many processes and hosts ask at once, a limit of N
 * admits exactly N. (DRF's cache throttles read, decide and write in three steps, and overshoot.)
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from '../db/redis.ts';
import type { ThrottleStore, ThrottleVerdict } from './store.ts';

// KEYS[1]: the window. ARGV: limit, duration (s), now (s), a unique member for this request.
// Scores are returned as strings: Lua numbers become Redis integers, which would drop the fraction.
const SLIDE_WINDOW = `
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local duration = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - duration)
local count = redis.call('ZCARD', key)
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2] or false
if count >= limit then
  return {0, count, oldest}
end
redis.call('ZADD', key, now, ARGV[4])
redis.call('PEXPIRE', key, math.ceil(duration * 1000))
return {1, count, oldest}
`;

type SlideWindowReply = [allowed: 0 | 1, historyLength: number, oldest: string | null];

interface RedisWithThrottle extends Redis {
  gatehouseSlideWindow(key: string, limit: number, duration: number, now: number, member: string): Promise<SlideWindowReply>;
}

export class RedisThrottleStore implements ThrottleStore {
  readonly #redis: RedisWithThrottle;
  readonly #prefix: string;
  // Members must be unique across processes: two requests can share a timestamp.
  readonly #nonce = randomBytes(6).toString('base64url');
  #counter = 0;

  constructor(redis: Redis, prefix: string) {
    // EVALSHA with a fallback to EVAL: the script's text crosses the network once per connection.
    if (!('gatehouseSlideWindow' in redis)) redis.defineCommand('gatehouseSlideWindow', { numberOfKeys: 1, lua: SLIDE_WINDOW });
    this.#redis = redis as RedisWithThrottle;
    this.#prefix = `${prefix}throttle:`;
  }

  async hit(key: string, limit: number, durationSeconds: number, now: number): Promise<ThrottleVerdict> {
    const member = `${now}:${this.#nonce}:${(this.#counter = (this.#counter + 1) % Number.MAX_SAFE_INTEGER)}`;
    const [allowed, historyLength, oldest] = await this.#redis.gatehouseSlideWindow(this.#prefix + key, limit, durationSeconds, now, member);
    return { allowed: allowed === 1, historyLength, oldest: oldest === null ? null : Number(oldest) };
  }
}
