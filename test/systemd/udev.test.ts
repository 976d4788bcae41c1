// systemd/udev/60-till-agent.rules: well-formed rules (systemd 252 has no `udevadm verify`, so
// each line is parsed here), every jump lands on a label, and each section gives its devices the
// group the service is in, a 0660 mode and a name under /dev/till/.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SYSTEMD_DIR, run, which } from '../helpers/systemd-tools.ts';

const RULES = join(SYSTEMD_DIR, 'udev', '60-till-agent.rules');

// udev(7): match keys take == or !=, assignment keys =, +=, -= or :=.
const MATCH_KEYS = new Set(['ACTION', 'DEVPATH', 'KERNEL', 'KERNELS', 'NAME', 'SYMLINK', 'SUBSYSTEM', 'SUBSYSTEMS',
  'DRIVER', 'DRIVERS', 'ATTR', 'ATTRS', 'SYSCTL', 'TAG', 'TAGS', 'ENV', 'CONST', 'TEST', 'PROGRAM', 'RESULT']);
const ASSIGN_KEYS = new Set(['NAME', 'SYMLINK', 'OWNER', 'GROUP', 'MODE', 'SECLABEL', 'ATTR', 'SYSCTL', 'ENV', 'TAG',
  'RUN', 'LABEL', 'GOTO', 'IMPORT', 'OPTIONS']);
const TOKEN = /^([A-Z]+)(?:\{([^}]+)\})?\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"$/;

interface Token { key: string; attr?: string; op: string; value: string }
interface Rule { line: number; tokens: Token[] }

function parseRules(text: string): { rules: Rule[]; errors: string[] } {
  const rules: Rule[] = [];
  const errors: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (raw.endsWith('\\')) errors.push(`line ${i + 1}: continuation lines are not used here`);
    const tokens: Token[] = [];
    for (const part of line.split(/,\s*/)) {
      const m = TOKEN.exec(part.trim());
      if (!m) {
        errors.push(`line ${i + 1}: cannot parse "${part}"`);
        continue;
      }
      const token: Token = { key: m[1]!, op: m[3]!, value: m[4]! };
      if (m[2] !== undefined) token.attr = m[2];
      const isMatch = token.op === '==' || token.op === '!=';
      if (isMatch && !MATCH_KEYS.has(token.key)) errors.push(`line ${i + 1}: ${token.key} is not a match key`);
      if (!isMatch && !ASSIGN_KEYS.has(token.key)) errors.push(`line ${i + 1}: ${token.key} cannot be assigned`);
      tokens.push(token);
    }
    rules.push({ line: i + 1, tokens });
  });
  return { rules, errors };
}

const get = (rule: Rule, key: string) => rule.tokens.find((tk) => tk.key === key);

t.test('every line parses as KEY==/KEY= pairs with known keys', async (t) => {
  const { rules, errors } = parseRules(await readFile(RULES, 'utf8'));
  t.same(errors, []);
  t.ok(rules.length > 10, `${rules.length} rules`);
});

t.test('every GOTO has its LABEL, and every section ends at the end label', async (t) => {
  const { rules } = parseRules(await readFile(RULES, 'utf8'));
  const labels = rules.flatMap((r) => r.tokens.filter((tk) => tk.key === 'LABEL').map((tk) => tk.value));
  const gotos = rules.flatMap((r) => r.tokens.filter((tk) => tk.key === 'GOTO').map((tk) => tk.value));
  t.same(new Set(labels).size, labels.length, 'labels are unique');
  for (const target of new Set(gotos)) t.ok(labels.includes(target), `GOTO "${target}" has a LABEL`);
  t.equal(labels.at(-1), 'till_agent_end', 'the end label is last');
  // A section that does not end in GOTO runs on into the next one: the raw USB printers' section fell
  // into the keyboard-wedge one, so a listed scanner's /dev/bus/usb node got group till-input and the
  // name till/scanner0-kbd too, which its event node (the one the evdev transport needs) also claims.
  rules.forEach((rule, i) => {
    if (!get(rule, 'LABEL') || i === 0) return;
    const before = rules[i - 1]!;
    t.ok(before.tokens.length === 1 && get(before, 'GOTO')?.value === 'till_agent_end',
      `line ${before.line}, before LABEL "${get(rule, 'LABEL')!.value}": GOTO="till_agent_end" (no falling into the next section)`);
  });
});

