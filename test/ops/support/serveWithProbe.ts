// Child process for the secrets test: paybus as main runs it (config from the environment, the default logger
// on stdout) plus the ops probe module, whose poison failures quote the configured secrets.
import { loadConfig } from '../../../src/config.js';
import { createApp } from '../../../src/createApp.js';
import { opsProbeModule, probeControl } from './opsProbe.js';

const config = loadConfig();
const control = probeControl();
control.poisonMessage = process.env.PROBE_POISON_MESSAGE ?? control.poisonMessage;
const app = await createApp(config, { extraModules: [opsProbeModule(control)] });
await app.start();
const server = await app.listen();
const address = server.address();
app.log.info({ port: typeof address === 'object' && address ? address.port : 0, config }, 'listening');
process.on('SIGTERM', () => {
  app.stop().then(() => process.exit(0));
});
