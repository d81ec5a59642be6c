// What the operator commands (rebuild, admin) share: config or one clear line, and a transport that delivers nothing.
import { type Config, ConfigError, loadConfig } from './config.js';
import type { EventTransport } from './runtime/EventTransport.js';
import { errorMessage } from './errors.js';

/**
 * No bus, no broker: a command must not start every subscriber's catch-up (it would send mail from an operator's
 * shell). Events it commits stay in the outbox and the log; the running paybus delivers them.
 */
export const offlineTransport = (): EventTransport => ({
  start: async () => {},
  afterCommit: () => {},
  idle: async () => {},
  ready: () => false,
  stop: async () => {},
});

/** The config, or undefined after printing `<command>: <problem>` on stderr. */
export function loadConfigOrSay(command: string): Config | undefined {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${command}: ${error.message}\n`);
    return undefined;
  }
}

/** Runs a command's main and exits with its code; an unexpected error is one line and exit 1. */
export function runCommand(command: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`${command}: failed: ${errorMessage(error)}\n`);
      process.exit(1);
    },
  );
}
