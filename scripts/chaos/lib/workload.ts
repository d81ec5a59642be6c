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
}

export const emptyAccepted = (): Accepted => ({ users: [], bills: [], payments: [], serverErrors: 0, refused: 0, latenciesMs: [] });

export interface BurstOptions {
  writers: number;
  /** Stops when this returns true, at the latest at the deadline, after at most maxCycles per writer. */
  stop: () => boolean;
  deadline: number;
  maxCycles: number;
  /** Pause between cycles, for a steady load instead of a burst. */
  pauseMs?: number;
}

const phone = () => `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;

/** One write; undefined when the process did not answer (killed, or the connection broke). */
async function write(base: string, path: string, body: unknown, acc: Accepted): Promise<Answer | undefined> {
  const answer = await postJson(base, path, body).catch(() => undefined);
  if (!answer) return undefined;
  acc.latenciesMs.push(answer.ms);
  if (answer.status >= 500) acc.serverErrors++;
  else if (answer.status >= 400) acc.refused++;
  return answer;
}

async function cycle(base: string, tag: string, acc: Accepted): Promise<boolean> {
  const user = await write(base, '/users', { email: `${tag}@chaos.test`, name: `Chaos ${tag}`, phone: phone() }, acc);
  if (user?.status !== 201) return user !== undefined;
  const userId = (JSON.parse(user.text) as { id: string }).id;
  acc.users.push(userId);
  const amount = 100 + Math.floor(Math.random() * 10_000);
  const bill = await write(base, '/bills', { userId, amount, currency: 'EUR', dueDate: '2030-06-30', description: `chaos ${tag}` }, acc);
  if (bill?.status !== 201) return bill !== undefined;
  const billId = (JSON.parse(bill.text) as { id: string }).id;
  acc.bills.push(billId);
  const source = Math.random() < 0.1 ? 'tok_chargeDeclined' : 'tok_visa';
  const payment = await write(base, '/payments', { billId, amount, currency: 'EUR', source }, acc);
  if (payment?.status === 201) acc.payments.push((JSON.parse(payment.text) as { id: string }).id);
  return payment !== undefined;
}

/** Runs the burst against `base()` (read per cycle, so a restarted process is picked up); resolves when all writers stop. */
export async function writeBurst(base: () => string | undefined, acc: Accepted, options: BurstOptions): Promise<void> {
  const run = randomUUID().slice(0, 8);
  const writer = async (w: number) => {
    for (let i = 0; i < options.maxCycles && !options.stop() && Date.now() < options.deadline; i++) {
      const url = base();
      const answered = url ? await cycle(url, `${run}-${w}-${i}`, acc) : false;
      // No answer: the process is gone (or restarting); wait rather than spin.
      if (!answered) await new Promise((r) => setTimeout(r, 100));
      else if (options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
    }
  };
  await Promise.all(Array.from({ length: options.writers }, (_, w) => writer(w)));
}
