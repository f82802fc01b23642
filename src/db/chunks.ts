/** Runs `fn` over slices of `ids` small enough for any database's bound-parameter limit. */
export async function inChunks<T>(ids: T[], fn: (chunk: T[]) => Promise<void>, size = 1000): Promise<void> {
  for (let i = 0; i < ids.length; i += size) await fn(ids.slice(i, i + size));
}
