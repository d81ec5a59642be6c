// zod fields that several modules' request bodies share: ids, money, currency.
import { z } from 'zod';

/** A field's message when it is present but wrong; a missing field always reads "is required". */
export const says = (message: string) => ({ error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : message) });

export const idField = (what: string) => z.uuid(says(`must be a ${what} id (UUID)`)).transform((id) => id.toLowerCase());

export const amountField = () =>
  z
    .number(says('must be a number'))
    .int('must be a whole number of minor units (cents)')
    .positive('must be greater than 0')
    .max(Number.MAX_SAFE_INTEGER);

export const currencyField = () => z.string(says('must be a string')).regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code in capitals, like EUR');
