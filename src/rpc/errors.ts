/**
 * oslo.messaging's exceptions, and how a failure travels in a reply: the `failure` JSON string
 * {class, module, message, tb, args, kwargs} (oslo_messaging/_drivers/common.py).
 */
import { isNeutronError } from '../lib/errors.js';

export class MessagingError extends Error {
  override name = 'MessagingException';
}

/** No reply before the call's timeout (also while the broker is unreachable). */
export class MessagingTimeout extends MessagingError {
  override name = 'MessagingTimeout';
}

/** The message could not be handed to the broker (transport closed, in-memory queue full, broker refused it). */
export class MessageDeliveryFailure extends MessagingError {
  override name = 'MessageDeliveryFailure';
}

/** A mandatory message (a reply) had no queue to go to. */
export class MessageUndeliverable extends MessagingError {
  override name = 'MessageUndeliverable';
}

export class InvalidTarget extends MessagingError {
  override name = 'InvalidTarget';
}

/** An exception raised by the remote method, as oslo's RemoteError: the class name is the contract. */
export class RemoteError extends MessagingError {
  override name = 'RemoteError';
  constructor(
    readonly excType: string,
    readonly value: string,
    readonly traceback: string[] = [],
    readonly excModule: string | null = null,
    readonly args: unknown[] = [],
    readonly kwargs: Record<string, unknown> = {},
  ) {
    super(`Remote error: ${excType} ${value}`);
  }
}

const DISPATCHER = 'oslo_messaging.rpc.dispatcher';

export class NoSuchMethod extends MessagingError {
  override name = 'NoSuchMethod';
  readonly excModule = DISPATCHER;
  constructor(readonly method: string) {
    super(`Endpoint does not support RPC method ${method}`);
  }
}

export class UnsupportedVersion extends MessagingError {
  override name = 'UnsupportedVersion';
  readonly excModule = DISPATCHER;
  constructor(readonly version: string, readonly method?: string) {
    super(`Endpoint does not support RPC version ${version}` + (method ? `. Attempted method: ${method}` : ''));
  }
}

export class UnsupportedRpcEnvelopeVersion extends MessagingError {
  override name = 'UnsupportedRpcEnvelopeVersion';
  constructor(version: unknown) {
    super(`Specified RPC envelope version, ${String(version)}, not supported by this endpoint.`);
  }
}

/**
 * The Python identity of a thrown error. Neutron errors keep their Neutron type name (agents compare
 * `exc_type` with names like "NetworkNotFound"). Any error may set `excType`/`excModule`/`kwargs`.
 * Other JS errors get a module that no Python client imports, so they arrive as RemoteError.
 */
function pythonIdentity(err: unknown): { cls: string; module: string; message: string } {
  if (isNeutronError(err)) return { cls: err.type, module: 'neutron_lib.exceptions', message: err.message };
  if (err instanceof Error) {
    const e = err as Error & { excType?: unknown; excModule?: unknown };
    const cls = typeof e.excType === 'string' ? e.excType : e.name;
    const module = typeof e.excModule === 'string' ? e.excModule : 'neutron_ts';
    // A re-raised remote error must not carry its "Remote error: ..." wrapper text.
    const message = err instanceof RemoteError ? err.value : err.message;
    return { cls, module, message };
  }
  return { cls: 'Exception', module: 'builtins', message: String(err) };
}

export function serializeFailure(err: unknown): string {
  const { cls, module, message } = pythonIdentity(err);
  const stack = err instanceof Error && err.stack ? err.stack.split('\n').map((l) => `${l}\n`) : [];
  const kwargs = (err as { kwargs?: unknown } | null)?.kwargs;
  return JSON.stringify({
    class: cls.endsWith('_Remote') ? cls.slice(0, -7) : cls,
    module: module.endsWith('_Remote') ? module.slice(0, -7) : module,
    message,
    tb: stack,
    args: err instanceof RemoteError ? err.args : [message],
    kwargs: kwargs && typeof kwargs === 'object' ? kwargs : {},
  });
}

export function deserializeFailure(data: unknown): RemoteError {
  let f: Record<string, unknown> = {};
  try {
    const parsed = typeof data === 'string' ? JSON.parse(data) : data;
    if (parsed && typeof parsed === 'object') f = parsed as Record<string, unknown>;
  } catch {
    return new RemoteError('Exception', String(data));
  }
  return new RemoteError(
    String(f.class ?? 'Exception'),
    String(f.message ?? ''),
    Array.isArray(f.tb) ? f.tb.map(String) : [],
    typeof f.module === 'string' ? f.module : null,
    Array.isArray(f.args) ? f.args : [],
    f.kwargs && typeof f.kwargs === 'object' ? (f.kwargs as Record<string, unknown>) : {},
  );
}
