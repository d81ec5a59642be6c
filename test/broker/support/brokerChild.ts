// A paybus process for the SIGKILL test: main's setup (environment in, HTTP out) plus the probe module,
// whose reaction records each event it handles, so the parent can count effects after a crash.
import { loadConfig } from '../../../src/config.js';
import { createApp } from '../../../src/createApp.js';
import { probeModule } from './probeModules.js';

const app = createApp(loadConfig(), { extraModules: [probeModule('probe', { reactTo: ['user.created'] })] });
await app.start();
const server = await app.listen();
const address = server.address();
process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
process.on('SIGTERM', () => {
  app.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
