import { expect } from 'chai';
import { alertsFor } from '../../src/ops/dashboardData.js';
import { bearerToken } from '../../src/ops/adminAuth.js';
import { LatencyWindow, quantile } from '../../src/ops/LatencyWindow.js';
import { secretsOf } from '../../src/ops/redact.js';
import { testConfig } from '../support/testApp.js';

describe('operations views (pure parts)', () => {
  it('takes nearest-rank quantiles of the last minute only', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).to.equal(2);
    expect(quantile([1, 2, 3, 4], 0.99)).to.equal(4);
    const w = new LatencyWindow(3, 60_000);
    w.record('a', 100, 0);
    for (const s of [0.1, 0.2, 0.3]) w.record('a', s, 100_000);
    // The ring dropped the oldest sample; the window would have dropped it anyway.
    expect(w.summary(100_000).all).to.deep.equal({ count: 3, p50: 0.2, p99: 0.3 });
    expect(w.summary(200_000).all).to.deep.equal({ count: 0, p50: null, p99: null });
  });

  it('reads a Bearer credential only', () => {
    expect(bearerToken('Bearer abc.def')).to.equal('abc.def');
    expect(bearerToken('bearer  abc')).to.equal('abc');
    expect(bearerToken('Basic abc')).to.equal(undefined);
    expect(bearerToken('Bearer a b')).to.equal(undefined);
    expect(bearerToken(undefined)).to.equal(undefined);
  });

  it('names what is down, stuck or failed', () => {
    const now = Date.parse('2030-01-01T00:01:00Z');
    const alerts = alertsFor(
      {
        broker: { mode: 'rabbitmq', connected: false, ready: false, relayedTotal: 0, failedDeliveries: 0 },
        outbox: { pending: 4, oldestPendingAt: '2030-01-01T00:00:00Z', oldestPendingAgeSeconds: 60, lastError: 'refused' },
        subscribers: [
          { subscriber: 'mail', kind: 'reaction', types: ['*'], checkpoint: 1, checkpointAt: '2030-01-01T00:00:00Z', head: 9, lag: 8, pending: 3, pendingCapped: false, deadLetters: 0, lagEvents: null },
          { subscriber: 'fresh', kind: 'reaction', types: ['*'], checkpoint: 9, checkpointAt: '2030-01-01T00:00:59Z', head: 9, lag: 0, pending: 1, pendingCapped: false, deadLetters: 0, lagEvents: null },
        ],
        deadLetters: { total: 2, bySubscriber: { mail: 2 } },
        queues: [{ queue: 'paybus.mail', messages: 5, consumers: 0 }],
      },
      now,
    );
    expect(alerts.map((a) => a.message)).to.deep.equal([
      'RabbitMQ is not connected: events wait in the outbox until it returns',
      'outbox: 4 events undelivered, oldest 60 s (last error: refused)',
      'mail: 3 events waiting, no progress for 60 s',
      'mail: 2 dead letters waiting for a retry or a discard',
      'queue paybus.mail has no consumer (5 messages waiting)',
    ]);
  });

  it('knows the configured secrets, URL passwords both as written and decoded', () => {
    const config = testConfig({ ADMIN_TOKEN: 'tok-1234', SMTP_URL: 'smtp://u:p%40ss@h:25', RABBITMQ_URL: 'amqp://g:guestpw@h' });
    expect(secretsOf(config)).to.have.members(['tok-1234', 'p%40ss', 'p@ss', 'guestpw']);
  });
});
