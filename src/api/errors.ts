/**
 * Every error the API can answer, declared once: its Neutron type name, HTTP status and message.
 * The body is Neutron's {"NeutronError": {"type", "message", "detail"}}.
 */
export class NeutronError extends Error {
  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): unknown {
    return { NeutronError: { type: this.type, message: this.message, detail: '' } };
  }
}

type ErrorClass<P> = (new (params: P) => NeutronError) & { readonly type: string };

function def<P = void>(status: number, type: string, message: (p: P) => string): ErrorClass<P> {
  return class extends NeutronError {
    static readonly type = type;
    constructor(params: P) {
      super(type, status, message(params));
    }
  };
}

// Generic HTTP errors (webob) -------------------------------------------------------------
export const HTTPBadRequest = def<string>(400, 'HTTPBadRequest', (m) => m);
export const HTTPNotFound = def<string | void>(404, 'HTTPNotFound', (m) => m || 'The resource could not be found.');
export const HTTPForbidden = def<string>(403, 'HTTPForbidden', (m) => m);
export const HTTPConflict = def<string>(409, 'HTTPConflict', (m) => m);
export const HTTPMethodNotAllowed = def<void>(405, 'HTTPMethodNotAllowed', () => 'The server could not comply with the request since it is either malformed or otherwise incorrect.');
export const HTTPUnsupportedMediaType = def<string>(415, 'HTTPUnsupportedMediaType', (m) => m);
export const HTTPRequestEntityTooLarge = def<void>(413, 'HTTPRequestEntityTooLarge', () => 'Request is too large.');
export const HTTPServiceUnavailable = def<string>(503, 'HTTPServiceUnavailable', (m) => m);
export const InternalServerError = def<void>(500, 'HTTPInternalServerError', () => 'Request Failed: internal server error while processing your request.');
export const NotImplementedErr = def<string>(501, 'NotImplementedError', (m) => m);

// neutron_lib.exceptions: input and policy -------------------------------------------------
export const InvalidInput = def<{ error_message: string }>(400, 'InvalidInput', (p) => `Invalid input for operation: ${p.error_message}.`);
export const PolicyNotAuthorized = def<{ action: string }>(403, 'PolicyNotAuthorized', (p) => `${p.action} is disallowed by policy`);
export const AdminRequired = def<{ reason: string }>(403, 'AdminRequired', (p) => `User does not have admin privileges: ${p.reason}.`);
export const RevisionNumberConstraintFailed = def<{ expected: number; current: number }>(412, 'RevisionNumberConstraintFailed', (p) => `Constrained to ${p.expected}, but current revision is ${p.current}`);
export const ExtensionNotFound = def<{ alias: string }>(404, 'ExtensionNotFound', (p) => `Extension with alias ${p.alias} does not exist`);
export const ServiceUnavailable = def<string | void>(503, 'ServiceUnavailable', (m) => m || 'The service is unavailable.');
export const DBConnectionError = def<void>(503, 'ServiceUnavailable', () => 'The database is unavailable; try again later.');
export const Conflict = def<string>(409, 'Conflict', (m) => m);

// Networks and ML2 -----------------------------------------------------------------------
export const NetworkNotFound = def<{ net_id: string }>(404, 'NetworkNotFound', (p) => `Network ${p.net_id} could not be found.`);
export const NetworkInUse = def<{ net_id: string; ports: string[] }>(409, 'NetworkInUse', (p) => `Unable to complete operation on network ${p.net_id}. There are one or more ports still in use on the network, id for these ports is: ${p.ports.join(',')}.`);
export const NoNetworkAvailable = def<void>(503, 'NoNetworkAvailable', () => 'Unable to create the network. No tenant network is available for allocation.');
export const VlanIdInUse = def<{ vlan_id: number; physical_network: string }>(409, 'VlanIdInUse', (p) => `Unable to create the network. The VLAN ${p.vlan_id} on physical network ${p.physical_network} is in use.`);
export const TunnelIdInUse = def<{ tunnel_id: number }>(409, 'TunnelIdInUse', (p) => `Unable to create the network. The tunnel ID ${p.tunnel_id} is in use.`);
export const FlatNetworkInUse = def<{ physical_network: string }>(409, 'FlatNetworkInUse', (p) => `Unable to create the flat network. Physical network ${p.physical_network} is in use.`);
export const InvalidSharedSetting = def<{ network: string }>(409, 'InvalidSharedSetting', (p) => `Unable to reconfigure sharing settings for network ${p.network}. Multiple tenants are using it.`);
export const ExternalNetworkInUse = def<{ net_id: string }>(409, 'ExternalNetworkInUse', (p) => `External network ${p.net_id} cannot be updated to be made non-external, since it has existing gateway ports.`);
export const MultipleExceptions = def<string>(409, 'Conflict', (m) => m);

export function isNeutronError(e: unknown): e is NeutronError {
  return e instanceof NeutronError;
}
