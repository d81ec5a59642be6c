// Reading a bearer credential (RFC 6750) and comparing a secret in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';

export const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** The token as a request carries it, or undefined when the header is missing or not a Bearer credential. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header ?? '');
  return match?.[1];
}

export function tokenMatches(given: string | undefined, expected: Buffer): boolean {
  // Digests have one length whatever was sent, so timingSafeEqual never throws and the time says nothing
  // about how much of the token matched.
  const same = timingSafeEqual(digest(given ?? ''), expected);
  return given !== undefined && same;
}
