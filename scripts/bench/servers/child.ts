// A server in its own process (so its RSS and event loop are its own), talked to over the IPC channel.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

export interface ServerMessage {
  port?: number;
  /** Peak resident set size in bytes, from process.resourceUsage(). */
  maxRss?: number;
  /** Resident set size now, in bytes, from process.memoryUsage(). */
  rss?: number;
  idle?: true;
  error?: string;
}

export class ChildServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  /**
   * Starts `file` under tsx with `args`; resolves once it reports its port (after its own preparation). With
   * BENCH_CPU_PROF=DIR each server writes a CPU profile there (node refuses --cpu-prof in NODE_OPTIONS). `env` is
   * laid over the bench's own environment.
   */
  static async start(file: string, args: string[], env: Record<string, string> = {}): Promise<ChildServer> {
    const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
    const child = spawn(process.execPath, [...prof, '--import', 'tsx', file, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...env } });
    const [message] = (await Promise.race([once(child, 'message'), once(child, 'exit').then(([code]) => [{ error: `exited with ${code}` }])])) as [ServerMessage];
    if (!message.port) {
      child.kill();
      throw new Error(`${file} did not start: ${message.error ?? 'no port'}`);
    }
    return new ChildServer(child, message.port);
  }

  async maxRss(): Promise<number> {
    return (await this.memory()).maxRss!;
  }

  /** Resident set size now, in bytes. */
  async rss(): Promise<number> {
    return (await this.memory()).rss!;
  }

  private async memory(): Promise<ServerMessage> {
    this.child.send('rss');
    const [message] = (await once(this.child, 'message')) as [ServerMessage];
    return message;
  }

  /** Resolves once the server has finished the work its requests set off (reactions, for paybus). */
  async idle(): Promise<void> {
    this.child.send('idle');
    await once(this.child, 'message');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.send('stop');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/** The child's side: report the port, answer 'rss' and 'idle', and run `stop` then exit on 'stop'. */
export function serveParent(port: number, stop: () => Promise<void>, idle: () => Promise<void> = async () => {}): void {
  process.on('message', (message) => {
    if (message === 'rss') process.send!({ maxRss: process.resourceUsage().maxRSS * 1024, rss: process.memoryUsage.rss() } satisfies ServerMessage);
    if (message === 'idle') void idle().then(() => process.send!({ idle: true } satisfies ServerMessage));
    if (message === 'stop') void stop().finally(() => process.exit(0));
  });
  process.on('disconnect', () => void stop().finally(() => process.exit(0)));
  process.send!({ port } satisfies ServerMessage);
}
