// NODE_ENV=production refuses the settings that are only safe on a laptop, naming the problem (loadConfig alone;
// production.e2e.spec.ts starts main).
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/config.js';

const STRONG = 'a3f9c2e71b5d48f0a3f9c2e71b5d48f0';
const prod = (env: Record<string, string>) => () => loadConfig({ NODE_ENV: 'production', ADMIN_TOKEN: STRONG, ...env });

describe('security: production start checks', () => {
  it('when ADMIN_TOKEN is unset, then production refuses naming ADMIN_TOKEN', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).to.throw(ConfigError, /ADMIN_TOKEN.*set/);
    expect(() => loadConfig({ NODE_ENV: 'production', ADMIN_TOKEN: '' })).to.throw(ConfigError, /ADMIN_TOKEN/);
  });

  it('when ADMIN_TOKEN is short, then production refuses without echoing it', () => {
    const short = prod({ ADMIN_TOKEN: 'hunter2' });
    expect(short).to.throw(ConfigError, /ADMIN_TOKEN.*32 characters/);
    expect(short).to.not.throw(/hunter2/);
  });

  it('when broker mode has no credentials or guest/guest, then production refuses', () => {
    expect(prod({ EVENT_TRANSPORT: 'rabbitmq' })).to.throw(ConfigError, /RABBITMQ_URL.*credentials/);
    expect(prod({ EVENT_TRANSPORT: 'rabbitmq', RABBITMQ_URL: 'amqp://guest:guest@mq.internal' })).to.throw(ConfigError, /guest/);
    expect(prod({ EVENT_TRANSPORT: 'rabbitmq', RABBITMQ_URL: 'amqp://svc:s3cret@mq.internal', RABBITMQ_USER: 'guest', RABBITMQ_PASS: 'guest' })).to.throw(ConfigError, /guest/);
    expect(prod({ EVENT_TRANSPORT: 'rabbitmq', RABBITMQ_URL: 'amqp://svc@mq.internal' })).to.throw(ConfigError, /credentials/);
  });

  it('when the settings are safe, then production starts; memory mode needs no broker credentials', () => {
    expect(prod({})().nodeEnv).to.equal('production');
    expect(prod({ EVENT_TRANSPORT: 'rabbitmq', RABBITMQ_URL: 'amqp://svc:s3cret@mq.internal' })().eventTransport).to.equal('rabbitmq');
    expect(prod({ EVENT_TRANSPORT: 'rabbitmq', RABBITMQ_USER: 'svc', RABBITMQ_PASS: 's3cret' })().rabbitmq.user).to.equal('svc');
  });

  it('when not in production, then the laptop defaults still start', () => {
    expect(loadConfig({ EVENT_TRANSPORT: 'rabbitmq' }).adminToken).to.equal(undefined);
    expect(loadConfig({ NODE_ENV: 'test', RABBITMQ_URL: 'amqp://guest:guest@localhost' }).nodeEnv).to.equal('test');
  });
});
