// Child process for the store race test: waits for a common start time, then appends one event at expectedVersion 0.
import { openDatabase } from '../../src/db/openDatabase.js';
import { runMigrations } from '../../src/db/migrate.js';
import { ConcurrencyError } from '../../src/errors.js';
import { createUserCreatedEvent } from '../../src/events/catalog.js';
import { EventStore } from '../../src/store/EventStore.js';
import { storeMigrations } from '../../src/store/tables.js';

const [file, aggregateId, startAtText, who] = process.argv.slice(2);
const db = openDatabase(file!);
runMigrations(db, 'store', storeMigrations);
const store = new EventStore(db);
const event = createUserCreatedEvent(aggregateId!, `${who}@race.test`, String(who), null, { version: 1 });
while (Date.now() < Number(startAtText)) {
  // spin until the common start so the appends really overlap
}
try {
  store.append([event], { expectedVersion: 0 });
  process.stdout.write('won\n');
} catch (error) {
  process.stdout.write(error instanceof ConcurrencyError ? 'conflict\n' : `error ${(error as Error).message}\n`);
}
db.close();
