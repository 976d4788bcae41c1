// A basket's sums without arrays of amounts (protocol/money.ts sumAmountFields, subtractAmounts):
// the same answers as sumAmounts over the mapped amounts, and no deoptimisation of the award's
// fast path once V8 has optimised it (issue 10: the arrays' maps changed under optimised code).
import t from 'tap';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { subtractAmounts, sumAmountFields, sumAmounts } from '../../protocol/money.ts';

const run = promisify(execFile);

t.test('sumAmountFields and subtractAmounts answer as sumAmounts did', async (t) => {
  const M = Number.MAX_SAFE_INTEGER;
  const values = [0, -0, 1, -1, 320, 150, 2 ** 31, -(2 ** 31) - 1, M, -M, M - 1, 0.5, -2.5, Number.NaN, Infinity];
  let seed = 7;
  const pick = () => values[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % values.length]!;
  const differ: string[] = [];
  for (let n = 0; n < 2000; n++) {
    const amounts = Array.from({ length: n % 5 }, pick);
    if (!Object.is(sumAmountFields(amounts.map((amount) => ({ amount }))), sumAmounts(amounts))) differ.push(`sum of ${amounts.join(', ')}`);
    const [a, b] = [pick(), pick()];
    if (!Object.is(subtractAmounts(a, b), sumAmounts([a, -b]))) differ.push(`${a} - ${b}`);
  }
  t.same(differ, [], '2,000 random sums and differences');
  t.equal(sumAmountFields([{ amount: '1' }]), null, 'not a number');
  t.equal(sumAmountFields([{ amount: M }, { amount: 1 }]), null, 'leaves the safe integers');
  t.equal(subtractAmounts(-M, 1), null);
  t.equal(Object.is(subtractAmounts(470, 0), 470), true);
});

// The child validates 20,000 awards (most without discounts, as the benches' sample sale) through the
// fast path, V8 optimising as it goes, and prints V8's deopt trace. Before: addsUp and sumAmounts were
// deoptimised ("wrong map") when `map`'s results turned holey under TurboFan, or met `[items, -0]`.
const FAST_PATH = fileURLToPath(new URL('../../protocol/fast-path.ts', import.meta.url));
// The child runs the TypeScript as the test processes do (package.json "tap" "node-arg").
const COMPILED_TS = fileURLToPath(new URL('../helpers/compiled-ts.mjs', import.meta.url));
const CHILD = `
import { fastAward } from ${JSON.stringify(FAST_PATH)};
const item = (sku, qty, unit_price) => ({ sku, name: 'Item ' + sku, qty, unit_price, amount: qty * unit_price, category: 'c', tax_included: true });
let accepted = 0;
for (let i = 0; i < 20000; i++) {
  const items = [item('4006381333931', 2, 160), item('3017620422003', 1, 150)];
  const basket = { currency: 'EUR', total: 470, tax_total: 43, store: 'S1', items };
  if (i % 7 === 0) { basket.discounts = [{ code: 'D1', amount: 20 }]; basket.total = 450; }
  if (fastAward(JSON.parse(JSON.stringify({ txn_id: 't-' + i, customer_id: 'P-1001', basket })), false)) accepted++;
}
console.log('accepted ' + accepted);
`;

t.test('the award fast path is not deoptimised once optimised', async (t) => {
  const { stdout } = await run(process.execPath, ['--import', COMPILED_TS, '--trace-deopt-verbose', '--input-type=module', '-e', CHILD], {
    maxBuffer: 64 * 1024 * 1024,
  });
  t.match(stdout, /^accepted 20000$/m);
  const ours = stdout.split('\n').filter((l) => l.includes(';;; deoptimize at') && /protocol\/(fast-path|money|pan)\.ts/.test(l));
  t.same(ours, [], 'no deopt in protocol/fast-path.ts, money.ts or pan.ts');
});
