// What each notification says: one readable email (subject and text) and one short SMS per causing event type.
import type { DomainEvent, PayloadOf } from '../../src/moduleKit.js';
import type { Recipient } from './notificationsRepository.js';

export const TEMPLATE_TYPES = ['bill.created', 'payment.success', 'payment.failed'] as const;
export type TemplateType = (typeof TEMPLATE_TYPES)[number];

export interface Message {
  subject: string;
  text: string;
  sms: string;
}

const LOCALE = 'en-US';

/**
 * An amount in minor units, in its currency: the currency's own number of minor digits
 * (2 for EUR, 0 for JPY, 3 for BHD) from Intl, formatted from an exact decimal string.
 */
export function formatAmount(amount: number, currency: string): string {
  const { format, digits } = formatterFor(currency);
  const sign = amount < 0 ? '-' : '';
  const units = String(Math.abs(amount)).padStart(digits + 1, '0');
  const decimal = digits === 0 ? units : `${units.slice(0, -digits)}.${units.slice(-digits)}`;
  return format.format(`${sign}${decimal}` as Intl.StringNumericLiteral);
}

/** Building an Intl.NumberFormat costs about 50 µs, formatting with one about 1 µs: one per currency, kept. */
const formatters = new Map<string, { format: Intl.NumberFormat; digits: number }>();

function formatterFor(currency: string): { format: Intl.NumberFormat; digits: number } {
  let entry = formatters.get(currency);
  if (!entry) {
    const format = new Intl.NumberFormat(LOCALE, { style: 'currency', currency });
    entry = { format, digits: format.resolvedOptions().maximumFractionDigits ?? 2 };
    formatters.set(currency, entry);
  }
  return entry;
}

const signature = '\n\n— paybus\n';

function billCreated(p: PayloadOf<'bill.created'>, user: Recipient): Message {
  const amount = formatAmount(p.amount, p.currency);
  const about = p.description ? `\nFor: ${p.description}` : '';
  return {
    subject: `New bill: ${amount} due ${p.dueDate}`,
    text: `Hello ${user.name},\n\nYou have a new bill of ${amount}, due on ${p.dueDate}.${about}\nBill reference: ${p.billId}${signature}`,
    sms: `paybus: new bill of ${amount} due ${p.dueDate}. Ref ${p.billId.slice(0, 8)}`,
  };
}

function paymentSuccess(p: PayloadOf<'payment.success'>, user: Recipient): Message {
  const amount = formatAmount(p.amount, p.currency);
  return {
    subject: `Payment received: ${amount}`,
    text: `Hello ${user.name},\n\nWe received your payment of ${amount}. Thank you.\nBill reference: ${p.billId}\nPayment reference: ${p.paymentId}${signature}`,
    sms: `paybus: payment of ${amount} received. Thank you.`,
  };
}

function paymentFailed(p: PayloadOf<'payment.failed'>, user: Recipient): Message {
  const amount = formatAmount(p.amount, p.currency);
  return {
    subject: `Payment failed: ${amount}`,
    text:
      `Hello ${user.name},\n\nYour payment of ${amount} did not go through (${p.reason}).\n` +
      `The bill is still open; you can pay it again with another card.\nBill reference: ${p.billId}\nPayment reference: ${p.paymentId}${signature}`,
    sms: `paybus: payment of ${amount} failed (${p.reason}). The bill is still open.`,
  };
}

export function isTemplateType(type: string): type is TemplateType {
  return (TEMPLATE_TYPES as readonly string[]).includes(type);
}

export function renderMessage(event: DomainEvent<TemplateType>, user: Recipient): Message {
  switch (event.type) {
    case 'bill.created':
      return billCreated(event.payload as PayloadOf<'bill.created'>, user);
    case 'payment.success':
      return paymentSuccess(event.payload as PayloadOf<'payment.success'>, user);
    case 'payment.failed':
      return paymentFailed(event.payload as PayloadOf<'payment.failed'>, user);
  }
}
