// Who this process is, to the others on the same database: what it writes as the holder of a lease or an owner.
import { randomUUID } from 'node:crypto';
import os from 'node:os';

export interface Instance {
  /** Unique to this run of this process: host, pid and a random part (a pid is reused after a restart). */
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  readonly startedAt: string;
}

export function createInstance(): Instance {
  const host = os.hostname();
  return { id: `${host}:${process.pid}:${randomUUID().slice(0, 8)}`, host, pid: process.pid, startedAt: new Date().toISOString() };
}
