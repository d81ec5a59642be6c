// The client's filename is data only: cleaned for display and headers, never used in a path.
const MAX_LENGTH = 200;

/** Last path segment, no control or bidi-override characters, at most 200 characters; "upload" when nothing is left. */
export function sanitiseFilename(raw: string | undefined): string {
  const lastSegment = (raw ?? '').split(/[/\\]/).pop() ?? '';
  const cleaned = lastSegment
    .normalize('NFC')
    // C0/C1 controls and the Unicode direction overrides that can disguise an extension.
    .replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '')
    .trim()
    .replace(/^\.+/, '');
  const limited = Array.from(cleaned).slice(0, MAX_LENGTH).join('').trim();
  return limited === '' ? 'upload' : limited;
}

/**
 * An attachment Content-Disposition: an ASCII fallback in `filename` (quotes and backslashes replaced)
 * and the exact name in RFC 5987 `filename*`.
 */
export function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
