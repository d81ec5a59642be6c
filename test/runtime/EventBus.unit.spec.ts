import { expect } from 'chai';
import { EventBus } from '../../src/bus/EventBus.js';
import { createBillCreatedEvent, createUserCreatedEvent } from '../../src/events/catalog.js';

describe('EventBus', () => {
  const user = createUserCreatedEvent('u1', 'a@x.test', 'A', null);
  const bill = createBillCreatedEvent('b1', 'u1', 100, 'EUR', '2030-01-01', null);

  it('delivers to exact, prefix and * subscribers', () => {
    const bus = new EventBus();
    const seen: string[] = [];
    bus.subscribe('user.created', (e) => void seen.push(`exact:${e.type}`));
    bus.subscribe('user.*', (e) => void seen.push(`prefix:${e.type}`));
    bus.subscribe('*', (e) => void seen.push(`all:${e.type}`));
    bus.publish(user);
    bus.publish(bill);
    expect(seen).to.deep.equal(['exact:user.created', 'prefix:user.created', 'all:user.created', 'all:bill.created']);
  });

  it('stops delivering after unsubscribe', () => {
    const bus = new EventBus();
    let count = 0;
    const off = bus.subscribe('user.*', () => void count++);
    bus.publish(user);
    off();
    bus.publish(user);
    expect(count).to.equal(1);
    expect(bus.listenerCount()).to.equal(0);
  });

  it('keeps a throwing or rejecting subscriber away from the publisher and the others', async () => {
    const errors: unknown[] = [];
    const bus = new EventBus((error) => errors.push(error));
    const seen: string[] = [];
    bus.subscribe('user.created', () => {
      throw new Error('sync boom');
    });
    bus.subscribe('user.created', async () => {
      throw new Error('async boom');
    });
    bus.subscribe('*', (e) => void seen.push(e.type));
    expect(() => bus.publish(user)).not.to.throw();
    await new Promise((r) => setImmediate(r));
    expect(seen).to.deep.equal(['user.created']);
    expect(errors.map((e) => (e as Error).message).sort()).to.deep.equal(['async boom', 'sync boom']);
  });

  it('refuses a pattern it cannot match', () => {
    const bus = new EventBus();
    expect(() => bus.subscribe('user.*.x*', () => {})).to.throw(/invalid subscription pattern/);
  });
});
