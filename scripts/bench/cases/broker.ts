// relay.publish and consume.inbox: paybus's broker paths against amqplib alone, on unique exchanges and queues.
import path from 'node:path';
import { buildTopology, declareTopology } from '../../../src/broker/topology.js';
import { createApp } from '../../../src/createApp.js';
import type { PaybusModule } from '../../../src/runtime/module.js';
import { rawConsume } from '../baselines/rawAmqp.js';
import { benchConfig, silentLog, waitFor } from '../benchApp.js';
import { billEvents } from '../events.js';
import { interleave, ratioResult } from '../harness.js';
import { benchProbe } from '../probeModule.js';
import { BenchBroker, brokerCase, uniqueName } from '../rabbit.js';
import { openRelayRig, RELAY_BATCH } from '../relayRig.js';

const ROUNDS = 2;

export const relayPublish = brokerCase('relay.publish', 'msgs/s', 'ratio >= 0.8', async ({ quick, dir }) => {
  const count = quick ? 5_000 : 20_000;
  const rig = await openRelayRig(dir, 'relay');
  try {
    const r = await interleave(ROUNDS, () => rig.relayRate(billEvents(count)), () => rig.rawRate(billEvents(count)));
    return ratioResult('relay.publish', 'msgs/s', r.ours, r.baseline, 0.8, `${count.toLocaleString('en-US')} rows, batches of ${RELAY_BATCH}, confirmed, durable sink queue`);
  } finally {
    await rig.close();
  }
});

const PROBE = 'benchprobe';

export const consumeInbox = brokerCase('consume.inbox', 'msgs/s', 'ratio >= 0.7', async ({ quick, dir }) => {
  const count = quick ? 4_000 : 20_000;
  const prefix = uniqueName('consume');
  const config = benchConfig(dir, 'consume', { EVENT_TRANSPORT: 'rabbitmq', RABBITMQ_EXCHANGE: prefix, RABBITMQ_QUEUE_PREFIX: prefix });
  const { prefetch } = config.rabbitmq;
  // The queue paybus will consume, declared as paybus declares it, so the messages wait there before the clock starts.
  const probeShape = { name: PROBE, reactions: [{ name: `${PROBE}.reaction`, types: ['bill.created'], handle() {} }] } as unknown as PaybusModule;
  const topology = buildTopology(config.rabbitmq, [probeShape]);
  const queue = topology.queues[0]!;
  const rawQueue = `${prefix}.raw`;
  const admin = await BenchBroker.open();
  let round = 0;
  try {
    await declareTopology(admin.channel, topology);
    await admin.channel.assertQueue(rawQueue, { durable: true });
    const ours = async () => {
      await admin.preload(queue.name, billEvents(count));
      let handled = 0;
      const app = await createApp(
        { ...config, databasePath: path.join(dir, `consume-${round++}.db`) },
        { log: silentLog, extraModules: [benchProbe(PROBE)], hooks: { onHandled: () => void handled++ } },
      );
      const start = performance.now();
      await app.start();
      await waitFor(() => handled >= count, 120_000, 'the module consumer').catch(async (error) => {
        await app.stop();
        throw error;
      });
      const rate = count / ((performance.now() - start) / 1000);
      await app.stop();
      return rate;
    };
    const raw = async () => {
      await admin.preload(rawQueue, billEvents(count));
      return rawConsume(rawQueue, prefetch, count);
    };
    const r = await interleave(ROUNDS, ours, raw);
    return ratioResult('consume.inbox', 'msgs/s', r.ours, r.baseline, 0.7, `${count.toLocaleString('en-US')} msgs, prefetch ${prefetch}; ours: inbox row + effect row per message`);
  } finally {
    await admin.cleanup([topology.exchange, topology.deadLetterExchange], [queue.name, queue.dlq, rawQueue]);
  }
});
