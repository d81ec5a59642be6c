// Entry point: `npm run worker`. The same process as `npm start` (src/main.ts), for broker mode only: it runs
// the modules named in MODULES with its own DATABASE_PATH (or the DATABASE_URL every process shares) and receives
// their events from RabbitMQ.
const transport = process.env.EVENT_TRANSPORT || 'rabbitmq';
if (transport !== 'rabbitmq') {
  // In memory mode a worker would never hear of events committed by other processes.
  process.stderr.write('paybus worker: invalid EVENT_TRANSPORT: a worker needs rabbitmq\n');
  process.exit(1);
}
process.env.EVENT_TRANSPORT = transport;
await import('./main.js');
