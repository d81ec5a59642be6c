import { expect } from 'chai';
import { ConflictError, MissingStateError, NotFoundError } from '../../src/errors.js';
import { decideCreateUser, decideUpdateUser, evolveUser } from '../../modules/users/index.js';
import type { UserState } from '../../modules/users/index.js';

const ctx = { correlationId: 'c-1', causationId: null, actor: 'svc-1' };
const ada: UserState = { id: 'u-1', email: 'ada@x.test', name: 'Ada', phone: null, version: 1, createdAt: 't0', updatedAt: 't0' };

describe('users decide (given state, when command, then events or error)', () => {
  it('given a free email, when creating, then user.created at version 1', () => {
    const [event] = decideCreateUser({ userId: 'u-2', email: 'b@x.test', name: 'B', phone: null }, undefined, ctx);
    expect(event).to.include({ type: 'user.created', aggregateId: 'u-2', version: 1 });
    expect(event!.metadata).to.deep.equal({ correlationId: 'c-1', causationId: null, actor: 'svc-1' });
  });

  it('given the email belongs to someone, when creating, then Conflict', () => {
    expect(() => decideCreateUser({ userId: 'u-2', email: 'ada@x.test', name: 'B', phone: null }, ada, ctx)).to.throw(ConflictError);
  });

  it('given a user, when updating with some equal fields, then only the changed ones, at the next version', () => {
    const [event] = decideUpdateUser(ada, { name: 'Ada', phone: '+15551234567' }, undefined, ctx);
    expect(event!.payload).to.deep.equal({ userId: 'u-1', changes: { phone: '+15551234567' } });
    expect(event!.version).to.equal(2);
  });

  it('given a user, when nothing changes, then no event', () => {
    expect(decideUpdateUser(ada, { name: 'Ada', email: 'ada@x.test' }, ada, ctx)).to.deep.equal([]);
  });

  it('given no user, when updating, then NotFound; given the email is another\'s, then Conflict', () => {
    expect(() => decideUpdateUser(undefined, { name: 'X' }, undefined, ctx)).to.throw(NotFoundError);
    expect(() => decideUpdateUser(ada, { email: 'b@x.test' }, { ...ada, id: 'u-9', email: 'b@x.test' }, ctx)).to.throw(ConflictError);
  });

  it('evolve folds created and updated into the state', () => {
    const [created] = decideCreateUser({ userId: 'u-3', email: 'c@x.test', name: 'C', phone: null }, undefined, ctx);
    const s1 = evolveUser(undefined, created!)!;
    const [updated] = decideUpdateUser(s1, { name: 'C2' }, undefined, ctx);
    expect(evolveUser(s1, updated!)).to.include({ id: 'u-3', name: 'C2', email: 'c@x.test', version: 2 });
    expect(() => evolveUser(undefined, updated!), 'a user.updated before its user.created').to.throw(MissingStateError, 'user u-3');
  });
});
