// Multipart parsing with multer (bytes in memory, bounded by MAX_UPLOAD_BYTES); every parser failure becomes a 4xx.
import type { RequestHandler } from 'express';
import multer, { MulterError } from 'multer';
import { AppError, errorMessage, PayloadTooLargeError, ValidationError } from '../../src/moduleKit.js';

export const FILE_FIELD = 'file';

/** Turns a multer or busboy error into the typed error the problem mapper knows. */
export function uploadError(error: unknown, maxBytes: number): AppError {
  if (error instanceof MulterError) {
    if (error.code === 'LIMIT_FILE_SIZE') return new PayloadTooLargeError(`file: larger than the limit of ${maxBytes} bytes`);
    if (error.code === 'LIMIT_UNEXPECTED_FILE' || error.code === 'LIMIT_FILE_COUNT') {
      const field = error.field ?? FILE_FIELD;
      const message = field === FILE_FIELD ? 'only one file may be sent' : `is not a file field; send the file as "${FILE_FIELD}"`;
      return new ValidationError([{ field, message }]);
    }
    return new ValidationError([{ field: error.field ?? 'body', message: error.message }]);
  }
  // busboy: a missing boundary, a truncated body, a malformed part header.
  return new ValidationError([{ field: 'body', message: `malformed multipart body: ${errorMessage(error)}` }]);
}

export function uploadMiddleware(maxBytes: number): RequestHandler {
  const parse = multer({
    storage: multer.memoryStorage(),
    // Browsers send UTF-8 filenames without declaring a charset.
    defParamCharset: 'utf8',
    limits: { fileSize: maxBytes, files: 1, fields: 10, parts: 12, fieldSize: 1024, fieldNameSize: 100, headerPairs: 50 },
  }).single(FILE_FIELD);
  return (req, res, next) => {
    parse(req, res, (error?: unknown) => next(error === undefined ? undefined : uploadError(error, maxBytes)));
  };
}
