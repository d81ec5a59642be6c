// Generic views of every rebuildable read model of an app: its tables, dumped in a comparable order.
import type { PaybusApp } from '../../src/createApp.js';

export interface ReadModelTables {
  owner: string;
  tables: string[];
}

/** Projections and the reactions that declare their tables: what a rebuild must restore. */
export function rebuildableReadModels(app: PaybusApp): ReadModelTables[] {
  return [
    ...app.host.projections.map((p) => ({ owner: p.name, tables: p.tables })),
    ...app.host.reactions.filter((r) => r.tables !== undefined).map((r) => ({ owner: r.name, tables: r.tables! })),
  ];
}

/** Every row of every rebuildable table, rows sorted so that insertion order does not matter. */
export async function dumpReadModels(app: PaybusApp): Promise<Record<string, string[]>> {
  const dump: Record<string, string[]> = {};
  for (const { tables } of rebuildableReadModels(app)) {
    for (const table of tables) {
      const rows = await app.storage.all(`SELECT * FROM "${table}"`);
      dump[table] = rows.map((row) => JSON.stringify(row)).sort();
    }
  }
  return dump;
}

/** Empties every rebuildable table behind the host's back, as a lost or damaged read model would be. */
export async function wipeReadModels(app: PaybusApp): Promise<void> {
  await app.storage.transaction(async (tx) => {
    for (const { tables } of rebuildableReadModels(app)) for (const table of tables) await tx.run(`DELETE FROM "${table}"`);
  });
}
