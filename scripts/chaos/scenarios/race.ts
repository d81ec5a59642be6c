// Concurrent payments for the same bills and concurrent PATCHes of one user: one charge per bill, no lost update.
import { randomUUID } from 'node:crypto';
import { audit } from '../lib/audit.js';
import { Deployment } from '../lib/deployment.js';
import { type Answer, getJson, postJson, send } from '../lib/http.js';
import { outcome } from '../lib/report.js';
import type { Scenario } from '../lib/types.js';
import { emptyAccepted } from '../lib/workload.js';

const id = (a: Answer) => (JSON.parse(a.text) as { id: string }).id;

export const race: Scenario = {
  name: 'race',
  async run(ctx) {
    const bills = ctx.quick ? 12 : 40;
    const payers = 6;
    const patchers = ctx.quick ? 20 : 60;
    const d = await Deployment.create(ctx, 'race');
    const acc = emptyAccepted();
    try {
      const p = await d.start();
      const userId = id(await postJson(p.url, '/users', { email: `race-${randomUUID().slice(0, 8)}@chaos.test`, name: 'Racer', phone: '+15550002222' }));
      acc.users.push(userId);
      const billIds: string[] = [];
      for (let i = 0; i < bills; i++) billIds.push(id(await postJson(p.url, '/bills', { userId, amount: 1234, currency: 'EUR', dueDate: '2030-03-31' })));
      acc.bills.push(...billIds);

      // Every payer of a bill at once; two of them share an Idempotency-Key, as a client retrying would.
      const statuses = new Map<number, number>();
      let winnersWrong = 0;
      await Promise.all(
        billIds.map(async (billId) => {
          const key = randomUUID();
          const answers = await Promise.all(
            Array.from({ length: payers }, (_, i) => postJson(p.url, '/payments', { billId, amount: 1234, currency: 'EUR', source: 'tok_visa' }, i < 2 ? { 'idempotency-key': key } : {})),
          );
          for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
          const won = new Set(answers.filter((a) => a.status === 201).map(id));
          if (won.size !== 1) winnersWrong++;
          acc.payments.push(...won);
        }),
      );

      // Concurrent PATCHes: each 200 must be one user.updated, versions 1..n without a gap, the last write visible.
      const patches = await Promise.all(
        Array.from({ length: patchers }, (_, i) =>
          send(p.url, { method: 'PATCH', path: `/users/${userId}`, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `Racer ${i}` }) }),
        ),
      );
      const patched = patches.filter((a) => a.status === 200).length;
      const patchErrors = patches.filter((a) => a.status !== 200 && a.status !== 409).length;
      const a = await audit(d, p.url, acc, 60_000);
      const userEvents = a.events.filter((e) => e.aggregateId === userId);
      const updates = userEvents.filter((e) => e.type === 'user.updated');
      const lastName = (updates.at(-1)?.payload.changes as { name?: string } | undefined)?.name;
      const user = await getJson<{ name: string }>(p.url, `/users/${userId}`);
      await p.kill('SIGTERM');

      const notes = [`${bills} bills × ${payers} concurrent payers: ${[...statuses].map(([s, n]) => `${n}×${s}`).join(', ')}`, `${patchers} concurrent PATCHes: ${patched} applied, ${updates.length} user.updated`];
      if (winnersWrong > 0) notes.push(`${winnersWrong} bills without exactly one winning payment`);
      if (updates.length !== patched) notes.push('a PATCH answered 200 without its event (lost update)');
      if (user.name !== lastName) notes.push(`read model says ${user.name}, last event says ${lastName}`);
      if (patchErrors > 0) notes.push(`${patchErrors} PATCHes answered neither 200 nor 409`);
      const serverErrors = [...statuses].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
      const ok = winnersWrong === 0 && updates.length === patched && user.name === lastName && patchErrors === 0 && serverErrors === 0;
      return outcome(bills, a, notes, { patched, userUpdated: updates.length, winnersWrong }, ok);
    } finally {
      await d.cleanup();
    }
  },
};
