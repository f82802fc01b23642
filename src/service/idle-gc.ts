/**
 * One full collection when a worker goes idle. V8 lets the heap of a busy worker grow, and with
 * nothing allocating afterwards no collection comes to shrink it: an API worker after a burst of
 * requests kept 75-85 MB of heap for ~35 MB alive, 25-35 MB more resident than once collected
 * (its young generation shrinks then too). A worker collects once after it starts (the start-up
 * garbage), and again whenever `activity` (e.g. its requests so far) has moved since its last
 * collection but not during the last `everyMs`. global.gc is there with --expose-gc, which the
 * supervisor gives its workers; without it this does nothing.
 */
export function collectWhenIdle(activity: () => number, everyMs = 5000): () => void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return () => {};
  let seen = Number.NaN;
  let collected = Number.NaN;
  const timer = setInterval(() => {
    const now = activity();
    if (now === seen && now !== collected) {
      gc();
      collected = now;
    }
    seen = now;
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
