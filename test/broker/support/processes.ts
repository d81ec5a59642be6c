// Runs paybus entry points as real child processes (through tsx) and finds the port they listen on.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

export interface Child {
  proc: ChildProcess;
  url: string;
}

/** Starts `entry` (a .ts file) with `env`; resolves once it prints a JSON line with its port. */
export function startProcess(entry: string, env: Record<string, string>): Promise<Child> {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.resolve(entry)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      for (const line of out.split('\n')) {
        if (!line.includes('"port":')) continue;
        const { port } = JSON.parse(line) as { port: number };
        proc.stdout!.resume(); // keep draining, or a chatty child would block on a full pipe
        resolve({ proc, url: `http://127.0.0.1:${port}` });
        return;
      }
    });
    proc.once('exit', (code) => reject(new Error(`${entry} exited with ${code} before listening`)));
  });
}

export function exited(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
}

export function killAll(children: readonly ChildProcess[]): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
