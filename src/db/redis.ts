/**
 * The Redis connection shared by the throttle store and the session store. Every command is bounded:
 * while Redis is unreachable commands fail at once instead of queueing (no offline queue), and a slow
 * Redis fails them after a second, so no request waits on Redis for longer than that. The client
 * reconnects by itself in the background.
 */
import { Redis } from 'ioredis';

/** The longest a command may take before it fails; requests fail over (open or 503) after this. */
const COMMAND_TIMEOUT_MS = 1_000;
const CONNECT_TIMEOUT_MS = 2_000;

export type { Redis };

export function openRedis(url: string, onError: (error: Error) => void): Redis {
  const redis = new Redis(url, {
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // Back off to one attempt every 2 s while it is down, forever: the app recovers when Redis does.
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
  });
  // Unhandled, a connection error event would be printed for every reconnection attempt.
  redis.on('error', onError);
  return redis;
}

/** Resolves when the connection is ready, or with the reason it is not after the connect timeout. */
export function redisReady(redis: Redis): Promise<Error | null> {
  if (redis.status === 'ready') return Promise.resolve(null);
  return new Promise((resolve) => {
    const done = (error: Error | null) => {
      clearTimeout(timer);
      redis.off('ready', ready);
      redis.off('error', failed);
      resolve(error);
    };
    const ready = () => done(null);
    const failed = (error: Error) => done(error);
    const timer = setTimeout(() => done(new Error(`no connection within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
    redis.once('ready', ready);
    redis.once('error', failed);
  });
}
