// `npm run admin -- dead-letters …`: opens DATABASE_PATH with the modules of MODULES loaded (so their handlers
// can run a retry), without HTTP and without delivering anything.
import { ConfigError, loadConfig } from '../src/config.js';
import { createApp } from '../src/createApp.js';
import { createLogger } from '../src/logger.js';
import { runAdminCli } from '../src/ops/adminCli.js';
import { secretsOf } from '../src/ops/redact.js';
import type { EventTransport } from '../src/runtime/ModuleHost.js';

/**
 * No bus, no broker: the CLI must not start every subscriber's catch-up (it would send mail from an operator's
 * shell). Events a retried handler emits stay in the outbox and the event store; the running paybus delivers
 * them (the broker relay polls the outbox; in memory mode, subscribers catch up from the log on their next start).
 */
const noTransport: EventTransport = {
  start: async () => {},
  afterCommit: () => {},
  idle: async () => {},
  ready: () => false,
  stop: async () => {},
};

async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`paybus admin: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  // Logs on stderr, so stdout carries only the command's answer.
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, process.stderr, secretsOf(config));
  const app = createApp(config, { log, transport: () => noTransport });
  try {
    return await runAdminCli(process.argv.slice(2), app, {
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`${line}\n`),
    });
  } finally {
    await app.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`paybus admin: failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
