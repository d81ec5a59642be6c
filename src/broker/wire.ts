// The RabbitMQ wire format of CONTRACT.md: what one outbox row looks like as an AMQP message.
import type { Options } from 'amqplib';
import type { OutboxRow } from '../store/Outbox.js';

export interface OutgoingMessage {
  routingKey: string;
  content: Buffer;
  options: Options.Publish;
}

export function wireMessage(row: OutboxRow): OutgoingMessage {
  // The body is the envelope serialised once at commit; it is read here only for two properties.
  const envelope = JSON.parse(row.body) as { occurredAt?: string; metadata?: { correlationId?: string } };
  const occurred = Date.parse(envelope.occurredAt ?? '');
  return {
    routingKey: row.eventType,
    content: Buffer.from(row.body, 'utf8'),
    options: {
      contentType: 'application/json',
      messageId: row.eventId,
      type: row.eventType,
      timestamp: Math.floor((Number.isNaN(occurred) ? Date.now() : occurred) / 1000),
      correlationId: envelope.metadata?.correlationId,
      persistent: true,
    },
  };
}
