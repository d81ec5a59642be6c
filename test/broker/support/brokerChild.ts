// A paybus process for the SIGKILL test: main's setup (environment in, HTTP out) plus the probe module,
// whose reaction records each event it handles, so the parent can count effects after a crash.
import { loadConfig } from '../../../src/config.js';
import { createApp } from '../../../src/createApp.js';
import { probeModule } from './probeModules.js';

const app = await createApp(loadConfig(), { extraModules: [probeModule('probe', { reactTo: ['user.created'] })] });
// Before the port is announced, as in main: a SIGTERM right after it must still stop cleanly.
process.on('SIGTERM', () => {
  app.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
await app.start();
const server = await app.listen();
const address = server.address();
process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
