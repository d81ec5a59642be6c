// HTTP routes of the users module: parse, call one command or query, map.
import type { Router } from 'express';
import { NotFoundError } from '../../src/errors.js';
import { requestContext } from '../../src/http/correlation.js';
import { parseIdParam, parseWith } from '../../src/http/validate.js';
import type { createUserCommands } from './commands.js';
import { createUserBody, updateUserBody } from './schema.js';
import { toUser, type UsersRepository } from './UsersRepository.js';

export function usersRoutes(router: Router, repo: UsersRepository, commands: ReturnType<typeof createUserCommands>): void {
  router.post('/users', (req, res) => {
    const body = parseWith(createUserBody, req.body);
    const user = commands.createUser(body, requestContext(res));
    res.status(201).location(`/users/${user.id}`).json(user);
  });

  router.get('/users/:id', (req, res) => {
    const id = parseIdParam(req.params.id, 'user');
    const user = repo.get(id);
    if (!user) throw new NotFoundError(`no user with id ${id}`);
    res.json(toUser(user));
  });

  router.patch('/users/:id', (req, res) => {
    const id = parseIdParam(req.params.id, 'user');
    const body = parseWith(updateUserBody, req.body);
    res.json(commands.updateUser(id, body, requestContext(res)));
  });
}
