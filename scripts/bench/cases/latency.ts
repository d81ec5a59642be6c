// latency.bus.p99_ms and latency.broker.p99_ms: from the call to commit to the event's arrival, at 1,000 events/s.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createApp, type PaybusApp } from '../../../src/createApp.js';
import type { EventEnvelope } from '../../../src/events/envelope.js';
import { benchConfig, silentLog, waitFor } from '../benchApp.js';
import { billEvents } from '../events.js';
import { type BenchResult, maxResult, paced, percentile } from '../harness.js';
import { benchProbe } from '../probeModule.js';
import { BenchBroker, brokerCase, uniqueName } from '../rabbit.js';

const RATE = 1_000;
/** The first events warm the JIT and the connections; they are not counted. */
const WARMUP = 300;

/**
 * Commits each event alone (one transaction each, as a request would), paced at RATE, without waiting for one commit
 * before asking for the next (requests do not wait for each other); resolves once every commit has settled.
 */
async function commitPaced(app: PaybusApp, events: readonly EventEnvelope[], sentAt: Map<string, number>, now = () => performance.now()): Promise<void> {
  const commits: Promise<unknown>[] = [];
  await paced(RATE, events.length, (i) => {
    const event = events[i]!;
    sentAt.set(event.id, now());
    commits.push(app.host.commit(({ append }) => append([event], { expectedVersion: 0 })));
  });
  const failed = (await Promise.allSettled(commits)).filter((r) => r.status === 'rejected');
  if (failed.length > 0) throw new Error(`${failed.length} commits failed, the first: ${String((failed[0] as PromiseRejectedResult).reason)}`);
}

function latencyResult(name: string, samples: number[], max: number, path: string): BenchResult {
  const measured = samples.slice(WARMUP);
  const notes = `${path}; p50 ${percentile(measured, 50).toFixed(2)} ms, max ${Math.max(...measured).toFixed(1)} ms, n ${measured.length}, ${RATE.toLocaleString('en-US')} events/s`;
  return maxResult(name, 'ms', percentile(measured, 99), max, notes);
}

export const latencyBus = {
  name: 'latency.bus.p99_ms',
  async run({ quick, dir }: { quick: boolean; dir: string }): Promise<BenchResult> {
    const events = billEvents(WARMUP + (quick ? 2_000 : 6_000));
    const sentAt = new Map<string, number>();
    const samples: number[] = [];
    const probe = benchProbe('benchlatency', (e) => {
      const t = sentAt.get(e.id);
      if (t === undefined) return;
      samples.push(performance.now() - t);
      sentAt.delete(e.id); // an attempt run again (a batch undone by another event's failure) counts once
    });
    const app = await createApp(benchConfig(dir, 'latency-bus'), { log: silentLog, extraModules: [probe] });
    await app.start();
    try {
      await commitPaced(app, events, sentAt);
      await app.host.idle();
    } finally {
      await app.stop();
    }
    return latencyResult('latency.bus.p99_ms', samples, 5, 'commit → reaction handler (bus, subscription feed, batch runner)');
  },
};

export const latencyBroker = brokerCase('latency.broker.p99_ms', 'ms', '<= 50 ms', async ({ quick, dir }) => {
  const events = billEvents(WARMUP + (quick ? 2_000 : 6_000));
  const exchange = uniqueName('latency');
  const admin = await BenchBroker.open();
  const sink = await admin.sink(exchange);
  const sentAt = new Map<string, number>();
  // The outside consumer: any program bound to the exchange, here plain amqplib in a process of its own, so that
  // paybus's event loop and the consumer's do not wait on each other. Both read the same wall clock.
  const outside = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, '../servers/outsideConsumer.ts'), sink], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = async <T>(question: string): Promise<T> => {
    outside.send(question);
    const [answer] = (await once(outside, 'message')) as [T];
    return answer;
  };
  const samples: number[] = [];
  let app: PaybusApp | undefined;
  try {
    app = await createApp(benchConfig(dir, 'latency-broker', { EVENT_TRANSPORT: 'rabbitmq', RABBITMQ_EXCHANGE: exchange, RABBITMQ_QUEUE_PREFIX: exchange }), { log: silentLog });
    await Promise.race([once(outside, 'message'), once(outside, 'exit').then(() => Promise.reject(new Error('the outside consumer exited')))]);
    await app.start();
    await commitPaced(app, events, sentAt, () => performance.timeOrigin + performance.now());
    for (let seen = 0; seen < events.length; seen = (await ask<{ count: number }>('count')).count) await new Promise((resolve) => setTimeout(resolve, 20));
    const { arrivedAt } = await ask<{ arrivedAt: Record<string, number> }>('report');
    for (const e of events) samples.push(arrivedAt[e.id]! - sentAt.get(e.id)!);
  } finally {
    await app?.stop();
    outside.send('stop');
    await Promise.race([once(outside, 'exit'), new Promise((resolve) => setTimeout(resolve, 5_000))]);
    outside.kill();
    await admin.cleanup([exchange], [sink]);
  }
  return latencyResult('latency.broker.p99_ms', samples, 50, 'commit → outbox relay → exchange → outside amqplib consumer (own process)');
});
