// Entry point: `npm start`. Reads the environment, starts paybus, stops it cleanly on SIGTERM/SIGINT.
import { announceAuth } from './auth/openAuth.js';
import { ConfigError, loadConfig } from './config.js';
import { createApp, type PaybusApp } from './createApp.js';
import { errorMessage } from './errors.js';

/** A setting that cannot work: one line naming it, exit 1. */
function refuse(error: ConfigError): never {
  process.stderr.write(`paybus: ${error.message}\n`);
  process.exit(1);
}

/** Says how callers are checked; production with auth off stops here, before any route serves. */
async function checkAuth(app: PaybusApp): Promise<void> {
  try {
    announceAuth(app.auth, app.config, app.log);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    await app.stop();
    refuse(error);
  }
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) refuse(error);
    throw error;
  }
  const app = await createApp(config);
  await checkAuth(app);
  // Handlers go in before anything is announced: a SIGTERM right after "listening" must still stop cleanly.
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    app.stop().then(
      () => process.exit(0),
      (error) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  await app.start();
  const server = await app.listen();
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  app.log.info({ port, transport: config.eventTransport, modules: config.modules, storage: app.storage.description }, `paybus listening on http://localhost:${port}`);
}

main().catch((error) => {
  process.stderr.write(`paybus: failed to start: ${errorMessage(error)}\n`);
  process.exit(1);
});
