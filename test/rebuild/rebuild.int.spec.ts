import { expect } from 'chai';
import type { ModuleDefinition } from '../../src/runtime/module.js';
import { rebuildReadModels, type RebuildProgress } from '../../src/runtime/rebuild.js';
import { startTestApp, type TestApp } from '../support/testApp.js';
import { probeEffects, probeModule } from '../support/testModule.js';
import { dumpReadModels, rebuildableReadModels, wipeReadModels } from './readModels.js';
import { eventLog, runScenario } from './scenario.js';

describe('rebuildReadModels', () => {
  let t: TestApp;
  afterEach(async () => t && (await t.stop()));

  const latencySamples = () => t.app.storage.all('SELECT id, event_id, latency_ms FROM analytics_latency_samples ORDER BY id');
  const totalRows = (dump: Record<string, string[]>) => Object.values(dump).reduce((n, rows) => n + rows.length, 0);

  it('when every read model was lost, then a rebuild restores each table row for row', async () => {
    t = await startTestApp();
    await runScenario(t);
    const live = await dumpReadModels(t.app);
    expect(Object.keys(live)).to.include.members(['users_users', 'analytics_event_counts']);
    expect(live.users_users).to.have.length(2);

    await wipeReadModels(t.app);
    expect(totalRows(await dumpReadModels(t.app))).to.equal(0);
    const result = await rebuildReadModels(t.app);

    expect(await dumpReadModels(t.app)).to.deep.equal(live);
    const names = rebuildableReadModels(t.app).map((m) => m.owner);
    expect(result.readModels.map((m) => m.name)).to.deep.equal(names);
    expect(result.eventsInLog).to.equal((await eventLog(t)).length);
  });

  it('when a read model holds rows the log does not explain, then the rebuild drops them', async () => {
    t = await startTestApp();
    await runScenario(t);
    const live = await dumpReadModels(t.app);
    await t.app.storage.run("UPDATE users_users SET name = 'tampered'");
    await t.app.storage.run("INSERT INTO analytics_event_counts (type, day, count) VALUES ('bill.paid', '1999-12-31', 41)");
    await rebuildReadModels(t.app);
    expect(await dumpReadModels(t.app)).to.deep.equal(live);
  });

  it('leaves each rebuilt read model caught up, so live delivery neither repeats nor skips an event', async () => {
    t = await startTestApp();
    await runScenario(t);
    await rebuildReadModels(t.app);
    const head = await t.app.store.headPosition();
    for (const { owner } of rebuildableReadModels(t.app)) expect(await t.app.ledger.checkpoint(owner), owner).to.equal(head);

    const res = await t.http.post('/users').send({ email: 'late@example.com', name: 'Late' });
    expect(res.status).to.equal(201);
    await t.settle();
    const summary = (await t.http.get('/analytics/summary')).body;
    expect(summary.totalEvents).to.equal((await eventLog(t)).length);
    expect((await t.http.get(`/users/${res.body.id}`)).status).to.equal(200);
  });

  it('never replays a reaction without tables, and keeps the live latency samples as they were', async () => {
    let calls = 0;
    t = await startTestApp({}, { extraModules: [probeModule(['*'], () => void calls++)] });
    await runScenario(t);
    const events = (await eventLog(t)).length;
    expect(calls).to.equal(events);
    const effects = await probeEffects(t.app.storage);
    const samples = await latencySamples();
    const head = await t.app.store.headPosition();
    expect(samples).to.have.length(events);

    const result = await rebuildReadModels(t.app);
    expect(calls).to.equal(events);
    expect(await probeEffects(t.app.storage)).to.deep.equal(effects);
    expect(await latencySamples()).to.deep.equal(samples);
    expect(result.skippedReactions).to.include.members(['probe.reaction', 'analytics.latency']);
    expect(result.readModels.map((m) => m.name)).not.to.include('probe.reaction');
    expect(await t.app.store.headPosition(), 'a rebuild appends nothing').to.equal(head);
    expect(await eventLog(t), 'a rebuild appends nothing').to.have.length(events);
  });

  it('reports progress up to the total, and a second rebuild changes nothing', async () => {
    t = await startTestApp();
    await runScenario(t);
    const seen: RebuildProgress[] = [];
    await rebuildReadModels(t.app, { onProgress: (p) => seen.push(p) });
    const last = seen[seen.length - 1]!;
    expect(last.done).to.equal(last.total);
    expect(last.total).to.equal((await t.app.store.headPosition()) * rebuildableReadModels(t.app).length);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.done).to.be.at.least(seen[i - 1]!.done);

    const once = await dumpReadModels(t.app);
    await rebuildReadModels(t.app);
    expect(await dumpReadModels(t.app)).to.deep.equal(once);
  });
});

describe('rebuildReadModels when a read model cannot be rebuilt', () => {
  let t: TestApp;
  afterEach(async () => t && (await t.stop()));

  /** A projection of user.created into probe_rows that fails on replay once `failing` is set. */
  function probeProjection(state: { failing: boolean }, tables = ['probe_rows']): ModuleDefinition {
    return {
      name: 'documents',
      migrations: [{ id: 'rebuild-probe-001', sql: 'CREATE TABLE probe_rows (event_id TEXT PRIMARY KEY)' }],
      create: () => ({
        projections: [
          {
            name: 'probe.projection',
            types: ['user.created'],
            tables,
            async apply(event, tx) {
              if (state.failing) throw new Error('cannot apply');
              await tx.run('INSERT INTO probe_rows (event_id) VALUES (?)', [event.id]);
            },
          },
        ],
      }),
    };
  }
  const probeRows = async () => (await t.app.storage.all<{ event_id: string }>('SELECT event_id FROM probe_rows ORDER BY event_id')).map((r) => r.event_id);

  it('when a projection fails on replay, then its tables and record stay as they were', async () => {
    const state = { failing: false };
    t = await startTestApp({}, { extraModules: [probeProjection(state)] });
    await runScenario(t);
    const rows = await probeRows();
    expect(rows).to.have.length(2);
    const checkpoint = await t.app.ledger.checkpoint('probe.projection');

    state.failing = true;
    let failure: unknown;
    await rebuildReadModels(t.app).catch((error) => (failure = error));
    expect(String(failure)).to.match(/probe\.projection failed on user\.created/);
    expect(await probeRows()).to.deep.equal(rows);
    expect(await t.app.ledger.checkpoint('probe.projection')).to.equal(checkpoint);
  });

  it('when a read model names a table that does not exist, then nothing is touched', async () => {
    t = await startTestApp({}, { extraModules: [probeProjection({ failing: false }, ['probe_rows', 'probe_missing'])] });
    await runScenario(t);
    // A row the log does not explain: any rebuild of users.users would put the logged name back.
    await t.app.storage.run("UPDATE users_users SET name = 'tampered'");
    const users = await t.app.storage.all('SELECT * FROM users_users ORDER BY id');
    expect(users).to.have.length(2);
    let failure: unknown;
    await rebuildReadModels(t.app).catch((error) => (failure = error));
    // SQLite: "no such table: probe_missing"; PostgreSQL: 'relation "probe_missing" does not exist'.
    expect(String(failure)).to.match(/no such table: probe_missing|"probe_missing" does not exist/);
    expect(await probeRows()).to.have.length(2);
    // users.users comes first in the plan: it would have been rebuilt already had the check come late.
    expect(await t.app.storage.all('SELECT * FROM users_users ORDER BY id')).to.deep.equal(users);
  });
});
