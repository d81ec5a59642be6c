// `npm run admin -- api-keys create|list|revoke`: API keys for services without an identity provider.
import type { ApiKeyInfo, ApiKeys } from '../auth/ApiKeys.js';
import { isScope, KNOWN_SCOPES } from '../auth/scopes.js';
import { isUuid } from '../http/validate.js';
import type { CliOutput } from './adminCli.js';

export const API_KEYS_USAGE = `       npm run admin -- api-keys create --scopes "SCOPE ..." [--user USER_ID] [--name NAME]
       npm run admin -- api-keys list [--json]
       npm run admin -- api-keys revoke <id>`;

interface Flags {
  id?: string;
  scopes?: string;
  user?: string;
  name?: string;
  json: boolean;
}

/** Returns the exit code: 0 done, 1 an unknown id, 2 a usage error (said on err). */
export async function runApiKeysCli(command: string, args: readonly string[], keys: ApiKeys, io: CliOutput): Promise<number> {
  const flags = parseFlags(args);
  if (typeof flags === 'string') return usage(io, flags);
  switch (command) {
    case 'create':
      return create(keys, flags, io);
    case 'list':
      return list(await keys.list(), flags.json, io);
    case 'revoke': {
      if (!flags.id) return usage(io, 'revoke needs the id of a key (api-keys list shows them)');
      const key = await keys.revoke(flags.id);
      io.out(`revoked ${key.id} (${key.revokedAt}); requests with it now get 401`);
      return 0;
    }
    default:
      return usage(io, `unknown api-keys command ${command}`);
  }
}

async function create(keys: ApiKeys, flags: Flags, io: CliOutput): Promise<number> {
  const scopes = (flags.scopes ?? '').split(/[\s,]+/).filter(Boolean);
  if (scopes.length === 0) return usage(io, `--scopes needs one or more of: ${KNOWN_SCOPES.join(' ')}`);
  const unknown = scopes.filter((s) => !isScope(s));
  if (unknown.length > 0) return usage(io, `unknown scope ${unknown.join(', ')} (known: ${KNOWN_SCOPES.join(' ')})`);
  if (flags.user !== undefined && !isUuid(flags.user)) return usage(io, '--user needs a user id (a UUID)');
  const made = await keys.create({ scopes, userId: flags.user?.toLowerCase() ?? null, name: flags.name ?? null });
  // The key alone on stdout, so `KEY=$(npm run -s admin -- api-keys create …)` keeps it; the rest on stderr.
  io.out(made.key);
  io.err(`API key ${made.id}: ${describe(made)}`);
  io.err('This is the only time the key is shown: paybus keeps only its hash. A paybus that started with auth off turns it on at its next start.');
  return 0;
}

function list(items: ApiKeyInfo[], json: boolean, io: CliOutput): number {
  if (json) io.out(JSON.stringify({ items }, null, 2));
  else if (items.length === 0) io.out('no API keys');
  else for (const k of items) io.out(`${k.id}  ${describe(k)}  created ${k.createdAt}${k.revokedAt ? `  REVOKED ${k.revokedAt}` : ''}`);
  return 0;
}

function describe(k: ApiKeyInfo): string {
  const name = k.name ? `"${k.name}", ` : '';
  return `${name}scopes ${k.scopes.join(' ')}, ${k.userId ? `acts for user ${k.userId} only` : 'acts for any user'}`;
}

function parseFlags(args: readonly string[]): Flags | string {
  const flags: Flags = { json: false };
  const valued = { '--scopes': 'scopes', '--user': 'user', '--name': 'name' } as const;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--json') flags.json = true;
    else if (arg in valued) {
      const value = args[++i];
      if (value === undefined) return `${arg} needs a value`;
      flags[valued[arg as keyof typeof valued]] = value;
    } else if (!arg.startsWith('--') && flags.id === undefined) flags.id = arg;
    else return `unexpected ${arg.slice(0, 50)}`;
  }
  return flags;
}

function usage(io: CliOutput, problem: string): number {
  io.err(`paybus admin: ${problem}`);
  io.err(`usage: ${API_KEYS_USAGE.trimStart()}`);
  return 2;
}
