// One paybus process for relay.failover: broker mode on PostgreSQL, no modules, so all it does is stand for the outbox
// relay (one leader among the processes, by a session advisory lock). It tells the bench over IPC when it has
// started ({ ready }) and when it took the relay ({ leader: epoch ms }), read from its own log line.
// Usage: relayServer.ts DIR NAME DATABASE_URL EXCHANGE
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createApp } from '../../../src/createApp.js';
import { benchConfig } from '../benchApp.js';

const [dir, name, databaseUrl, exchange] = process.argv.slice(2) as [string, string, string, string];

// ModuleHost logs each job this process takes; the relay's is the moment it leads.
const log = pino(
  { level: 'info' },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      const line = chunk.toString('utf8');
      if (line.includes('"job":"outbox-relay"') && line.includes('now holds the job')) process.send!({ leader: performance.timeOrigin + performance.now() });
      done();
    },
  }),
);

const app = await createApp(
  benchConfig(dir, name, { DATABASE_URL: databaseUrl, EVENT_TRANSPORT: 'rabbitmq', RABBITMQ_EXCHANGE: exchange, RABBITMQ_QUEUE_PREFIX: exchange }, []),
  { log },
);
await app.start();
process.on('message', (message) => {
  if (message === 'stop') void app.stop().finally(() => process.exit(0));
});
process.on('disconnect', () => void app.stop().finally(() => process.exit(0)));
process.send!({ ready: true });
