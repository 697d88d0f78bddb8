/** A value, or a promise of it: hooks may answer synchronously, and the hot path awaits only real promises. */
export type MaybePromise<T> = T | Promise<T>;
