// loadConfig's defaults and refusals, and the catalog's schema check: pure functions, no process, no database.
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../src/config.js';
import { createUserCreatedEvent, EventSchemaError } from '../src/events/catalog.js';

describe('config', () => {
  it('has the defaults of CONTRACT.md', () => {
    const c = loadConfig({});
    expect(c).to.include({ port: 3000, databasePath: './var/paybus.db', eventTransport: 'memory', mailFrom: 'paybus <no-reply@paybus.local>' });
    expect(c.modules).to.deep.equal(['users', 'billing', 'payments', 'documents', 'notifications', 'analytics']);
    expect(c.rabbitmq).to.include({ url: 'amqp://localhost', exchange: 'paybus.events', queueType: 'classic', prefetch: 50 });
    expect(c.retry).to.deep.equal({ attempts: 5, minMs: 100, maxMs: 30000 });
    expect(c.maxUploadBytes).to.equal(10485760);
  });

  it('refuses a value that cannot work, naming the variable and not echoing secrets', () => {
    expect(() => loadConfig({ EVENT_TRANSPORT: 'carrier-pigeon' })).to.throw(ConfigError, /EVENT_TRANSPORT/);
    expect(() => loadConfig({ PORT: 'eighty' })).to.throw(ConfigError, /PORT/);
    expect(() => loadConfig({ MODULES: 'users,telepathy' })).to.throw(ConfigError, /MODULES.*telepathy/);
    expect(() => loadConfig({ RETRY_ATTEMPTS: '0' })).to.throw(ConfigError, /RETRY_ATTEMPTS/);
    const bad = () => loadConfig({ RABBITMQ_URL: 'http://guest:s3cret@host' });
    expect(bad).to.throw(ConfigError, /RABBITMQ_URL/);
    expect(bad).to.not.throw(/s3cret/);
  });
});

describe('event catalog', () => {
  it('reads SUBSCRIBER_CONCURRENCY as a default and overrides by name, and refuses one it cannot read', () => {
    expect(loadConfig({}).concurrency).to.deep.equal({ default: 16, bySubscriber: {} });
    expect(loadConfig({ SUBSCRIBER_CONCURRENCY: '8, notifications.send=32,paybus.billing=2' }).concurrency).to.deep.equal({
      default: 8,
      bySubscriber: { 'notifications.send': 32, 'paybus.billing': 2 },
    });
    for (const bad of ['0', 'many', '8,notifications.send', '8,x=0', '8,x=y']) {
      expect(() => loadConfig({ SUBSCRIBER_CONCURRENCY: bad }), bad).to.throw(ConfigError, /^invalid SUBSCRIBER_CONCURRENCY: /);
    }
  });

  it('refuses at creation an event that does not fit its schema, naming the field', () => {
    expect(() => createUserCreatedEvent('u1', 'not-an-email', 'A', null)).to.throw(EventSchemaError, /payload\.email/);
  });
});
