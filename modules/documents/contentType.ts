// Which files documents accepts: the declared type must be on the allow-list and agree with the file's own bytes.
import { fileTypeFromBuffer } from 'file-type';
import { UnsupportedMediaTypeError } from '../../src/moduleKit.js';

export const ALLOWED_TYPES = ['application/pdf', 'image/png', 'image/jpeg', 'text/plain'] as const;
export type AllowedType = (typeof ALLOWED_TYPES)[number];

// Clients commonly send image/jpg; it names the same format.
const ALIASES: Record<string, string> = { 'image/jpg': 'image/jpeg', 'image/pjpeg': 'image/jpeg' };

/** The bare media type of a header value: lower case, without parameters such as charset. */
export function normaliseDeclaredType(declared: string | undefined): string {
  const bare = (declared ?? '').split(';')[0]!.trim().toLowerCase();
  return ALIASES[bare] ?? bare;
}

export function isAllowedType(type: string): type is AllowedType {
  return (ALLOWED_TYPES as readonly string[]).includes(type);
}

/** Plain text has no magic number: accept it only when it is valid UTF-8 with no NUL byte. */
export function isPlainText(bytes: Uint8Array): boolean {
  if (bytes.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Returns the content type to store, or throws 415 naming what is wrong. */
export async function checkContentType(declared: string | undefined, bytes: Uint8Array): Promise<AllowedType> {
  const type = normaliseDeclaredType(declared);
  if (!isAllowedType(type)) {
    throw new UnsupportedMediaTypeError(`file: type ${type || '(none)'} is not allowed; allowed are ${ALLOWED_TYPES.join(', ')}`);
  }
  const sniffed = (await fileTypeFromBuffer(bytes))?.mime;
  if (sniffed === undefined) {
    if (type === 'text/plain' && isPlainText(bytes)) return type;
    throw new UnsupportedMediaTypeError(`file: declared as ${type} but its content is not ${type}`);
  }
  if (sniffed !== type) throw new UnsupportedMediaTypeError(`file: declared as ${type} but its content is ${sniffed}`);
  return type;
}
