// What the tests import from src/rpc, in one place.
import { queueArguments, resolveRabbitOptions, type RabbitOptions } from '../../src/rpc/options.js';

export * from '../../src/rpc/index.js';

export function queueArgumentsFor(o: Partial<RabbitOptions>, ttl: number, quorum: boolean): Record<string, unknown> {
  return queueArguments(resolveRabbitOptions(o), ttl, quorum);
}
