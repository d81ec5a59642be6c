// Runs paybus as a real child process (src/main.ts, or the worker entry src/worker.ts, through tsx) and finds the
// port it listens on.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

/** `npm start` and `npm run worker`: a worker is the same process, refusing memory mode. */
const ENTRIES = { main: path.resolve('src/main.ts'), worker: path.resolve('src/worker.ts') };
export type Entry = keyof typeof ENTRIES;

export class PaybusProcess {
  private tail: string[] = [];

  private constructor(
    readonly proc: ChildProcess,
    readonly url: string,
  ) {}

  get pid(): number {
    return this.proc.pid!;
  }

  static start(env: Record<string, string>, timeoutMs = 60_000, entry: Entry = 'main'): Promise<PaybusProcess> {
    const proc = spawn(process.execPath, ['--import', 'tsx', ENTRIES[entry]], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const keep = (chunk: Buffer) => {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      if (lines.length > 200) lines.splice(0, lines.length - 200);
    };
    proc.stderr!.on('data', keep);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`paybus did not listen within ${timeoutMs} ms:\n${lines.slice(-10).join('\n')}`));
      }, timeoutMs);
      let out = '';
      const onData = (chunk: Buffer) => {
        keep(chunk);
        out += chunk.toString();
        const match = /"port":(\d+)[^\n]*paybus listening/.exec(out);
        if (!match) return;
        clearTimeout(timer);
        proc.stdout!.off('data', onData);
        proc.stdout!.on('data', keep); // keep draining, or a chatty child blocks on a full pipe
        const child = new PaybusProcess(proc, `http://127.0.0.1:${match[1]}`);
        child.tail = lines;
        resolve(child);
      };
      proc.stdout!.on('data', onData);
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`paybus exited (${code ?? signal}) before listening:\n${lines.slice(-10).join('\n')}`));
      });
    });
  }

  alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** The last lines it wrote, for a report when something went wrong. */
  lastLines(n = 10): string[] {
    return this.tail.slice(-n);
  }

  exited(): Promise<void> {
    if (!this.alive()) return Promise.resolve();
    return new Promise((resolve) => this.proc.once('exit', () => resolve()));
  }

  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.alive()) this.proc.kill(signal);
    await this.exited();
  }
}
