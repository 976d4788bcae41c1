// The status page's script: polls /api/status every second and redraws. No framework and no
// build step. Every value from the agent goes in through textContent, never as HTML.
'use strict';

const POLL_MS = 1000;
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem('till-token') || '';
const images = new Map(); // job_id -> object URL of its PNG

// A link such as http://127.0.0.1:9465/#token=… unlocks the actions; the fragment never reaches the server.
if (location.hash.startsWith('#token=')) {
  token = decodeURIComponent(location.hash.slice('#token='.length));
  sessionStorage.setItem('till-token', token);
  history.replaceState(null, '', location.pathname);
}

function headers() {
  return token ? { authorization: `Bearer ${token}` } : {};
}

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  const { dataset, ...rest } = props || {};
  Object.assign(node, rest);
  Object.assign(node.dataset, dataset || {});
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child ?? '')));
  return node;
}

// Redraw a part only when its data changed: a row replaced under the pointer would eat a click.
const drawn = new Map();
function changed(part, data) {
  const key = JSON.stringify(data);
  if (drawn.get(part) === key) return false;
  drawn.set(part, key);
  return true;
}

function badge(node, state) {
  node.textContent = state;
  node.className = `badge state-${String(state).replace(/[^a-z_-]/gi, '')}`;
}

function age(seconds) {
  if (seconds === null || seconds === undefined) return '-';
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

// Money comes as text the agent formatted (offline_amounts_text, offline_limits_text): only it
// knows each currency's decimals.
function shown(value) {
  return value !== null && typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function offlineText(s, key, value) {
  if (key === 'amounts' && typeof s.offline_amounts_text === 'string') return s.offline_amounts_text;
  if (key === 'limits' && typeof s.offline_limits_text === 'string') return s.offline_limits_text;
  return shown(value);
}

function render(s) {
  $('identity').textContent = `${s.merchant} · Store ${s.store} · Till ${s.terminal}`;
  $('version').textContent = `till-agent ${s.version}`;
  document.title = `till-agent · ${s.terminal}`;

  badge($('uplink-state'), s.uplink.state);
  $('uplink-since').textContent = s.uplink.since ? `since ${new Date(s.uplink.since).toLocaleString()}` : '';
  $('uplink-error').hidden = !s.uplink.last_error;
  $('uplink-error').textContent = s.uplink.last_error ? `last error: ${s.uplink.last_error}` : '';

  $('outbox-pending').textContent = s.outbox.pending;
  $('outbox-oldest').textContent = age(s.outbox.oldest_age_s);
  $('outbox-dead').textContent = s.outbox.dead;
  const unreadable = s.outbox.unreadable || 0;
  $('outbox-unreadable').textContent = unreadable;
  $('outbox-unreadable-note').hidden = unreadable === 0;
  $('storage').textContent = s.storage ? `disk: ${s.storage.state}${s.storage.free_bytes !== null && s.storage.free_bytes !== undefined ? `, ${(s.storage.free_bytes / 1048576).toFixed(0)} MB free` : ''}` : '';
  const dead = s.dead_letters || [];
  $('dead-letters').hidden = dead.length === 0;
  if (changed('dead', [dead, s.actions])) $('dead-letters').tBodies[0].replaceChildren(...dead.map((m) => {
    const retry = el('button', { type: 'button', className: 'action', textContent: 'Retry', disabled: !s.actions });
    retry.addEventListener('click', () => act('/api/outbox/retry', { id: m.id }, `retry ${m.txn_id || m.id}`));
    return el('tr', { dataset: { message: m.id } },
      el('td', {}, new Date(m.created_at).toLocaleString()), el('td', {}, m.op), el('td', {}, m.txn_id || '-'),
      el('td', { className: 'error' }, m.error ? `${m.error.code}: ${m.error.message}` : ''), el('td', {}, retry));
  }));
  $('retry-all').hidden = dead.length === 0;
  $('retry-all').disabled = !s.actions;

  $('no-devices').hidden = s.devices.length > 0;
  $('devices').hidden = s.devices.length === 0;
  if (changed('devices', s.devices)) $('devices').tBodies[0].replaceChildren(...s.devices.map((d) => {
    const state = el('span');
    badge(state, d.state);
    return el('tr', { dataset: { device: d.name } },
      el('td', { className: 'name' }, d.name), el('td', {}, d.kind), el('td', { className: 'state' }, state),
      el('td', { className: 'reason error' }, d.reason || ''));
  }));
  const printers = s.devices.filter((d) => d.kind === 'printer').map((d) => d.name);
  const select = $('printer');
  if (select.options.length !== printers.length || printers.some((p, i) => select.options[i].value !== p)) {
    select.replaceChildren(...printers.map((p) => el('option', { value: p, textContent: p })));
  }
  $('print-test').disabled = !s.actions || printers.length === 0;

  // status.offline: what was spent offline and awaits the host, time offline, the limits.
  $('offline-card').hidden = !s.offline;
  if (s.offline) {
    $('offline').replaceChildren(...Object.entries(s.offline).flatMap(([k, v]) => [
      el('dt', {}, k.replace(/_/g, ' ')),
      el('dd', {}, offlineText(s, k, v)),
    ]));
  }

  renderReceipts(s.receipts || []);
  $('actions-off').hidden = s.actions;
  $('token-form').hidden = !s.actions;
  $('token-state').textContent = token ? 'token set for this tab' : 'no token: the buttons will ask for it';
}

function renderReceipts(receipts) {
  $('no-receipts').hidden = receipts.length > 0;
  if (!changed('receipts', receipts)) return;
  const figures = receipts.map((r) => {
    const img = el('img', { alt: `receipt ${r.txn_id || r.job_id}` });
    if (images.has(r.job_id)) img.src = images.get(r.job_id);
    else loadImage(r.job_id);
    return el('figure', { dataset: { job: r.job_id } }, img,
      el('figcaption', {}, `${r.printer} · ${r.txn_id || 'no sale'} · ${r.status} · ${new Date(r.at).toLocaleTimeString()}`));
  });
  $('receipts').replaceChildren(...figures);
  for (const [job, url] of images) {
    if (!receipts.some((r) => r.job_id === job)) { URL.revokeObjectURL(url); images.delete(job); }
  }
}

async function loadImage(job) {
  images.set(job, '');
  const res = await fetch(`/api/receipts/${encodeURIComponent(job)}.png`, { headers: headers() }).catch(() => null);
  if (!res || !res.ok) { images.delete(job); return; }
  const url = URL.createObjectURL(await res.blob());
  images.set(job, url);
  const img = document.querySelector(`figure[data-job="${CSS.escape(job)}"] img`);
  if (img) img.src = url;
}

async function act(path, body, what) {
  if (!token) {
    $('action-result').textContent = `${what}: enter the token first`;
    $('token').focus();
    return;
  }
  $('action-result').textContent = `${what}…`;
  const res = await fetch(path, { method: 'POST', headers: { ...headers(), 'content-type': 'application/json' }, body: JSON.stringify(body) }).catch((e) => e);
  if (!(res instanceof Response)) { $('action-result').textContent = `${what}: the agent did not answer`; return; }
  const answer = await res.json().catch(() => ({}));
  if (answer.error) $('action-result').textContent = `${what}: ${answer.error.code}: ${answer.error.message}`;
  else $('action-result').textContent = `${what}: ${summary(answer.result)}`;
  poll();
}

function summary(result) {
  if (!result) return 'done';
  if (result.status) return `${result.status}${result.printer ? ` on ${result.printer}` : ''}${result.reason ? ` (${result.reason})` : ''}`;
  if (result.retried !== undefined) return `${result.retried} message(s) back in the queue`;
  return 'done';
}

let timer;
async function poll() {
  clearTimeout(timer);
  try {
    const res = await fetch('/api/status', { headers: headers(), cache: 'no-store' });
    if (res.status === 401) {
      $('freshness').textContent = 'this page needs the token';
      $('token-form').hidden = false;
    } else if (res.ok) {
      render(await res.json());
      $('freshness').textContent = `updated ${new Date().toLocaleTimeString()}`;
      $('freshness').className = 'muted';
    } else {
      throw new Error(`HTTP ${res.status}`);
    }
  } catch (error) {
    $('freshness').textContent = `the agent is not answering (${error.message || error})`;
    $('freshness').className = 'error';
  }
  timer = setTimeout(poll, POLL_MS);
}

$('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  token = $('token').value.trim();
  $('token').value = '';
  if (token) sessionStorage.setItem('till-token', token); else sessionStorage.removeItem('till-token');
  poll();
});
$('retry-all').addEventListener('click', () => act('/api/outbox/retry', { all: true }, 'retry all'));
$('print-test').addEventListener('click', () => act('/api/print-test', { printer: $('printer').value }, 'print test'));
poll();
