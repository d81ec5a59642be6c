// SIGKILL the API at random moments of a write burst, many times over one database; restart; nothing lost, nothing twice.
import { audit } from '../lib/audit.js';
import { Deployment } from '../lib/deployment.js';
import type { PaybusProcess } from '../lib/paybus.js';
import { outcome } from '../lib/report.js';
import { randomInt, type Scenario, sleep } from '../lib/types.js';
import { emptyAccepted, writeBurst } from '../lib/workload.js';

export const sigkill: Scenario = {
  name: 'sigkill',
  async run(ctx) {
    const runs = ctx.quick ? 3 : 12;
    const d = await Deployment.create(ctx, 'sigkill');
    const acc = emptyAccepted();
    try {
      for (let run = 1; run <= runs; run++) {
        const p = await d.start();
        let current: PaybusProcess | undefined = p;
        let stop = false;
        const burst = writeBurst(() => current?.url, acc, { writers: 6, stop: () => stop, deadline: Date.now() + 20_000, maxCycles: 400 });
        // Some kills land while the restarted process still catches up, most in the middle of the burst.
        await sleep(run % 3 === 0 ? randomInt(0, 80) : randomInt(150, 1200));
        p.proc.kill('SIGKILL');
        current = undefined;
        stop = true;
        await Promise.all([burst, p.exited()]);
        ctx.log(`run ${run}/${runs}: killed; ${acc.users.length} users, ${acc.bills.length} bills, ${acc.payments.length} payments answered 201 so far`);
      }
      const final = await d.start();
      const a = await audit(d, final.url, acc, ctx.quick ? 45_000 : 90_000);
      await final.kill('SIGTERM');
      const notes = [`${runs} kills; ${acc.users.length + acc.bills.length + acc.payments.length} writes answered 201`];
      if (acc.serverErrors > 0) notes.push(`${acc.serverErrors} writes answered 5xx`);
      return outcome(runs, a, notes, { accepted: acc.users.length + acc.bills.length + acc.payments.length, serverErrors: acc.serverErrors }, acc.serverErrors === 0);
    } finally {
      await d.cleanup();
    }
  },
};
