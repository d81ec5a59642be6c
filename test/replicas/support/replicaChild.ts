// A replica in a child process (memory mode, the probe reaction): says "ready" once it holds the reaction, then on
// "commit-and-die" on stdin commits one event and dies by SIGKILL before any subscriber can run.
import { randomUUID } from 'node:crypto';
import readline from 'node:readline';
import { createApp } from '../../../src/createApp.js';
import { createUserCreatedEvent } from '../../../src/events/catalog.js';
import type { MemoryTransport } from '../../../src/runtime/MemoryTransport.js';
import { testConfig } from '../../support/testApp.js';
import { probeModule } from '../../support/testModule.js';

const [dir] = process.argv.slice(2);
const app = await createApp(testConfig({ MODULES: 'users' }, dir), { extraModules: [probeModule(['user.created'])] });
await app.start();
const holds = () => (app.transport as MemoryTransport).feeds.some((f) => f.subscriber.name === 'probe.reaction');
while (!holds()) await new Promise((resolve) => setTimeout(resolve, 20));
process.stdout.write('ready\n');
for await (const line of readline.createInterface({ input: process.stdin })) {
  if (line !== 'commit-and-die') continue;
  const id = randomUUID();
  const [stored] = await app.host.commit((uow) => uow.append([createUserCreatedEvent(id, `${id}@replica.test`, 'Replica', null)]));
  // Pipes are synchronous on Linux, so the id is out before the kill; no handler has had a turn yet.
  process.stdout.write(`${stored!.id}\n`);
  process.kill(process.pid, 'SIGKILL');
}
