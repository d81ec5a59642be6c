// The AUTH_* variables: read with their defaults, refused when set by halves, and held to https in production.
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/config.js';

const JWKS = { AUTH_JWKS_URL: 'https://id.example.com/jwks', AUTH_ISSUER: 'https://id.example.com', AUTH_AUDIENCE: 'paybus-api' };
const PROD = { NODE_ENV: 'production', ADMIN_TOKEN: 'a3f9c2e71b5d48f0a3f9c2e71b5d48f0' };

describe('auth: configuration', () => {
  it('when nothing is set, then no identity provider and the default user claim', () => {
    expect(loadConfig({}).auth).to.deep.equal({ jwksUrl: undefined, issuer: undefined, audience: undefined, userClaim: 'paybus_user_id' });
  });

  it('when the identity provider is set whole, then it is read as given', () => {
    expect(loadConfig({ ...JWKS, AUTH_USER_CLAIM: 'https://paybus/user' }).auth).to.deep.equal({
      jwksUrl: JWKS.AUTH_JWKS_URL,
      issuer: JWKS.AUTH_ISSUER,
      audience: JWKS.AUTH_AUDIENCE,
      userClaim: 'https://paybus/user',
    });
  });

  it('when AUTH_JWKS_URL is set without its issuer or audience, then the start stops naming the missing one', () => {
    expect(() => loadConfig({ ...JWKS, AUTH_ISSUER: '' })).to.throw(ConfigError, /^invalid AUTH_ISSUER: must be set when AUTH_JWKS_URL is/);
    expect(() => loadConfig({ ...JWKS, AUTH_AUDIENCE: '' })).to.throw(ConfigError, /^invalid AUTH_AUDIENCE: must be set when AUTH_JWKS_URL is/);
  });

  it('when an issuer or audience comes without keys, or the URL is not http(s), then the start stops naming AUTH_JWKS_URL', () => {
    expect(() => loadConfig({ AUTH_ISSUER: 'https://id.example.com' })).to.throw(ConfigError, /^invalid AUTH_JWKS_URL: must be set when AUTH_ISSUER is/);
    expect(() => loadConfig({ AUTH_AUDIENCE: 'paybus-api' })).to.throw(ConfigError, /^invalid AUTH_JWKS_URL: must be set when AUTH_AUDIENCE is/);
    expect(() => loadConfig({ ...JWKS, AUTH_JWKS_URL: 'ftp://id.example.com/jwks' })).to.throw(ConfigError, /^invalid AUTH_JWKS_URL: must be an http/);
    expect(() => loadConfig({ AUTH_USER_CLAIM: 'two words' })).to.throw(ConfigError, /^invalid AUTH_USER_CLAIM/);
  });

  it('when production fetches keys over plain http from another machine, then it refuses; loopback and https pass', () => {
    expect(() => loadConfig({ ...PROD, ...JWKS, AUTH_JWKS_URL: 'http://id.example.com/jwks' })).to.throw(ConfigError, /^unsafe AUTH_JWKS_URL: .*https/);
    expect(loadConfig({ ...PROD, ...JWKS }).auth.jwksUrl).to.equal(JWKS.AUTH_JWKS_URL);
    expect(loadConfig({ ...PROD, ...JWKS, AUTH_JWKS_URL: 'http://127.0.0.1:8080/jwks' }).auth.jwksUrl).to.equal('http://127.0.0.1:8080/jwks');
  });
});
