/**
 * The versioned-objects channel of the Open vSwitch agent (Neutron's resources_rpc): the agent
 * pulls objects on q-plugin (ResourcesPullRpcCallback, version 1.1) and the server pushes every
 * change on the fanout topic `neutron-vo-<Type>-<version>` (ResourcesPushRpcApi, version 1.1).
 */
import type { RequestContext } from '../../../lib/context.js';
import type { Database } from '../../../db/database.js';
import { RpcClient } from '../../../rpc/client.js';
import type { Endpoint } from '../../../rpc/server.js';
import type { Transport } from '../../../rpc/transport.js';
import { OBJECT_LOADERS, primitive, PULL_KEYS, RESOURCE_VERSIONS, type Primitive } from './ovo.js';

/** neutron.api.rpc.callbacks.exceptions.InvalidResourceTypeClass */
export class InvalidResourceTypeClass extends Error {
  readonly excType = 'InvalidResourceTypeClass';
  readonly excModule = 'neutron.api.rpc.callbacks.exceptions';
  constructor(resourceType: string) {
    super(`Invalid resource type ${resourceType}`);
  }
}

function loader(resourceType: unknown) {
  const load = typeof resourceType === 'string' ? OBJECT_LOADERS[resourceType] : undefined;
  if (!load) throw new InvalidResourceTypeClass(String(resourceType));
  return load;
}

export class ResourcesPullRpcCallback implements Endpoint {
  readonly target = { version: '1.1' };

  constructor(private readonly db: Database) {}

  /** One object, or null (the agent then raises ResourceNotFound). */
  async pull(_ctx: RequestContext, kw: Record<string, any>): Promise<Primitive | null> {
    const load = loader(kw.resource_type);
    const key = PULL_KEYS[kw.resource_type as string] ?? 'id';
    const [obj] = await this.db.read((q) => load(q, { [key]: [kw.resource_id] }));
    return obj ?? null;
  }

  /** filter_kwargs: field → values (ORed), fields ANDed. */
  async bulk_pull(_ctx: RequestContext, kw: Record<string, any>): Promise<Primitive[]> {
    const load = loader(kw.resource_type);
    const filters = Object.fromEntries(Object.entries((kw.filter_kwargs ?? {}) as Record<string, unknown>)
      .map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));
    return this.db.read((q) => load(q, filters));
  }
}

export type PushEvent = 'updated' | 'deleted' | 'created';

export class ResourcesPushRpcApi {
  private readonly client: RpcClient;

  constructor(transport: Transport, private readonly db: Database) {
    this.client = new RpcClient(transport, { topic: 'neutron-vo', version: '1.1', fanout: true });
  }

  /** Pushes the current state of these objects (reloaded now, as ML2's ovo_rpc does). */
  async pushCurrent(ctx: RequestContext, resourceType: string, ids: string[]): Promise<void> {
    if (!ids.length) return;
    const objects = await this.db.read((q) => loader(resourceType)(q, { id: ids }));
    if (objects.length) await this.push(ctx, resourceType, objects, 'updated');
  }

  /** A deleted object travels with only its id. */
  pushDeleted(ctx: RequestContext, resourceType: string, id: string): Promise<void> {
    return this.push(ctx, resourceType, [primitive(resourceType, RESOURCE_VERSIONS[resourceType]!, { id })], 'deleted');
  }

  private push(ctx: RequestContext, resourceType: string, resourceList: Primitive[], eventType: PushEvent): Promise<void> {
    const topic = `neutron-vo-${resourceType}-${RESOURCE_VERSIONS[resourceType]}`;
    return this.client.prepare({ topic }).cast(ctx, 'push', { resource_list: resourceList, event_type: eventType });
  }
}
