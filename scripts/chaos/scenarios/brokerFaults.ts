// Broker faults mid-burst: the API keeps taking writes, the relay catches up, nothing is lost or applied twice.
import { audit } from '../lib/audit.js';
import { closeConnectionsOf, rabbitmqctl } from '../lib/broker.js';
import { Deployment } from '../lib/deployment.js';
import { send } from '../lib/http.js';
import type { PaybusProcess } from '../lib/paybus.js';
import { outcome } from '../lib/report.js';
import { type Scenario, type ScenarioContext, sleep } from '../lib/types.js';
import { type Accepted, emptyAccepted, writeBurst } from '../lib/workload.js';

interface Fault {
  /** Breaks the broker connection; restores it (in a finally) before resolving. */
  inject(p: PaybusProcess, ctx: ScenarioContext): Promise<void>;
}

const written = (acc: Accepted) => acc.users.length + acc.bills.length + acc.payments.length;

/** Milliseconds from `since` until /ready is 200 and every outbox row that was pending at `since` is published. */
async function recovery(d: Deployment, p: PaybusProcess, since: number, timeoutMs: number): Promise<number> {
  const backlog = (await d.db.value<number>('SELECT COALESCE(MAX(id), 0) FROM outbox WHERE published_at IS NULL'))!;
  const older = async () => (await d.db.value<number>('SELECT COUNT(*) FROM outbox WHERE published_at IS NULL AND id <= ?', [backlog]))!;
  while (Date.now() - since < timeoutMs) {
    const ready = await send(p.url, { method: 'GET', path: '/ready' }).catch(() => undefined);
    if (ready?.status === 200 && (await older()) === 0) return Date.now() - since;
    await sleep(50);
  }
  return Number.NaN;
}

async function faultScenario(ctx: ScenarioContext, name: string, cycles: number, fault: Fault) {
  const d = await Deployment.create(ctx, name, { RABBITMQ_PREFETCH: '50' });
  const acc = emptyAccepted();
  const recoveries: number[] = [];
  const duringFault: number[] = [];
  try {
    const p = await d.start();
    let stop = false;
    const burst = writeBurst(() => p.url, acc, { writers: 3, stop: () => stop, deadline: Date.now() + 120_000, maxCycles: 5_000, pauseMs: ctx.quick ? 150 : 50 });
    try {
      for (let c = 1; c <= cycles; c++) {
        await sleep(1_000);
        const before = written(acc);
        await fault.inject(p, ctx);
        const back = Date.now();
        duringFault.push(written(acc) - before);
        recoveries.push(await recovery(d, p, back, 60_000));
        ctx.log(`cycle ${c}/${cycles}: ${duringFault.at(-1)} writes answered 201 while the broker was away; caught up ${recoveries.at(-1)} ms after it returned`);
      }
      await sleep(500);
    } finally {
      stop = true;
      await burst;
    }
    const a = await audit(d, p.url, acc, 60_000);
    await p.kill('SIGTERM');
    const keptWriting = duringFault.every((n) => n > 0);
    const notes = [
      `${cycles} faults; ${duringFault.join('/')} writes accepted during them; recovery ${recoveries.map((r) => `${r} ms`).join(', ')}`,
      ...(keptWriting ? [] : ['the API stopped accepting writes during a fault']),
      ...(acc.serverErrors > 0 ? [`${acc.serverErrors} writes answered 5xx`] : []),
      `tap reconnected ${d.tap.reconnects} times`,
    ];
    const ok = keptWriting && acc.serverErrors === 0 && recoveries.every((r) => Number.isFinite(r));
    return outcome(cycles, a, notes, { recoveryMs: recoveries, writesDuringFault: duringFault, serverErrors: acc.serverErrors }, ok);
  } finally {
    await d.cleanup();
  }
}

export const brokerRestart: Scenario = {
  name: 'broker-restart',
  run: (ctx) =>
    faultScenario(ctx, 'broker-restart', ctx.quick ? 1 : 3, {
      async inject(_p, log) {
        // The shared broker: stop_app breaks every client's connection for a moment, so cycles are few.
        try {
          await rabbitmqctl('stop_app');
          log.log('broker stopped');
          await sleep(2_500);
        } finally {
          await rabbitmqctl('start_app');
        }
      },
    }),
};

export const connectionDrop: Scenario = {
  name: 'connection-drop',
  run: (ctx) =>
    faultScenario(ctx, 'connection-drop', ctx.quick ? 2 : 5, {
      async inject(p) {
        // Only this run's connections (paybus and the tap), not those of other programs on the shared broker.
        const closed = await closeConnectionsOf([p.pid, process.pid]);
        if (closed === 0) throw new Error('found no broker connection of the paybus process to close');
        await sleep(300);
      },
    }),
};
