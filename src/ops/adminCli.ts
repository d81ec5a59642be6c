// `npm run admin -- dead-letters …` and `api-keys …`: the dead-letter operations for operators without HTTP access,
// and the API keys callers present.
import type { PaybusApp } from '../createApp.js';
import { AppError } from '../errors.js';
import { API_KEYS_USAGE, runApiKeysCli } from './apiKeysCli.js';
import { DeadLetterOps } from './deadLetterOps.js';
import { secretsOf } from './redact.js';

export const USAGE = `usage: npm run admin -- dead-letters list [--subscriber NAME] [--limit N] [--json]
       npm run admin -- dead-letters retry <id>
       npm run admin -- dead-letters retry-all [--subscriber NAME]
       npm run admin -- dead-letters discard <id>
${API_KEYS_USAGE}`;

export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

/** Returns the exit code: 0 done, 1 a retry failed or the id is unknown, 2 a usage error. */
export async function runAdminCli(argv: readonly string[], app: Pick<PaybusApp, 'processor' | 'config' | 'auth'>, io: CliOutput): Promise<number> {
  const [area, command, ...rest] = argv;
  if (area === 'api-keys' && command) return runCommand(() => runApiKeysCli(command, rest, app.auth.apiKeys, io), io);
  const flags = parseFlags(rest);
  if (area !== 'dead-letters' || !command || flags === undefined) return usage(io);
  const ops = new DeadLetterOps(app.processor, secretsOf(app.config));
  return runCommand(async () => {
    switch (command) {
      case 'list':
        return await list(ops, flags, io);
      case 'retry':
        if (!flags.id) return usage(io);
        return await retry(ops, flags.id, io);
      case 'retry-all':
        return await retryAll(ops, flags.subscriber, io);
      case 'discard':
        if (!flags.id) return usage(io);
        await ops.discard(flags.id);
        io.out(`discarded ${flags.id}`);
        return 0;
      default:
        return usage(io);
    }
  }, io);
}

/** A typed error (an unknown id) is one line and exit 1; anything else is a failure of the command itself. */
async function runCommand(fn: () => Promise<number>, io: CliOutput): Promise<number> {
  try {
    return await fn();
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    io.err(`paybus admin: ${error.message}`);
    return 1;
  }
}

interface Flags {
  id?: string;
  subscriber?: string;
  limit: number;
  json: boolean;
}

function parseFlags(args: readonly string[]): Flags | undefined {
  const flags: Flags = { limit: 100, json: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--json') flags.json = true;
    else if (arg === '--subscriber' && args[i + 1]) flags.subscriber = args[++i];
    else if (arg === '--limit' && /^\d+$/.test(args[i + 1] ?? '') && Number(args[i + 1]) >= 1) flags.limit = Number(args[++i]);
    else if (!arg.startsWith('--') && flags.id === undefined) flags.id = arg;
    else return undefined;
  }
  return flags;
}

function usage(io: CliOutput): number {
  io.err(USAGE);
  return 2;
}

async function list(ops: DeadLetterOps, flags: Flags, io: CliOutput): Promise<number> {
  const items = await ops.list({ subscriber: flags.subscriber, limit: flags.limit });
  if (flags.json) {
    io.out(JSON.stringify({ items, total: await ops.total(flags.subscriber) }, null, 2));
    return 0;
  }
  if (items.length === 0) {
    io.out('no dead letters');
    return 0;
  }
  for (const d of items) {
    io.out(`${d.id}  ${d.subscriber}  ${d.eventType} ${d.eventId}  attempts=${d.attempts}  last=${d.lastFailedAt}\n    ${d.error}`);
  }
  io.out(`${items.length} of ${await ops.total(flags.subscriber)} dead letters`);
  return 0;
}

async function retry(ops: DeadLetterOps, id: string, io: CliOutput): Promise<number> {
  const result = await ops.retry(id);
  if (result.outcome === 'handled') io.out(`${id}: handled; dead letter removed`);
  else io.out(`${id}: failed again (attempts=${result.deadLetter?.attempts}): ${result.deadLetter?.error}`);
  return result.outcome === 'handled' ? 0 : 1;
}

async function retryAll(ops: DeadLetterOps, subscriber: string | undefined, io: CliOutput): Promise<number> {
  const result = await ops.retryAll(subscriber);
  for (const r of result.results) io.out(`${r.id}  ${r.subscriber}: ${r.outcome}`);
  const skipped = result.skipped > 0 ? `; ${result.skipped} skipped (their subscriber is not loaded: check MODULES)` : '';
  const elsewhere = result.elsewhere > 0 ? `; ${result.elsewhere} retried by another process or request meanwhile` : '';
  io.out(`retried ${result.retried}: ${result.handled} handled, ${result.failed} failed again${skipped}${elsewhere}`);
  return result.failed > 0 ? 1 : 0;
}
