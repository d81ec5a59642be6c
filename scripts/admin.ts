// `npm run admin -- dead-letters …` and `api-keys …`: opens the database with the modules of MODULES loaded (so
// their handlers can run a retry), without HTTP and without delivering anything.
import { loadConfigOrSay, offlineTransport, runCommand } from '../src/cli.js';
import { createApp } from '../src/createApp.js';
import { createLogger } from '../src/logger.js';
import { runAdminCli } from '../src/ops/adminCli.js';
import { secretsOf } from '../src/ops/redact.js';

async function main(): Promise<number> {
  const config = loadConfigOrSay('paybus admin');
  if (!config) return 2;
  // Logs on stderr, so stdout carries only the command's answer.
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, process.stderr, secretsOf(config));
  const app = await createApp(config, { log, transport: offlineTransport });
  try {
    return await runAdminCli(process.argv.slice(2), app, {
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`${line}\n`),
    });
  } finally {
    await app.stop();
  }
}

runCommand('paybus admin', main);
