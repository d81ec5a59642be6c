// A logger whose pino output a test reads back as parsed lines.
import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger.js';

export function captureLog() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, log: createLogger('debug', stream) };
}
