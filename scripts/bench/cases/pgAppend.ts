// pg.append.single and pg.append.batch: EventStore on PostgreSQL (PostgresStorage) against pg alone, same table and indexes.
import { PostgresStorage } from '../../../src/storage/postgres/PostgresStorage.js';
import { runMigrations } from '../../../src/storage/migrate.js';
import { EventStore } from '../../../src/store/EventStore.js';
import { storeMigrations } from '../../../src/store/tables.js';
import { openRawPgEventTable } from '../baselines/rawPgEventTable.js';
import { ratioResult } from '../harness.js';
import { benchSchemas, postgresCase, urlWithSchema } from '../postgres.js';
import { appendRates } from './core.js';

function pgAppendCase(name: string, batch: number) {
  return postgresCase(name, 'events/s', 'ratio >= 0.8', async ({ quick }) => {
    // Every commit waits for the server's WAL flush (synchronous_commit as the server has it), on both sides.
    const perRound = batch === 1 ? (quick ? 500 : 2_000) : quick ? 2_000 : 10_000;
    const schemas = await benchSchemas(name.replaceAll('.', '_'), ['ours', 'raw']);
    const [oursSchema, rawSchema] = schemas.names as [string, string];
    let storage: PostgresStorage | undefined;
    let raw: Awaited<ReturnType<typeof openRawPgEventTable>> | undefined;
    try {
      storage = await PostgresStorage.open({ url: urlWithSchema(oursSchema) });
      await runMigrations(storage, [{ owner: 'store', migrations: storeMigrations }]);
      raw = await openRawPgEventTable(urlWithSchema(rawSchema));
      const store = new EventStore(storage);
      const ours = storage;
      const r = await appendRates(quick, batch, perRound, (events) => ours.transaction((tx) => store.append(tx, events)), raw.insertMany);
      const how = batch === 1 ? 'BEGIN, one single-row INSERT, COMMIT' : `BEGIN, one ${batch}-row INSERT, COMMIT`;
      return ratioResult(name, 'events/s', r.ours, r.baseline, 0.8, `${batch} per transaction, awaited one after another; ours: PostgresStorage.transaction + EventStore.append; raw pg: ${how} (named statement, pooled connection); a fresh schema each`);
    } finally {
      await storage?.close();
      await raw?.close();
      await schemas.drop();
    }
  });
}

export const pgAppendSingle = pgAppendCase('pg.append.single', 1);
export const pgAppendBatch = pgAppendCase('pg.append.batch', 100);
