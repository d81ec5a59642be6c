// A replica in a child process (users, billing, payments) whose gateway never answers in time: it prints its port
// and instance id as one JSON line, then serves until the test kills it in the middle of a charge.
import { createApp } from '../../../src/createApp.js';
import { testConfig } from '../../support/testApp.js';

const [dir] = process.argv.slice(2);
const app = await createApp(testConfig({ MODULES: 'users,billing,payments', PAYMENT_GATEWAY_LATENCY_MS: '60000' }, dir!));
await app.start();
const server = await app.listen();
const address = server.address();
const port = typeof address === 'object' && address ? address.port : 0;
process.stdout.write(`${JSON.stringify({ port, instance: app.instance.id })}\n`);
