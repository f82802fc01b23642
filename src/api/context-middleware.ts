import type { IncomingHttpHeaders } from 'node:http';
import { policyCredentials, type RequestContext } from '../lib/context.js';

/** The policy engine's view of who is an admin or an advanced-services caller. */
export interface RoleRules {
  isAdmin(credentials: Record<string, unknown>): boolean;
  isAdvsvc(credentials: Record<string, unknown>): boolean;
}

function header(h: IncomingHttpHeaders, ...names: string[]): string | null {
  for (const n of names) {
    const v = h[n];
    if (typeof v === 'string' && v !== '') return v;
  }
  return null;
}

/** The context oslo.context builds from the headers keystonemiddleware sets. */
export function contextFromHeaders(h: IncomingHttpHeaders, requestId: string): RequestContext {
  const roles = (header(h, 'x-roles') ?? '').split(',').map((r) => r.trim()).filter(Boolean);
  return {
    requestId,
    globalRequestId: header(h, 'x-openstack-request-id') ?? undefined,
    userId: header(h, 'x-user-id', 'x-user'),
    userName: header(h, 'x-user-name'),
    projectId: header(h, 'x-project-id', 'x-tenant-id', 'x-tenant'),
    projectName: header(h, 'x-project-name', 'x-tenant-name'),
    userDomainId: header(h, 'x-user-domain-id'),
    projectDomainId: header(h, 'x-project-domain-id'),
    domainId: header(h, 'x-domain-id'),
    roles,
    systemScope: header(h, 'x-system-scope'),
    isAdminProject: (header(h, 'x-is-admin-project') ?? 'true').toLowerCase() === 'true',
    authToken: header(h, 'x-auth-token'),
    isAdmin: false,
    isAdvsvc: false,
  };
}

/** is_admin from rule context_is_admin, is_advsvc from context_is_advsvc (or admin). */
export function applyRoleRules(ctx: RequestContext, rules: RoleRules): RequestContext {
  const creds = policyCredentials(ctx);
  ctx.isAdmin = rules.isAdmin(creds);
  ctx.isAdvsvc = ctx.isAdmin || rules.isAdvsvc(creds);
  return ctx;
}

/**
 * auth_strategy = noauth, as Neutron's NoauthFakeProjectId does it: the headers give the context;
 * a request without a project becomes project `fake_project_id` with admin rights.
 */
export function noauthContext(h: IncomingHttpHeaders, requestId: string, rules: RoleRules): RequestContext {
  const ctx = contextFromHeaders(h, requestId);
  if (!ctx.projectId) {
    ctx.projectId = 'fake_project_id';
    ctx.isAdmin = ctx.isAdvsvc = true;
    if (!ctx.roles.includes('admin')) ctx.roles.push('admin');
    return ctx;
  }
  return applyRoleRules(ctx, rules);
}
