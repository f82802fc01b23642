import type { Tx } from './schema.js';

/**
 * What a module keeps for the length of one write transaction (callbacks, locks held, objects
 * whose revision was bumped), under a key of its own; a transaction that runs again starts afresh.
 */
export function perTransaction<T>(tx: Tx, key: symbol, create: () => T): T {
  const state = tx as unknown as Record<symbol, T>;
  return (state[key] ??= create());
}
