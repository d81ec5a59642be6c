// A replica in a child process for the takeover tests: started from a script in this folder on the test's folder,
// with its stdout read line by line (the scripts print one line once they serve) and its end awaited.
import { type ChildProcess, spawn } from 'node:child_process';
import readline from 'node:readline';

export interface ChildReplica {
  child: ChildProcess;
  /** The lines the child prints, in order. */
  lines: AsyncIterator<string>;
  /** The signal that ended it (SIGKILL, say), or null when it exited on its own. */
  exited: Promise<NodeJS.Signals | null>;
}

/** `script`: a file under test/replicas/support; `stdin`: true to write to the child. */
export function spawnReplica(script: string, dir: string, stdin = false): ChildReplica {
  const child = spawn(process.execPath, ['--import', 'tsx', `test/replicas/support/${script}`, dir], { stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  return { child, exited, lines: readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]() };
}
