// Several processes on one PostgreSQL schema, the busiest of them SIGKILLed under load: the survivors finish its
// work. Broker mode: two API replicas and two workers, an API replica and a worker killed mid-burst. Memory mode:
// two replicas (reactions held by leases), the holder killed right after it answered a payment. Nothing lost,
// nothing twice, no bill charged twice; and how long the takeover took. A full run kills, replaces and kills again.
import { audit } from '../lib/audit.js';
import { postgresAbsence } from '../lib/database.js';
import { Deployment } from '../lib/deployment.js';
import type { Answer } from '../lib/http.js';
import type { PaybusProcess } from '../lib/paybus.js';
import { combine, type Outcome } from '../lib/report.js';
import { jobsHeldBy, jobsTakenOver } from '../lib/takeover.js';
import { randomInt, type Scenario, type ScenarioContext, sleep } from '../lib/types.js';
import { type Accepted, type BurstOptions, emptyAccepted, writeBurst } from '../lib/workload.js';
import { accepted, type Kill, report } from './replicasReport.js';

/** Short, so a memory-mode takeover (which waits for the dead holder's lease to expire) fits in a run. */
const LEASE_TTL_MS = 3000;
/**
 * A slow gateway (the default is 5 ms) widens the window between reserving a payment and recording it, so kills
 * land inside it: the attempts a dead replica leaves in flight are what a double charge would come from.
 */
const ENV = { LEASE_TTL_MS: String(LEASE_TTL_MS), PAYMENT_GATEWAY_LATENCY_MS: '40' };

/** Spreads requests over the live processes in turn; a dropped one gets no more (a balancer's health check). */
class Rotation {
  private turn = 0;
  constructor(private readonly live: PaybusProcess[]) {}

  next(): string | undefined {
    return this.live.length === 0 ? undefined : this.live[this.turn++ % this.live.length]!.url;
  }

  add(p: PaybusProcess): void {
    this.live.push(p);
  }

  drop(p: PaybusProcess): void {
    this.live.splice(this.live.indexOf(p), 1);
  }
}

const kills = (ctx: ScenarioContext) => (ctx.quick ? 1 : 3);

/**
 * Under a burst of writes spread by `rotation` (each with an Idempotency-Key, sent again to a survivor when it got
 * no answer): `kills(ctx)` rounds of a kill, the survivors alone under the load, and (but after the last) `replace`.
 */
async function killRounds(ctx: ScenarioContext, rotation: Rotation, acc: Accepted, kill: (round: number) => Promise<Kill>, replace: () => Promise<void>, burst: Partial<BurstOptions> = {}): Promise<Kill[]> {
  let stop = false;
  const load = writeBurst(() => rotation.next(), acc, { writers: 6, stop: () => stop, deadline: Date.now() + 300_000, maxCycles: 100_000, retry: true, ...burst });
  const done: Kill[] = [];
  try {
    for (let round = 1; round <= kills(ctx); round++) {
      done.push(await kill(round));
      await sleep(ctx.quick ? 1000 : 2000);
      if (round < kills(ctx)) await replace();
    }
  } finally {
    stop = true;
    await load;
  }
  return done;
}

/**
 * By when a SIGKILLed process surely stopped: its signal is read just before the kill, and a victim running on the
 * other core may stamp a send in the next millisecond or two. Not the exit event, which comes 50–200 ms later here:
 * by then a survivor may have taken the work over (a dead worker's left-over events from +113 ms), and its sends
 * must not pass for the victim's.
 */
const KILL_GRACE_MS = 25;
const diedBy = (killedAt: number) => killedAt + KILL_GRACE_MS;

/** SIGKILLs them at once; resolves once the others hold every job they held (a minute at most). */
async function killAll(d: Deployment, victims: readonly PaybusProcess[]): Promise<Kill> {
  const held = await jobsHeldBy(d.db, victims.map((p) => p.pid));
  const killedAt = Date.now();
  for (const p of victims) p.proc.kill('SIGKILL');
  await Promise.all(victims.map((p) => p.exited()));
  return { killedAt, diedBy: diedBy(killedAt), jobs: await jobsTakenOver(d.db, killedAt, held, 60_000) };
}

