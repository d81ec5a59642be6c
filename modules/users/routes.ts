// HTTP routes of the users module: parse, call one command or query, map.
import type { Router } from 'express';
import { NotFoundError, parseIdParam, parseWith, requestContext, type Sql } from '../../src/moduleKit.js';
import type { UserCommands } from './commands.js';
import { toUser } from './decide.js';
import { createUserBody, updateUserBody } from './schema.js';
import { usersRepository as users } from './usersRepository.js';

export function usersRoutes(router: Router, db: Sql, commands: UserCommands): void {
  router.post('/users', async (req, res) => {
    const body = parseWith(createUserBody, req.body);
    const user = await commands.createUser(body, requestContext(res));
    res.status(201).location(`/users/${user.id}`).json(user);
  });

  router.get('/users/:id', async (req, res) => {
    const id = parseIdParam(req.params.id, 'user');
    const user = await users.get(db, id);
    if (!user) throw new NotFoundError(`no user with id ${id}`);
    res.json(toUser(user));
  });

  router.patch('/users/:id', async (req, res) => {
    const id = parseIdParam(req.params.id, 'user');
    const body = parseWith(updateUserBody, req.body);
    res.json(await commands.updateUser(id, body, requestContext(res)));
  });
}
