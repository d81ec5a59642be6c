// The secrets of a config, to scrub from what reaches an operator or a log: text a library or handler wrote may quote them.
import type { Config } from '../config.js';
import { scrubSecrets } from '../logger.js';

export function secretsOf(config: Config): string[] {
  const secrets = [config.adminToken, config.rabbitmq.pass, ...passwordOf(config.rabbitmq.url), ...passwordOf(config.smtpUrl), ...passwordOf(config.databaseUrl), ...passwordOf(config.redisUrl)];
  return [...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length > 0))];
}

/** The URL's password as written (percent-encoded) and as meant. */
function passwordOf(url: string | undefined): string[] {
  if (!url) return [];
  try {
    const password = new URL(url).password;
    return password ? [password, decodeURIComponent(password)] : [];
  } catch {
    return [];
  }
}

export function redactSecrets(text: string, secrets: readonly string[]): string {
  return scrubSecrets(text, secrets);
}
