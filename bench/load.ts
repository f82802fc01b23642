/**
 * One operation of a scenario. It throws on failure (counted as an error); it returns false when
 * there is nothing left to do (e.g. no port left to delete), which ends the run early.
 */
export type Op = (i: number) => Promise<boolean | void>;

export interface LoadOptions {
  concurrency: number;
  durationMs: number;
  /** at most this many operations */
  count: number;
}

export interface LoadStats {
  ops: number;
  errors: number;
  seconds: number;
  opsPerSecond: number;
  /** milliseconds */
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** a few distinct error messages */
  errorSamples: string[];
}

/**
 * `concurrency` loops issue operations back to back until the duration or the count runs out:
 * a closed-loop load, as Rally runs its scenarios.
 */
export async function runLoad(op: Op, opts: LoadOptions): Promise<LoadStats> {
  const latencies = new Float64Array(opts.count);
  const samples = new Set<string>();
  let next = 0;
  let done = 0;
  let errors = 0;
  let exhausted = false;
  const start = performance.now();
  const deadline = start + opts.durationMs;
  const loop = async () => {
    while (!exhausted && next < opts.count && performance.now() < deadline) {
      const i = next++;
      const t0 = performance.now();
      try {
        if ((await op(i)) === false) {
          exhausted = true;
          break;
        }
      } catch (e) {
        errors++;
        if (samples.size < 5) samples.add(e instanceof Error ? e.message : String(e));
      }
      latencies[done++] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, loop));
  const seconds = (performance.now() - start) / 1000;
  const sorted = latencies.subarray(0, done).sort();
  const pct = (p: number) => (done ? sorted[Math.min(done - 1, Math.ceil((p / 100) * done) - 1)]! : 0);
  return {
    ops: done, errors, seconds, opsPerSecond: done / seconds,
    p50: pct(50), p95: pct(95), p99: pct(99), max: done ? sorted[done - 1]! : 0,
    errorSamples: [...samples],
  };
}

/** Runs `fn` over `items` with at most `width` at a time (setup work). */
export async function inParallel<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}
