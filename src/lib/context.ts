import { randomUUID } from 'node:crypto';

/** The request context, as oslo.context / neutron_lib.context build it. */
export interface RequestContext {
  requestId: string;
  globalRequestId?: string;
  userId: string | null;
  userName?: string | null;
  projectId: string | null;
  projectName?: string | null;
  userDomainId?: string | null;
  projectDomainId?: string | null;
  domainId?: string | null;
  roles: string[];
  systemScope?: string | null;
  isAdminProject?: boolean;
  authToken?: string | null;
  /** policy rule context_is_admin passed (or an internal admin context) */
  isAdmin: boolean;
  /** is_admin or policy rule context_is_advsvc passed */
  isAdvsvc: boolean;
  /** service roles from an X-Service-Token (keystonemiddleware) */
  serviceRoles?: string[];
}

export function newRequestId(): string {
  return `req-${randomUUID()}`;
}

/** An admin context for work the server does on its own behalf (RPC handlers, cleanup). */
export function adminContext(requestId = newRequestId()): RequestContext {
  return { requestId, userId: null, projectId: null, roles: ['admin'], isAdmin: true, isAdvsvc: true };
}

/** The fields that the policy engine's generic checks (role:, project_id:%(...)s) read. */
export function policyCredentials(ctx: RequestContext): Record<string, unknown> {
  return {
    user_id: ctx.userId,
    project_id: ctx.projectId,
    tenant_id: ctx.projectId,
    roles: ctx.roles,
    user_domain_id: ctx.userDomainId ?? null,
    project_domain_id: ctx.projectDomainId ?? null,
    domain_id: ctx.domainId ?? null,
    system_scope: ctx.systemScope ?? null,
    is_admin: ctx.isAdmin,
    is_admin_project: ctx.isAdminProject ?? true,
    service_roles: ctx.serviceRoles ?? [],
  };
}
