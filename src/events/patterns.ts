// Subscription patterns: an exact type (`bill.paid`), a prefix (`bill.*`) or everything (`*`).

export function matchesPattern(type: string, pattern: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return type === pattern;
}

export function matchesAny(type: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => matchesPattern(type, p));
}

export function assertValidPattern(pattern: string): void {
  if (!/^(\*|[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*(\.\*)?)$/.test(pattern)) {
    throw new Error(`invalid subscription pattern "${pattern}": use a type, "prefix.*" or "*"`);
  }
}
