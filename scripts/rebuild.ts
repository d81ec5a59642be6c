// `npm run rebuild`: rebuilds every read model of the database from its event store. Run it with paybus stopped.
import { SingleBar } from 'cli-progress';
import { MODULE_NAMES } from '../src/config.js';
import { loadConfigOrSay, offlineTransport, runCommand } from '../src/cli.js';
import { createApp } from '../src/createApp.js';
import { rebuildReadModels } from '../src/runtime/rebuild.js';
import { errorMessage } from '../src/errors.js';

/** Below this many events the rebuild takes a moment and a bar would only flicker. */
const BAR_FROM_EVENTS = 1000;

async function main(): Promise<number> {
  const config = loadConfigOrSay('paybus rebuild');
  if (!config) return 1;
  // In broker mode on SQLite a process's store holds only the events its own modules emitted; the rest reach it
  // through RabbitMQ. Replaying such a partial log would leave its read models short of what the queues delivered.
  // A PostgreSQL database shared by every process holds the whole log.
  const missing = MODULE_NAMES.filter((name) => !config.modules.includes(name));
  if (config.eventTransport === 'rabbitmq' && !config.databaseUrl && missing.length > 0) {
    process.stderr.write(`paybus rebuild: refused: with EVENT_TRANSPORT=rabbitmq this database's log lacks the events of ${missing.join(', ')}; rebuild where every module runs\n`);
    return 1;
  }
  const app = await createApp(config, { transport: offlineTransport });
  const started = Date.now();
  let bar: SingleBar | undefined;
  try {
    const events = await app.store.headPosition();
    if (events > BAR_FROM_EVENTS) {
      // On stderr, so stdout carries only the summary line (scripts may capture it).
      bar = new SingleBar({ stream: process.stderr, format: 'rebuilding {bar} {percentage}% | {readModel} | ETA {eta_formatted}', hideCursor: true });
      bar.start(1, 0, { readModel: '' });
    }
    const result = await rebuildReadModels(app, {
      onProgress: ({ readModel, done, total }) => {
        if (!bar) return;
        bar.setTotal(Math.max(total, 1));
        bar.update(done, { readModel });
      },
    });
    bar?.stop();
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const names = result.readModels.map((m) => m.name).join(', ') || 'none';
    const skipped = result.skippedReactions.length > 0 ? `; left alone: ${result.skippedReactions.join(', ')}` : '';
    process.stdout.write(`paybus rebuild: ${result.readModels.length} read models (${names}) rebuilt from ${result.eventsInLog} events in ${seconds} s${skipped}\n`);
    return 0;
  } catch (error) {
    bar?.stop();
    process.stderr.write(`paybus rebuild: failed: ${errorMessage(error)}\n`);
    return 1;
  } finally {
    await app.stop();
  }
}

runCommand('paybus rebuild', main);
