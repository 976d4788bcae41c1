import { readFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map(); const dt = p.timeDeltas; let total = 0; const counts = new Map();
p.samples.forEach((id, i) => { counts.set(id, (counts.get(id) ?? 0) + (dt[i] ?? 0)); });
const key = (n) => { const u = n.callFrame.url || '(' + n.callFrame.functionName + ')'; const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u); return m ? 'npm:' + m[1] : u.replace(/^file:\/\/\/work\/wt\/build-perf\//, '').replace(/^node:internal.*/, 'node:internal'); };
for (const [id, us] of counts) { const k = key(byId.get(id)); if (k === '(idle)') continue; total += us; self.set(k, (self.get(k) ?? 0) + us); }
console.log('busy ms', (total / 1000).toFixed(0));
for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(process.argv[3] ?? 30))) console.log((us / 1000).toFixed(1).padStart(8), k);
