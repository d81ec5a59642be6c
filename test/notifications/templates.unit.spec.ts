import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { createBillCreatedEvent, createPaymentFailedEvent, createPaymentSuccessEvent } from '../../src/events/catalog.js';
import { notificationIdFor, planNotifications } from '../../modules/notifications/index.js';
import { formatAmount } from '../../modules/notifications/index.js';

const user = { id: randomUUID(), email: 'ada@example.com', name: 'Ada', phone: '+15551234567' };

describe('notification templates', () => {
  it('formats amounts in minor units with the currency’s own digits', () => {
    expect(formatAmount(1234, 'USD')).to.equal('$12.34');
    expect(formatAmount(5, 'EUR')).to.equal('€0.05');
    expect(formatAmount(1234, 'JPY')).to.equal('¥1,234');
    expect(formatAmount(1234, 'BHD')).to.equal('BHD\u00a01.234');
    expect(formatAmount(123456789012345, 'USD')).to.equal('$1,234,567,890,123.45');
  });

  it('given a bill.created, then an email and an SMS naming amount and due date', () => {
    const event = createBillCreatedEvent(randomUUID(), user.id, 4200, 'EUR', '2030-01-31', 'Water, March');
    const [email, sms] = planNotifications(event, user);
    expect(email).to.include({ channel: 'email', template: 'bill.created', recipient: 'ada@example.com', subject: 'New bill: €42.00 due 2030-01-31' });
    expect(email!.text).to.contain('Hello Ada').and.contain('€42.00').and.contain('Water, March');
    expect(sms).to.include({ channel: 'sms', recipient: '+15551234567' });
    expect(sms!.text).to.contain('€42.00');
  });

  it('given payment events, then success and failure read differently and the failure gives the reason', () => {
    const ok = planNotifications(createPaymentSuccessEvent(randomUUID(), randomUUID(), user.id, 999, 'USD'), user)[0]!;
    expect(ok.subject).to.equal('Payment received: $9.99');
    const failed = planNotifications(createPaymentFailedEvent(randomUUID(), randomUUID(), user.id, 999, 'USD', 'card_declined'), user)[0]!;
    expect(failed.subject).to.equal('Payment failed: $9.99');
    expect(failed.text).to.contain('card_declined');
  });

  it('given a user without a phone, then only the email', () => {
    const plan = planNotifications(createPaymentSuccessEvent(randomUUID(), randomUUID(), user.id, 1, 'USD'), { ...user, phone: null });
    expect(plan.map((n) => n.channel)).to.deep.equal(['email']);
  });

  it('gives each (event, channel) one stable UUID', () => {
    const eventId = randomUUID();
    expect(notificationIdFor(eventId, 'email')).to.equal(notificationIdFor(eventId, 'email'));
    expect(notificationIdFor(eventId, 'email')).to.not.equal(notificationIdFor(eventId, 'sms'));
    expect(notificationIdFor(eventId, 'sms')).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
