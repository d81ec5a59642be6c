// Child process for the crash test: commits one event, then dies by SIGKILL before any subscriber can run.
import { randomUUID } from 'node:crypto';
import { createApp } from '../../src/createApp.js';
import { createUserCreatedEvent } from '../../src/events/catalog.js';
import { testConfig } from './testApp.js';
import { probeModule } from './testModule.js';

const [dir] = process.argv.slice(2);
const app = await createApp(testConfig({ MODULES: 'users' }, dir), { extraModules: [probeModule(['user.created'])] });
await app.start();
await app.host.idle();
const id = randomUUID();
const [stored] = await app.host.commit((uow) => uow.append([createUserCreatedEvent(id, `${id}@crash.test`, 'Crash', null)]));
// Pipes are synchronous on Linux, so the id is out before the kill; no handler has had a turn yet.
process.stdout.write(`${stored!.id}\n`);
process.kill(process.pid, 'SIGKILL');