t.test('each section gives the right group, mode and name', async (t) => {
  const { rules } = parseRules(await readFile(RULES, 'utf8'));
  let section = '';
  const seen = new Map<string, number>();
  for (const rule of rules) {
    const label = get(rule, 'LABEL');
    if (label) {
      section = label.value;
      continue;
    }
    if (get(rule, 'GOTO') && rule.tokens.length === 1) continue;
    if (section === '' || section === 'till_agent_end') continue;
    seen.set(section, (seen.get(section) ?? 0) + 1);
    const where = `line ${rule.line} (${section})`;
    const vendor = rule.tokens.find((tk) => tk.attr === 'idVendor');
    t.match(vendor?.value, /^[0-9a-f]{4}$/, `${where}: matches a 4-digit vendor id`);
    const product = rule.tokens.find((tk) => tk.attr === 'idProduct');
    if (product) t.match(product.value, /^[0-9a-f]{4}$/, `${where}: 4-digit product id`);
    t.equal(get(rule, 'MODE')?.value, '0660', `${where}: MODE 0660`);
    const symlink = get(rule, 'SYMLINK');
    switch (section) {
      case 'till_agent_tty':
        t.equal(vendor?.key, 'ATTRS', `${where}: a tty matches its USB parent (ATTRS)`);
        t.equal(get(rule, 'GROUP')?.value, 'dialout', `${where}: GROUP dialout`);
        t.match(symlink?.value, /^till\/(scanner|cardreader|printer)\d+$/, `${where}: named under /dev/till`);
        t.equal(symlink?.op, '+=', `${where}: adds a name, keeps the others`);
        break;
      case 'till_agent_usblp':
        t.equal(get(rule, 'GROUP')?.value, 'lp', `${where}: GROUP lp`);
        t.ok(product || vendor?.value === '0519', `${where}: a printer is matched by product (Star: vendor)`);
        t.match(symlink?.value, /^till\/printer\d+$/, `${where}: named /dev/till/printerN`);
        break;
      case 'till_agent_usb':
        t.equal(vendor?.key, 'ATTR', `${where}: the USB device itself (ATTR)`);
        t.equal(get(rule, 'GROUP')?.value, 'lp', `${where}: GROUP lp`);
        break;
      case 'till_agent_input':
        t.equal(vendor?.key, 'ATTRS', `${where}: an input node matches its USB parent (ATTRS)`);
        t.equal(get(rule, 'GROUP')?.value, 'till-input', `${where}: GROUP till-input (never "input": the cashier's keyboard)`);
        t.match(symlink?.value, /^till\/(scanner|cardreader)\d+-kbd$/, `${where}: named /dev/till/…-kbd`);
        t.equal(symlink?.op, '+=', `${where}: adds a name, keeps by-id`);
        break;
      default:
        t.fail(`${where}: unexpected section`);
    }
  }
  t.ok(seen.get('till_agent_tty'), 'scanners and card readers');
  t.ok(seen.get('till_agent_usblp'), 'usblp printers');
  t.ok(seen.get('till_agent_usb'), 'raw USB printers');
  t.ok(seen.get('till_agent_input'), 'keyboard-wedge scanners and card readers');
});

t.test('the same printers get a usblp name and raw USB access', async (t) => {
  const { rules } = parseRules(await readFile(RULES, 'utf8'));
  const ids = (section: string) => {
    let current = '';
    const out: string[] = [];
    for (const rule of rules) {
      const label = get(rule, 'LABEL');
      if (label) current = label.value;
      else if (current === section && !(get(rule, 'GOTO') && rule.tokens.length === 1)) {
        out.push(rule.tokens.filter((tk) => tk.attr === 'idVendor' || tk.attr === 'idProduct').map((tk) => tk.value).join(':'));
      }
    }
    return out;
  };
  t.same(ids('till_agent_usb'), ids('till_agent_usblp'));
});

t.test('udevadm verify, where this systemd has it (253 and later)', async (t) => {
  const udevadm = which('udevadm');
  if (!udevadm) {
    t.comment('udevadm not installed: the parser above is the check');
    return;
  }
  const help = await run(udevadm, ['--help']);
  if (!/\bverify\b/.test(help.stdout)) {
    t.comment('udevadm has no "verify" (systemd < 253): the parser above is the check');
    return;
  }
  const result = await run(udevadm, ['verify', RULES]);
  t.equal(result.code, 0, result.stdout + result.stderr);
});
