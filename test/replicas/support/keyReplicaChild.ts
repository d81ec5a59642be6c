// A replica in a child process (users, billing) that dies by SIGKILL right after a request's command committed, at
// the moment it would store the Idempotency-Key's answer: it prints its port as one JSON line, then serves.
import { createApp } from '../../../src/createApp.js';
import { ClaimedKey } from '../../../src/http/IdempotencyKeys.js';
import { testConfig } from '../../support/testApp.js';

const [dir] = process.argv.slice(2);
ClaimedKey.prototype.finish = () => {
  process.kill(process.pid, 'SIGKILL');
  return new Promise<void>(() => {});
};
const app = await createApp(testConfig({ MODULES: 'users,billing' }, dir!));
await app.start();
const server = await app.listen();
const address = server.address();
process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
