// Users rules as pure functions: given the current state and a command, the events to append or an error.
import {
  ConflictError,
  createUserCreatedEvent,
  createUserUpdatedEvent,
  type DomainEvent,
  type EventContext,
  MissingStateError,
  NotFoundError,
  type PayloadOf,
} from '../../src/moduleKit.js';

/** A new user carries exactly what its user.created event will. */
export type CreateUser = PayloadOf<'user.created'>;

/** The user resource of CONTRACT.md. */
export type User = Omit<CreateUser, 'userId'> & { id: string; createdAt: string; updatedAt: string };

/** A user as its stream knows it: the resource plus the version of its last event. */
export interface UserState extends User {
  version: number;
}

export function toUser({ version: _version, ...user }: UserState): User {
  return user;
}

export type UserChanges = PayloadOf<'user.updated'>['changes'];

/** `emailOwner` is the user who holds the email now, if anyone does. */
export function decideCreateUser(cmd: CreateUser, emailOwner: UserState | undefined, ctx: EventContext): DomainEvent<'user.created'>[] {
  if (emailOwner) throw new ConflictError(`email ${cmd.email} is already taken`);
  return [createUserCreatedEvent(cmd.userId, cmd.email, cmd.name, cmd.phone, { ...ctx, version: 1 })];
}

/** Only fields whose value differs become changes; no change, no event. */
export function decideUpdateUser(
  state: UserState | undefined,
  requested: UserChanges,
  emailOwner: UserState | undefined,
  ctx: EventContext,
): DomainEvent<'user.updated'>[] {
  if (!state) throw new NotFoundError('no such user');
  const changes: UserChanges = {};
  if (requested.email !== undefined && requested.email !== state.email) changes.email = requested.email;
  if (requested.name !== undefined && requested.name !== state.name) changes.name = requested.name;
  if (requested.phone !== undefined && requested.phone !== state.phone) changes.phone = requested.phone;
  if (Object.keys(changes).length === 0) return [];
  if (changes.email !== undefined && emailOwner && emailOwner.id !== state.id) {
    throw new ConflictError(`email ${changes.email} is already taken`);
  }
  return [createUserUpdatedEvent(state.id, changes, { ...ctx, version: state.version + 1 })];
}

/** Folds a user's events into state: used by the projection and by replays; a user.updated before user.created throws. */
export function evolveUser(state: UserState | undefined, event: DomainEvent): UserState | undefined {
  if (event.type === 'user.created') {
    const p = event.payload as PayloadOf<'user.created'>;
    return { id: p.userId, email: p.email, name: p.name, phone: p.phone, version: event.version, createdAt: event.occurredAt, updatedAt: event.occurredAt };
  }
  if (event.type === 'user.updated') {
    const p = event.payload as PayloadOf<'user.updated'>;
    if (!state) throw new MissingStateError(event, `user ${p.userId}`);
    return { ...state, ...p.changes, version: event.version, updatedAt: event.occurredAt };
  }
  return state;
}
