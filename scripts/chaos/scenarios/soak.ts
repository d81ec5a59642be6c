// Steady load for ten minutes in broker mode: memory, handles and latency must stay flat (full run only).
import fs from 'node:fs';
import { audit } from '../lib/audit.js';
import { Deployment } from '../lib/deployment.js';
import { percentile, outcome, slope } from '../lib/report.js';
import { type Scenario, sleep } from '../lib/types.js';
import { emptyAccepted, writeBurst } from '../lib/workload.js';

/** Resident memory (MB) and open file descriptors (sockets, files, timers' fds) of a process, from /proc. */
function sample(pid: number): { rssMb: number; fds: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { rssMb: Math.round(rssKb / 102.4) / 10, fds: fs.readdirSync(`/proc/${pid}/fd`).length };
}

export const soak: Scenario = {
  name: 'soak',
  fullOnly: true,
  async run(ctx) {
    const minutes = Number(process.env.CHAOS_SOAK_MINUTES ?? 10);
    const d = await Deployment.create(ctx, 'soak');
    const acc = emptyAccepted();
    try {
      const p = await d.start();
      const start = Date.now();
      const end = start + minutes * 60_000;
      let stop = false;
      // About 40 writes a second: steady, well under what one process takes, so creep is not mistaken for overload.
      const load = writeBurst(() => p.url, acc, { writers: 4, stop: () => stop, deadline: end, maxCycles: 1_000_000, pauseMs: 250 });
      const t: number[] = [];
      const rss: number[] = [];
      const fds: number[] = [];
      const p95: number[] = [];
      let seen = 0;
      while (Date.now() < end) {
        await sleep(10_000);
        const s = sample(p.pid);
        const window = acc.latenciesMs.slice(seen);
        seen = acc.latenciesMs.length;
        t.push((Date.now() - start) / 60_000);
        rss.push(s.rssMb);
        fds.push(s.fds);
        p95.push(percentile(window, 95));
        if (t.length % 6 === 0) ctx.log(`${t.at(-1)!.toFixed(1)} min: rss ${s.rssMb} MB, ${s.fds} fds, p95 ${p95.at(-1)} ms, ${acc.users.length} cycles`);
      }
      stop = true;
      await load;
      const a = await audit(d, p.url, acc, 120_000);
      await p.kill('SIGTERM');
      // The first minute is warm-up (JIT, caches, SQLite pages): slopes are taken after it.
      const warm = t.findIndex((x) => x >= 1);
      const from = warm < 0 ? 0 : warm;
      const rssSlope = Math.round(slope(t.slice(from), rss.slice(from)) * 100) / 100;
      const fdSlope = Math.round(slope(t.slice(from), fds.slice(from)) * 100) / 100;
      const p95Slope = Math.round(slope(t.slice(from), p95.slice(from)) * 100) / 100;
      const notes = [
        `${minutes} min, ${acc.latenciesMs.length} writes; RSS ${rss[from]}→${rss.at(-1)} MB (slope ${rssSlope} MB/min), fds ${fds[from]}→${fds.at(-1)} (slope ${fdSlope}/min), p95 ${p95[from]}→${p95.at(-1)} ms (slope ${p95Slope} ms/min)`,
      ];
      if (acc.serverErrors > 0) notes.push(`${acc.serverErrors} writes answered 5xx`);
      return outcome(1, a, notes, { rssMb: rss, fds, p95Ms: p95, rssSlopeMbPerMin: rssSlope, fdSlopePerMin: fdSlope, p95SlopeMsPerMin: p95Slope }, acc.serverErrors === 0);
    } finally {
      await d.cleanup();
    }
  },
};
