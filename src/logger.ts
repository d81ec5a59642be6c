// pino logger with secrets redacted wherever they could appear.
import { pino, type Logger } from 'pino';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'password',
  '*.password',
  'pass',
  '*.pass',
  'adminToken',
  '*.adminToken',
  'token',
  '*.token',
];

/** Removes the password from a URL (amqp://user:secret@host → amqp://user:***@host) before it is logged or shown. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@/\s]*@/i, '$1:***@');
}

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    { level, base: { service: 'paybus' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    destination as pino.DestinationStream | undefined,
  );
}
