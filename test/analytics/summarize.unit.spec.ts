import { expect } from 'chai';
import { buildSummary, dayOf, latencyOf, latencySummary, percentile } from '../../modules/analytics/index.js';

describe('analytics arithmetic', () => {
  it('counts an event on the UTC day of its occurredAt, whatever the local zone', () => {
    expect(dayOf('2024-02-29T23:59:59.999Z')).to.equal('2024-02-29');
    expect(dayOf('2024-03-01T00:00:00.000Z')).to.equal('2024-03-01');
    expect(() => dayOf('yesterday')).to.throw(/not a timestamp/);
  });

  it('measures latency in whole milliseconds and never below zero (a publisher clock ahead of ours)', () => {
    const occurred = '2024-01-01T00:00:00.000Z';
    expect(latencyOf(occurred, Date.parse(occurred) + 1234)).to.equal(1234);
    expect(latencyOf(occurred, Date.parse(occurred) - 50)).to.equal(0);
  });

  it('takes nearest-rank percentiles, null when there is nothing to rank', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(hundred, 50)).to.equal(50);
    expect(percentile(hundred, 95)).to.equal(95);
    expect(percentile(hundred, 99)).to.equal(99);
    expect(percentile([7], 99)).to.equal(7);
    expect(percentile([1, 2, 3], 50)).to.equal(2);
    expect(percentile([], 50)).to.equal(null);
  });

  it('sums (type, day) rows into totals by type and by day', () => {
    const summary = buildSummary(
      [
        { type: 'user.created', day: '2024-01-02', count: 2 },
        { type: 'bill.created', day: '2024-01-01', count: 3 },
        { type: 'user.created', day: '2024-01-01', count: 1 },
      ],
      latencySummary([1, 2, 3, 4]),
    );
    expect(summary).to.deep.equal({
      totalEvents: 6,
      byType: { 'bill.created': 3, 'user.created': 3 },
      byDay: { '2024-01-01': 4, '2024-01-02': 2 },
      latencyMs: { p50: 2, p95: 4, p99: 4 },
    });
    expect(Object.keys(summary.byDay)).to.deep.equal(['2024-01-01', '2024-01-02']);
  });

  it('answers an empty log with zeros and null latencies', () => {
    expect(buildSummary([], latencySummary([]))).to.deep.equal({ totalEvents: 0, byType: {}, byDay: {}, latencyMs: { p50: null, p95: null, p99: null } });
  });
});
