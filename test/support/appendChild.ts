// Child process for the store race test: waits for a common start time, then appends one event at expectedVersion 0
// to the database of the test rooted in `dir` (its SQLite file, or its PostgreSQL schema with TEST_STORAGE=postgres).
import { ConcurrencyError } from '../../src/errors.js';
import { createUserCreatedEvent } from '../../src/events/catalog.js';
import { runMigrations } from '../../src/storage/migrate.js';
import { openStorage } from '../../src/storage/openStorage.js';
import { EventStore } from '../../src/store/EventStore.js';
import { storeMigrations } from '../../src/store/tables.js';
import { testConfig } from './testApp.js';

const [dir, aggregateId, startAtText, who] = process.argv.slice(2);
const storage = await openStorage(testConfig({}, dir!), () => {});
await runMigrations(storage, [{ owner: 'store', migrations: storeMigrations }]);
const store = new EventStore(storage);
const event = createUserCreatedEvent(aggregateId!, `${who}@race.test`, String(who), null, { version: 1 });
while (Date.now() < Number(startAtText)) {
  // spin until the common start so the appends really overlap
}
try {
  await storage.transaction((tx) => store.append(tx, [event], { expectedVersion: 0 }));
  process.stdout.write('won\n');
} catch (error) {
  process.stdout.write(error instanceof ConcurrencyError ? 'conflict\n' : `error ${(error as Error).message}\n`);
}
await storage.close();
