// The live dashboard: polls /dashboard/data every 2 s, keeps a short history for the charts, and (with the
// admin token kept in sessionStorage) lists dead letters with a retry button. With auth on, the data itself needs
// that token.
import { barChart, lineChart, PALETTE } from './charts.js';

const POLL_MS = 2000;
const SPAN_MS = 3 * 60 * 1000;
const TOKEN_KEY = 'paybus.adminToken';
const history = [];
const colors = new Map();
let previous;
let adminEnabled = false;

const $ = (id) => document.getElementById(id);
const colorOf = (name) => {
  if (!colors.has(name)) colors.set(name, PALETTE[colors.size % PALETTE.length]);
  return colors.get(name);
};
const token = () => sessionStorage.getItem(TOKEN_KEY);

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((c) => c !== undefined && c !== null));
  return node;
}

function ago(iso, now) {
  if (!iso) return 'never';
  const s = Math.max(0, (now - Date.parse(iso)) / 1000);
  return s < 60 ? `${Math.round(s)} s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
}

function tile(id, state, value, detail) {
  const node = $(id);
  node.className = `tile ${state}`;
  node.querySelector('.value').textContent = value;
  node.querySelector('.detail').textContent = detail;
}

/** Turns cumulative counters into a per-second rate against the previous poll. */
function sample(data) {
  const t = Date.parse(data.now);
  const point = { t, rates: {}, p50: data.latency.all.p50, p99: data.latency.all.p99, outbox: data.outbox.pending };
  if (previous) {
    const dt = Math.max(0.001, (t - previous.t) / 1000);
    for (const [type, count] of Object.entries(data.published)) point.rates[type] = Math.max(0, (count - (previous.published[type] ?? 0)) / dt);
    history.push(point);
  }
  previous = { t, published: data.published };
  while (history.length > 0 && history[0].t < t - SPAN_MS) history.shift();
}

function renderTiles(data, now) {
  const b = data.broker;
  if (b.connected === null) tile('tile-broker', 'ok', 'in-process', `${b.mode} mode: no broker needed; events go over the in-process bus`);
  else tile('tile-broker', b.connected ? 'ok' : 'bad', b.connected ? 'up' : 'DOWN', `${b.mode}: ${b.relayedTotal} relayed, ${b.failedDeliveries} failed deliveries`);
  const o = data.outbox;
  const stuck = o.oldestPendingAgeSeconds !== null && o.oldestPendingAgeSeconds > 30;
  tile('tile-outbox', stuck ? 'bad' : o.pending > 0 ? 'warn' : 'ok', `${o.pending} pending`,
    o.pending > 0 ? `oldest ${Math.round(o.oldestPendingAgeSeconds)} s${o.lastError ? `; last error: ${o.lastError}` : ''}` : 'everything delivered');
  const behind = data.subscribers.filter((s) => s.pending > 0);
  tile('tile-subscribers', behind.length > 0 ? 'warn' : 'ok', `${behind.length} of ${data.subscribers.length} behind`,
    behind.length > 0 ? behind.map((s) => `${s.subscriber}: ${s.pending}${s.pendingCapped ? '+' : ''} waiting`).join(', ') : 'all caught up with the log');
  const dead = data.deadLetters.total;
  tile('tile-dead', dead > 0 ? 'bad' : 'ok', String(dead),
    dead > 0 ? Object.entries(data.deadLetters.bySubscriber).map(([s, n]) => `${s}: ${n}`).join(', ') : 'nothing failed');
  $('updated').textContent = `updated ${new Date(now).toLocaleTimeString()}`;
}

function renderAlerts(data) {
  const items = data.alerts.map((a) => el('li', { className: a.level, textContent: a.message }));
  $('alert-list').replaceChildren(...(items.length > 0 ? items : [el('li', { className: 'ok', textContent: 'Nothing stuck, nothing failed.' })]));
}

function renderCharts(data, now) {
  // The x axis grows with the history (30 s to 3 min), so a fresh page does not squeeze its first points into a corner.
  const spanMs = Math.min(SPAN_MS, Math.max(30_000, now - (history[0]?.t ?? now)));
  const types = [...new Set(history.flatMap((p) => Object.keys(p.rates)))].sort();
  lineChart($('chart-events').querySelector('.chart'), {
    now, spanMs, emptyText: 'waiting for two samples…',
    series: types.map((type) => ({ name: type, color: colorOf(type), points: history.map((p) => [p.t, p.rates[type] ?? 0]) })),
  });
  const latency = (key) => history.filter((p) => p[key] !== null).map((p) => [p.t, p[key]]);
  lineChart($('chart-latency').querySelector('.chart'), {
    now, spanMs, emptyText: 'no event handled in the last minute',
    series: [{ name: 'p50', color: PALETTE[0], points: latency('p50') }, { name: 'p99', color: PALETTE[1], points: latency('p99') }].filter((s) => s.points.length > 0),
  });
  lineChart($('chart-outbox').querySelector('.chart'), {
    now, spanMs, series: [{ name: 'pending', color: PALETTE[3], points: history.map((p) => [p.t, p.outbox]) }],
  });
  barChart($('chart-queues').querySelector('.chart'), {
    emptyText: data.broker.connected === null ? 'memory mode: no broker queues (see each subscriber’s pending events below)' : 'no queue stats from the broker yet',
    rows: data.queues.map((q) => ({ label: q.queue, bars: [{ name: 'messages', value: q.messages, color: PALETTE[0] }, { name: 'consumers', value: q.consumers, color: PALETTE[2] }] })),
  });
  barChart($('chart-dead').querySelector('.chart'), {
    emptyText: 'no dead letters',
    rows: Object.entries(data.deadLetters.bySubscriber).filter(([, n]) => n > 0).map(([s, n]) => ({ label: s, bars: [{ name: 'failed', value: n, color: PALETTE[1] }] })),
  });
}

function renderTables(data, now) {
  $('subscriber-rows').replaceChildren(...data.subscribers.map((s) => {
    const l = data.latency.bySubscriber[s.subscriber];
    return el('tr', {},
      el('td', {}, el('code', { textContent: s.subscriber })), el('td', { textContent: s.kind }), el('td', { textContent: s.types.join(', ') }),
      el('td', { className: 'num', textContent: `${s.checkpoint} / ${s.head}` }), el('td', { className: 'num', textContent: `${s.pending}${s.pendingCapped ? '+' : ''}` }),
      el('td', { className: 'num', textContent: s.lagEvents === null ? '–' : String(s.lagEvents) }),
      el('td', { className: 'num', textContent: String(data.retries[s.subscriber] ?? 0) }),
      el('td', { className: 'num', textContent: l ? `${l.p50.toFixed(3)} / ${l.p99.toFixed(3)}` : '–' }),
      el('td', { className: 'num', textContent: String(s.deadLetters) }), el('td', { textContent: ago(s.checkpointAt, now) }));
  }));
  $('lease-rows').replaceChildren(...(data.leases ?? []).map((l) => el('tr', {},
    el('td', {}, el('code', { textContent: l.name })), el('td', { textContent: `${l.host} (pid ${l.pid})` }),
    el('td', { textContent: ago(l.since, now) }), el('td', { textContent: l.live ? 'held' : 'free (expired)' }))));
  $('recent-rows').replaceChildren(...data.recent.map((e) => el('tr', {},
    el('td', { className: 'num', textContent: String(e.position) }), el('td', { textContent: new Date(e.occurredAt).toLocaleTimeString() }),
    el('td', {}, el('code', { textContent: e.type })),
    el('td', {}, el('a', { href: `/events?aggregateId=${encodeURIComponent(e.aggregateId)}`, textContent: `${e.aggregateType} ${e.aggregateId}` })),
    el('td', {}, el('code', { textContent: e.metadata.correlationId })))));
}

async function admin(path, method = 'GET') {
  return fetch(path, { method, headers: { authorization: `Bearer ${token()}` } });
}

async function renderDeadLetters(now) {
  const hint = $('dead-hint');
  const rows = $('dead-letter-rows');
  $('retry-all').hidden = true;
  if (!adminEnabled) return (hint.textContent = 'The admin API is off (ADMIN_TOKEN is not set): counts only.', rows.replaceChildren());
  if (!token()) return (hint.textContent = 'Enter the admin token (top right) to see each error and retry it.', rows.replaceChildren());
  const res = await admin('/admin/dead-letters?limit=200');
  if (res.status === 401) return forgetToken('That admin token was refused.');
  if (!res.ok) return (hint.textContent = `Could not read dead letters: HTTP ${res.status}`);
  const { items, total } = await res.json();
  hint.textContent = total > items.length ? `Showing the oldest ${items.length} of ${total}.` : `${total} dead letter${total === 1 ? '' : 's'}.`;
  $('retry-all').hidden = items.length === 0;
  rows.replaceChildren(...items.map((d) => {
    const retry = el('button', { type: 'button', textContent: 'Retry', className: 'retry' });
    retry.addEventListener('click', () => retryOne(d.id, retry));
    const row = el('tr', {},
      el('td', {}, el('code', { textContent: d.subscriber })), el('td', {}, el('code', { textContent: d.eventType }), el('br'), el('small', { className: 'muted', textContent: d.eventId })),
      el('td', { className: 'error', textContent: d.error, title: d.error }), el('td', { className: 'num', textContent: String(d.attempts) }),
      el('td', { textContent: ago(d.firstFailedAt, now) }), el('td', { textContent: ago(d.lastFailedAt, now) }), el('td', {}, retry));
    row.dataset.deadLetter = d.id;
    return row;
  }));
}

async function retryOne(id, button) {
  button.disabled = true;
  const res = await admin(`/admin/dead-letters/${id}/retry`, 'POST');
  const out = $('dead-outcome');
  if (res.ok) {
    const body = await res.json();
    out.className = body.outcome;
    out.textContent = body.outcome === 'handled' ? `Retried ${id}: handled, removed.` : `Retried ${id}: failed again (${body.deadLetter?.error ?? 'see the row'}).`;
  } else out.textContent = `Retry of ${id} refused: HTTP ${res.status}`;
  await refresh();
}

/** Auth is on and the data was refused: ask for a token with the admin scope (forgetting one that was refused). */
function needToken() {
  adminEnabled = true;
  if (token()) return forgetToken('That token was refused: the dashboard needs the admin scope.');
  showTokenState('auth is on: enter a token with the admin scope');
  $('updated').textContent = 'waiting for a token';
}

function forgetToken(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  showTokenState(message);
}

function showTokenState(message = '') {
  const unlocked = adminEnabled && Boolean(token());
  $('token-form').hidden = !adminEnabled || unlocked;
  $('token-forget').hidden = !unlocked;
  $('token-state').textContent = message || (!adminEnabled ? 'admin API off' : unlocked ? 'admin: unlocked' : 'read-only');
}

let polling;
async function refresh() {
  try {
    // With auth on the data needs the admin scope: the token given (ADMIN_TOKEN, or a token or key with admin) goes along.
    const res = await fetch('/dashboard/data', { cache: 'no-store', headers: token() ? { authorization: `Bearer ${token()}` } : {} });
    if (res.status === 401 || res.status === 403) return needToken();
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const data = await res.json();
    const now = Date.parse(data.now);
    if (adminEnabled !== data.adminEnabled) (adminEnabled = data.adminEnabled), showTokenState();
    sample(data);
    renderTiles(data, now);
    renderAlerts(data);
    renderCharts(data, now);
    renderTables(data, now);
    await renderDeadLetters(now);
    document.body.dataset.loaded = 'true';
  } catch (error) {
    $('updated').textContent = `paybus not answering (${error.message}); retrying`;
  }
}

async function loop() {
  await refresh();
  clearTimeout(polling);
  polling = setTimeout(loop, POLL_MS);
}

$('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $('token-input').value.trim());
  $('token-input').value = '';
  showTokenState();
  refresh();
});
$('token-forget').addEventListener('click', () => forgetToken());
$('retry-all').addEventListener('click', async () => {
  $('retry-all').disabled = true;
  const res = await admin('/admin/dead-letters/retry-all', 'POST');
  if (res.ok) {
    const r = await res.json();
    $('dead-outcome').textContent = `Retried ${r.retried}: ${r.handled} handled, ${r.failed} failed again${r.skipped ? `, ${r.skipped} belong to another process` : ''}.`;
  }
  $('retry-all').disabled = false;
  await refresh();
});
showTokenState();
loop();
