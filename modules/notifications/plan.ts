// Which notifications an event causes, as a pure function: one email, plus one SMS when the user has a phone.
import { createHash } from 'node:crypto';
import type { DomainEvent } from '../../src/moduleKit.js';
import type { Channel, Recipient } from './notificationsRepository.js';
import { renderMessage, type TemplateType } from './templates.js';

export interface PlannedNotification {
  notificationId: string;
  channel: Channel;
  template: TemplateType;
  recipient: string;
  subject: string;
  text: string;
}

// Fixed namespace for name-based (v5) notification ids.
const NAMESPACE = Buffer.from('6f1c7a4e2b7d4f0a9c3e5d1b8a2f6c40', 'hex');

/**
 * The same event and channel always give the same id (RFC 9562 v5), so a send repeated after a crash
 * carries the same Message-ID and .eml name, and the store refuses a second notification stream.
 */
export function notificationIdFor(eventId: string, channel: Channel): string {
  const bytes = createHash('sha1').update(NAMESPACE).update(`${eventId}:${channel}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function planNotifications(event: DomainEvent<TemplateType>, user: Recipient): PlannedNotification[] {
  const message = renderMessage(event, user);
  const template = event.type;
  const planned: PlannedNotification[] = [
    { notificationId: notificationIdFor(event.id, 'email'), channel: 'email', template, recipient: user.email, subject: message.subject, text: message.text },
  ];
  if (user.phone) {
    planned.push({ notificationId: notificationIdFor(event.id, 'sms'), channel: 'sms', template, recipient: user.phone, subject: message.subject, text: message.sms });
  }
  return planned;
}
