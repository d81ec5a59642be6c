// The scopes of CONTRACT.md ("Who may call"), and how a token's claims name them.

export const SCOPES = [
  'users:read',
  'users:write',
  'bills:read',
  'bills:write',
  'payments:read',
  'payments:write',
  'documents:read',
  'documents:write',
  'notifications:read',
  'events:read',
  'analytics:read',
] as const;

/** /admin and the dashboard's data. */
export const ADMIN_SCOPE = 'admin';

export type Scope = (typeof SCOPES)[number] | typeof ADMIN_SCOPE;

export const KNOWN_SCOPES: readonly Scope[] = [...SCOPES, ADMIN_SCOPE];

export function isScope(value: string): value is Scope {
  return (KNOWN_SCOPES as readonly string[]).includes(value);
}

/**
 * `scope` (space-separated, RFC 8693 / OAuth 2) and `scp` (an array, or a space-separated string, as some providers
 * send it), together. Names paybus does not know are kept: they grant nothing here.
 */
export function scopesOf(claims: Record<string, unknown>): Set<string> {
  const names = [...words(claims.scope), ...words(claims.scp)];
  return new Set(names);
}

function words(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/\s+/).filter(Boolean);
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string' && v.length > 0);
  return [];
}
