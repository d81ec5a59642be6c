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

const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^:/@\s"]*):[^@/\s"]*@/gi;

/** Removes URL passwords and the literal secret values (also as JSON escapes them) from any text. */
export function scrubSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(URL_CREDENTIALS, '$1:***@');
  for (const secret of secrets) {
    if (secret.length < 4) continue; // a tiny value would blank out ordinary words
    out = out.split(secret).join('***');
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret) out = out.split(escaped).join('***');
  }
  return out;
}

/**
 * `secrets`: values never to write, wherever they appear. Path redaction covers known fields; the scrub of each
 * finished line covers messages that quote a secret (a library error naming a URL with its password).
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream, secrets: readonly string[] = []): Logger {
  return pino(
    {
      level,
      base: { service: 'paybus' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      hooks: { streamWrite: (line) => scrubSecrets(line, secrets) },
    },
    destination as pino.DestinationStream | undefined,
  );
}
