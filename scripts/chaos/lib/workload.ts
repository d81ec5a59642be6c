// A write burst: each writer creates a user, bills them and pays the bill, again and again, until told to stop.
import { randomUUID } from 'node:crypto';
import { type Answer, postJson } from './http.js';

export interface Accepted {
  users: string[];
  bills: string[];
  payments: string[];
  /** Writes answered with a 5xx (a crash mid-request does not count: it has no answer). */
  serverErrors: number;
  /** Writes answered 4xx other than the expected ones. */
  refused: number;
  latenciesMs: number[];
  /** Writes sent again, with their Idempotency-Key, after the first try got no answer (see BurstOptions.retry). */
  retries: Retry[];
}

export interface Retry {
  path: string;
  body: unknown;
  key: string;
  /** The second try's answer; undefined when it got none either. */
  answer: Answer | undefined;
}

export const emptyAccepted = (): Accepted => ({ users: [], bills: [], payments: [], serverErrors: 0, refused: 0, latenciesMs: [], retries: [] });

/** What the retries were answered: "2×/payments 409, 1×/users 201 replayed". */
export function retrySummary(acc: Accepted): string {
  const counts = new Map<string, number>();
  for (const r of acc.retries) {
    const replayed = r.answer?.headers['idempotent-replayed'] === 'true' ? ' replayed' : '';
    const key = `${r.path} ${r.answer ? r.answer.status : 'no answer'}${replayed}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${n}×${k}`).join(', ');
}

export interface BurstOptions {
  writers: number;
  /** Stops when this returns true, at the latest at the deadline, after at most maxCycles per writer. */
  stop: () => boolean;
  deadline: number;
  maxCycles: number;
  /** Pause between cycles, for a steady load instead of a burst. */
  pauseMs?: number;
  /**
   * Every write carries an Idempotency-Key, and one that gets no answer (the process died, the connection broke)
   * is sent again with the same key to `base()`: another replica, as a client behind a balancer would; while that
   * answers 409 (the dead one's key or payment still in progress) it is sent again, for up to RETRY_FOR_MS.
   */
  retry?: boolean;
  /** Told of every answer as it arrives (a scenario may kill the process that just gave it). */
  onAnswer?(base: string, path: string, answer: Answer): void;
}

/** How long a write that got no answer is sent again while it is answered 409: past any lease a test sets. */
const RETRY_FOR_MS = 30_000;

const phone = () => `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;

type Base = () => string | undefined;

async function attempt(base: string | undefined, path: string, body: unknown, headers: Record<string, string>, options: BurstOptions): Promise<Answer | undefined> {
  if (!base) return undefined;
  const answer = await postJson(base, path, body, headers).catch(() => undefined);
  if (answer) options.onAnswer?.(base, path, answer);
  return answer;
}

/** One write, to `base()` at the time; undefined when no process answered (killed, or the connection broke). */
async function write(base: Base, path: string, body: unknown, acc: Accepted, options: BurstOptions): Promise<Answer | undefined> {
  const headers: Record<string, string> = options.retry ? { 'idempotency-key': randomUUID() } : {};
  let answer = await attempt(base(), path, body, headers, options);
  if (!answer && options.retry) {
    const until = Date.now() + RETRY_FOR_MS;
    answer = await attempt(base(), path, body, headers, options);
    while (answer?.status === 409 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 250));
      answer = await attempt(base(), path, body, headers, options);
    }
    acc.retries.push({ path, body, key: headers['idempotency-key']!, answer });
  }
  if (!answer) return undefined;
  acc.latenciesMs.push(answer.ms);
  if (answer.status >= 500) acc.serverErrors++;
  else if (answer.status >= 400) acc.refused++;
  return answer;
}

async function cycle(base: Base, tag: string, acc: Accepted, options: BurstOptions): Promise<boolean> {
  const user = await write(base, '/users', { email: `${tag}@chaos.test`, name: `Chaos ${tag}`, phone: phone() }, acc, options);
  if (user?.status !== 201) return user !== undefined;
  const userId = (JSON.parse(user.text) as { id: string }).id;
  acc.users.push(userId);
  const amount = 100 + Math.floor(Math.random() * 10_000);
  const bill = await write(base, '/bills', { userId, amount, currency: 'EUR', dueDate: '2030-06-30', description: `chaos ${tag}` }, acc, options);
  if (bill?.status !== 201) return bill !== undefined;
  const billId = (JSON.parse(bill.text) as { id: string }).id;
  acc.bills.push(billId);
  const source = Math.random() < 0.1 ? 'tok_chargeDeclined' : 'tok_visa';
  const payment = await write(base, '/payments', { billId, amount, currency: 'EUR', source }, acc, options);
  if (payment?.status === 201) acc.payments.push((JSON.parse(payment.text) as { id: string }).id);
  return payment !== undefined;
}

/**
 * Runs the burst against `base()`, read for every write (so a restarted process is picked up, and a scenario can
 * spread the writes over replicas); resolves when all writers stop.
 */
export async function writeBurst(base: Base, acc: Accepted, options: BurstOptions): Promise<void> {
  const run = randomUUID().slice(0, 8);
  const writer = async (w: number) => {
    for (let i = 0; i < options.maxCycles && !options.stop() && Date.now() < options.deadline; i++) {
      const answered = await cycle(base, `${run}-${w}-${i}`, acc, options);
      // No answer: the process is gone (or restarting); wait rather than spin.
      if (!answered) await new Promise((r) => setTimeout(r, 100));
      else if (options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
    }
  };
  await Promise.all(Array.from({ length: options.writers }, (_, w) => writer(w)));
}
