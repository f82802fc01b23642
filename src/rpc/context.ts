/**
 * Request context ↔ the dict that neutron_lib.context.ContextBase.to_dict() sends (oslo.context keys
 * plus Neutron's), which travels as `_context_<key>` in every RPC message.
 */
import { newRequestId, type RequestContext } from '../lib/context.js';
import { pythonDatetime, type Json } from './wire.js';

export function toRpcContext(ctx: RequestContext, now = new Date()): Json {
  const userIdentity = [ctx.userId, ctx.projectId, ctx.domainId, ctx.userDomainId, ctx.projectDomainId]
    .map((v) => v || '-')
    .join(' ');
  return {
    user: ctx.userId,
    project_id: ctx.projectId,
    system_scope: ctx.systemScope ?? null,
    project: ctx.projectId,
    domain: ctx.domainId ?? null,
    user_domain: ctx.userDomainId ?? null,
    project_domain: ctx.projectDomainId ?? null,
    is_admin: ctx.isAdmin,
    read_only: false,
    show_deleted: false,
    auth_token: ctx.authToken ?? null,
    request_id: ctx.requestId,
    global_request_id: ctx.globalRequestId ?? null,
    resource_uuid: null,
    roles: ctx.roles,
    user_identity: userIdentity,
    is_admin_project: ctx.isAdminProject ?? true,
    user_id: ctx.userId,
    tenant_id: ctx.projectId,
    timestamp: pythonDatetime(now),
    tenant_name: ctx.projectName ?? null,
    project_name: ctx.projectName ?? null,
    user_name: ctx.userName ?? null,
  };
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** As neutron_lib's Context.from_dict: the receiver keeps only the identity, roles and request id. */
export function fromRpcContext(d: Json): RequestContext {
  const isAdmin = d.is_admin === true;
  return {
    requestId: str(d.request_id) ?? newRequestId(),
    globalRequestId: str(d.global_request_id) ?? undefined,
    userId: str(d.user_id) ?? str(d.user),
    userName: str(d.user_name),
    projectId: str(d.tenant_id) ?? str(d.project_id),
    projectName: str(d.tenant_name) ?? str(d.project_name),
    roles: Array.isArray(d.roles) ? d.roles.map(String) : [],
    authToken: str(d.auth_token),
    isAdmin,
    isAdvsvc: isAdmin,
  };
}

/** The keys a notification keeps (oslo.messaging's _sanitize_context): no token. */
const NOTIFICATION_KEYS = new Set([
  'user_id', 'project_id', 'domain_id', 'user_domain_id', 'project_domain_id', 'is_admin', 'request_id',
  'roles', 'user_name', 'project_name', 'domain_name', 'user_domain_name', 'project_domain_name',
  'service_user_id', 'service_user_domain_id', 'service_user_domain_name', 'service_project_id',
  'service_project_name', 'service_project_domain_id', 'service_project_domain_name', 'service_roles',
  'global_request_id', 'system_scope', 'user', 'domain', 'user_domain', 'project_domain',
]);

export function sanitizeForNotification(ctx: Json): Json {
  return Object.fromEntries(Object.entries(ctx).filter(([k]) => NOTIFICATION_KEYS.has(k)));
}
