// HTTP routes of the users module: check the caller, parse, call one command or query, map.
import type { Router } from 'express';
import { NotFoundError, parseIdParam, parseWith, requestContext, requireScope, type Sql, visibleTo } from '../../src/moduleKit.js';
import type { UserCommands } from './commands.js';
import { toUser } from './decide.js';
import { createUserBody, updateUserBody } from './schema.js';
import { usersRepository as users } from './usersRepository.js';

export function usersRoutes(router: Router, db: Sql, commands: UserCommands): void {
  // A token bound to one user cannot make others: 403.
  router.post('/users', requireScope('users:write', { allUsers: true }), async (req, res) => {
    const body = parseWith(createUserBody, req.body);
    const user = await commands.createUser(body, requestContext(res));
    res.status(201).location(`/users/${user.id}`).json(user);
  });

  router.get('/users/:id', requireScope('users:read'), async (req, res) => {
    const id = parseIdParam(req.params.id, 'user');
    const user = visibleTo(res, await users.get(db, id), (u) => u.id);
    if (!user) throw new NotFoundError(`no user with id ${id}`);
    res.json(toUser(user));
  });

  router.patch('/users/:id', requireScope('users:write'), async (req, res) => {
    const id = parseIdParam(req.params.id, 'user');
    if (!visibleTo(res, id, (userId) => userId)) throw new NotFoundError(`no user with id ${id}`);
    const body = parseWith(updateUserBody, req.body);
    res.json(await commands.updateUser(id, body, requestContext(res)));
  });
}
