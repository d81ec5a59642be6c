// paybus as `npm start` runs it (src/main.ts, configured by the environment alone), in a child process of the bench:
// its port is read from the "listening" line of its log.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import readline from 'node:readline';

const MAIN = path.resolve(import.meta.dirname, '../../../src/main.ts');

export class MainProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  /** Starts src/main.ts under tsx with `env` over the bench's environment (PORT 0: a free port); resolves once it listens. */
  static async start(env: Record<string, string>): Promise<MainProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', ...env } });
    const exited = once(child, 'exit').then(([code]) => {
      throw new Error(`src/main.ts exited with ${code} before it listened`);
    });
    // Every line is read, to the end, so the pipe never fills and stalls the server.
    const listening = new Promise<number>((resolve) =>
      readline.createInterface({ input: child.stdout! }).on('line', (line) => {
        const port = /"port":(\d+)/.exec(line);
        if (port && line.includes('paybus listening')) resolve(Number(port[1]));
      }),
    );
    try {
      return new MainProcess(child, await Promise.race([listening, exited]));
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
  }

  /** SIGTERM, as an orchestrator stops a replica; SIGKILL if it has not exited within 10 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
