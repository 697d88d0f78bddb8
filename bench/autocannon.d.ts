/**
 * The part of autocannon 8's programmatic API the harness uses (the package ships no types).
 * Shapes follow autocannon's lib/aggregateResult.js; latencies are in milliseconds.
 */
declare module 'autocannon' {
  export interface Options {
    url: string;
    connections?: number;
    /** Seconds. The run only stops at a sample tick, so it lasts a whole number of `sampleInt`s. */
    duration?: number;
    /** Milliseconds between samples (default 1000). */
    sampleInt?: number;
    /** Stop after this many requests instead of after `duration`. */
    amount?: number;
    /** Requests per second across all connections; 0 means as fast as possible. */
    overallRate?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    /** Seconds before a request counts as a timeout. */
    timeout?: number;
    pipelining?: number;
  }

  /** Percentile summaries as hdr-histogram-percentiles-obj builds them. */
  export interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p90: number;
    p97_5: number;
    p99: number;
    p99_9: number;
  }

  export interface Result {
    /** Seconds the run actually took. */
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    resets: number;
    statusCodeStats: Record<string, { count: number }>;
    latency: Histogram;
    requests: Histogram & { sent: number };
    throughput: Histogram;
  }

  /** A running benchmark: resolves with the result, and emits progress events as it goes. */
  export interface Instance extends PromiseLike<Result> {
    /** Every response, with its latency in milliseconds at hrtime resolution. */
    on(event: 'response', listener: (client: unknown, statusCode: number, bytes: number, latencyMs: number) => void): this;
  }

  export default function autocannon(options: Options): Instance;
}