async function brokerPhase(ctx: ScenarioContext): Promise<Outcome> {
  const d = await Deployment.create({ storage: 'postgres' }, 'replicas-broker', ENV);
  const acc = emptyAccepted();
  try {
    const start = () => Promise.all([d.start({ MODULES: 'users,billing,payments' }), d.start({ MODULES: 'notifications,analytics' }, 'worker')]);
    // Oldest first. The first pair attaches first: RabbitMQ makes it its queues' single active consumer, and it
    // takes the relay and the jobs. Workers: the oldest is killed. API replicas: the oldest, then (a full run's
    // second kill) the youngest, which holds nothing but the requests in flight, then the oldest again.
    const [first, second] = [await start(), await start()];
    const apis = [first[0], second[0]];
    const workers = [first[1], second[1]];
    const rotation = new Rotation([...apis]);
    const kill = async (round: number) => {
      await sleep(ctx.quick ? 1500 : randomInt(1000, 3000));
      const api = round % 2 === 0 ? apis.pop()! : apis.shift()!;
      const worker = workers.shift()!;
      rotation.drop(api);
      const k = await killAll(d, [api, worker]);
      ctx.log(`broker ${round}/${kills(ctx)}: killed API replica ${api.pid} (the ${round % 2 === 0 ? 'youngest' : 'oldest'}) and worker ${worker.pid} (signal ${new Date(k.killedAt).toISOString()}); ${accepted(acc)} writes answered 201 so far`);
      return k;
    };
    const replace = async () => {
      const [api, worker] = await start();
      apis.push(api);
      workers.push(worker);
      rotation.add(api);
    };
    const done = await killRounds(ctx, rotation, acc, kill, replace);
    const a = await audit(d, workers[0]!.url, acc, 90_000, { kills: done.map((k) => ({ at: k.killedAt, diedBy: k.diedBy })) });
    return await report(d, a, acc, done, apis[0]!.url);
  } finally {
    await d.cleanup();
  }
}

async function memoryPhase(ctx: ScenarioContext): Promise<Outcome> {
  const d = await Deployment.create({ storage: 'postgres' }, 'replicas-memory', { ...ENV, EVENT_TRANSPORT: 'memory' });
  const acc = emptyAccepted();
  try {
    // The first starts alone, so it holds every reaction; the second stands by. The holder is the one killed.
    const replicas = [await d.start(), await d.start()];
    const rotation = new Rotation([...replicas]);
    let trigger: ((base: string, path: string, answer: Answer) => void) | undefined;
    /** The payment each killed replica answered last. */
    const lastPayments: string[] = [];
    const kill = async (round: number): Promise<Kill> => {
      const holder = replicas.shift()!;
      const held = await jobsHeldBy(d.db, [holder.pid]);
      const armedAt = Date.now() + (ctx.quick ? 1000 : randomInt(1000, 2500));
      let killedAt: number | undefined;
      trigger = (base, path, answer) => {
        // Right after it answered a payment: the reactions to it (bill paid, mails, counts) are likely still its own.
        if (Date.now() < armedAt || base !== holder.url || path !== '/payments' || answer.status !== 201) return;
        trigger = undefined;
        rotation.drop(holder);
        holder.proc.kill('SIGKILL');
        killedAt = Date.now();
        lastPayments.push((JSON.parse(answer.text) as { id: string }).id);
      };
      for (const deadline = armedAt + 30_000; !killedAt && Date.now() < deadline; ) await sleep(50);
      if (!killedAt) throw new Error(`replica ${holder.pid} answered no payment within 30 s`);
      await holder.exited();
      const died = diedBy(killedAt);
      ctx.log(
        `memory ${round}/${kills(ctx)}: killed replica ${holder.pid} right after it answered a payment (signal ${new Date(killedAt).toISOString()}, exit seen +${Date.now() - killedAt} ms); ${accepted(acc)} writes answered 201 so far`,
      );
      return { killedAt, diedBy: died, jobs: await jobsTakenOver(d.db, killedAt, held, 60_000) };
    };
    const replace = async () => {
      const fresh = await d.start();
      replicas.push(fresh);
      rotation.add(fresh);
    };
    const done = await killRounds(ctx, rotation, acc, kill, replace, { writers: 4, onAnswer: (base, path, answer) => trigger?.(base, path, answer) });
    const a = await audit(d, replicas[0]!.url, acc, 60_000, { kills: done.map((k) => ({ at: k.killedAt, diedBy: k.diedBy })) });
    return await report(d, a, acc, done, replicas[0]!.url, lastPayments);
  } finally {
    await d.cleanup();
  }
}

export const replicas: Scenario = {
  name: 'replicas',
  async run(ctx) {
    // Several processes share one database only on PostgreSQL, whatever --storage says for the other scenarios.
    const absent = await postgresAbsence();
    if (absent) throw new Error(`replicas needs PostgreSQL: ${absent}`);
    return combine({ broker: await brokerPhase(ctx), memory: await memoryPhase(ctx) });
  },
};
