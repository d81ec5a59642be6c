// How a token's claims name its scopes: `scope` space-separated, `scp` as an array or a string, both together.
import { expect } from 'chai';
import { isScope, scopesOf } from '../../src/auth/scopes.js';

describe('auth: scopes from claims', () => {
  it('reads scope (space-separated), scp (array or string) and both, ignoring what is not a name', () => {
    expect([...scopesOf({ scope: 'users:read  bills:write' })]).to.deep.equal(['users:read', 'bills:write']);
    expect([...scopesOf({ scp: ['events:read', 7, '', null] })]).to.deep.equal(['events:read']);
    expect([...scopesOf({ scp: 'analytics:read admin' })]).to.deep.equal(['analytics:read', 'admin']);
    expect([...scopesOf({ scope: 'users:read', scp: ['users:read', 'payments:read'] })]).to.deep.equal(['users:read', 'payments:read']);
    expect([...scopesOf({ scope: 42, scp: { admin: true } })]).to.deep.equal([]);
  });

  it('knows the scopes of the contract and admin, nothing else', () => {
    expect(isScope('documents:write')).to.equal(true);
    expect(isScope('admin')).to.equal(true);
    expect(isScope('users:delete')).to.equal(false);
    expect(isScope('Users:Read')).to.equal(false);
  });
});
