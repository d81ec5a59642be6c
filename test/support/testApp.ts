// Builds a fresh paybus for one test: its own database (a SQLite file in a temp folder, or a PostgreSQL schema with
// TEST_STORAGE=postgres), quick retries, silent logs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import supertest from 'supertest';
import { type Config, loadConfig } from '../../src/config.js';
import { type AppOptions, createApp, type PaybusApp } from '../../src/createApp.js';
import { databaseEnv, dropSchema, onPostgres, schemaFor } from './testStorage.js';

export function tempDir(prefix = 'paybus-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Config as main would read it from `env`, rooted in a fresh temp folder. */
export function testConfig(env: Record<string, string> = {}, dir = tempDir()): Config {
  return loadConfig({
    ...databaseEnv(dir, path.join(dir, 'paybus.db')),
    UPLOAD_DIR: path.join(dir, 'uploads'),
    MAIL_DIR: path.join(dir, 'mail'),
    SMS_LOG_PATH: path.join(dir, 'sms.log'),
    RETRY_ATTEMPTS: '3',
    RETRY_MIN_MS: '1',
    RETRY_MAX_MS: '5',
    PAYMENT_GATEWAY_LATENCY_MS: '1',
    // A job a killed process held is taken over once its lease expires: soon, in tests.
    LEASE_TTL_MS: '1500',
    LOG_LEVEL: 'silent',
    PORT: '0',
    ...env,
  });
}

export interface TestApp {
  app: PaybusApp;
  http: supertest.Agent;
  dir: string;
  /** Waits until every subscriber has handled everything committed so far. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestApp(env: Record<string, string> = {}, options: AppOptions = {}): Promise<TestApp> {
  const dir = tempDir();
  return startAppIn(dir, testConfig(env, dir), options);
}

/** Starts an app on a config rooted in `dir`; stop() also removes `dir`. */
export async function startAppIn(dir: string, config: Config, options: AppOptions = {}): Promise<TestApp> {
  const app = await createApp(config, options);
  await app.start();
  return {
    app,
    dir,
    http: supertest.agent(app.http),
    settle: () => app.host.idle(),
    stop: async () => {
      await app.stop();
      fs.rmSync(dir, { recursive: true, force: true });
      if (onPostgres && config.databaseUrl) await dropSchema(schemaFor(dir));
    },
  };
}
