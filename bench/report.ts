// Results are flat rows (section, name, value, unit) so the table and --json say the same thing.
import { cpus, loadavg, tmpdir } from 'node:os';

export interface Result {
  section: string;
  name: string;
  value: number;
  unit: string;
  note?: string;
}

export interface Environment {
  date: string;
  node: string;
  platform: string;
  cpus: number;
  cpu_model: string;
  tmpdir: string;
  /** 1-minute load average when the run started: other work on the machine skews every figure. */
  load: number;
}

export function environment(): Environment {
  const list = cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: list.length,
    cpu_model: list[0]?.model.trim() ?? 'unknown',
    tmpdir: tmpdir(),
    load: loadavg()[0] ?? 0,
  };
}

export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const digits = Math.abs(value) >= 100 || Number.isInteger(value) ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function renderTable(env: Environment, results: Result[]): string {
  const nameWidth = Math.max(40, ...results.map((r) => r.name.length));
  const valueWidth = Math.max(10, ...results.map((r) => formatValue(r.value).length));
  const unitWidth = Math.max(6, ...results.map((r) => r.unit.length));
  const lines = [
    `till-agent benchmarks  ${env.date}`,
    `node ${env.node} ${env.platform}, ${env.cpus} CPU (${env.cpu_model}), load ${env.load.toFixed(1)}, temp dirs in ${env.tmpdir}`,
  ];
  let section = '';
  for (const r of results) {
    if (r.section !== section) {
      section = r.section;
      lines.push('', section, `  ${'─'.repeat(nameWidth)}  ${'─'.repeat(valueWidth)}  ${'─'.repeat(unitWidth)}`);
    }
    const row = `  ${r.name.padEnd(nameWidth)}  ${formatValue(r.value).padStart(valueWidth)}  ${r.unit.padEnd(unitWidth)}`;
    lines.push(r.note ? `${row}  ${r.note}` : row.trimEnd());
  }
  return `${lines.join('\n')}\n`;
}
