// The fleet bench's ledger check (bench/fleet-verify.ts) must be able to fail: an award lost,
// applied twice, applied out of the till's order, never acknowledged, or not sent by the till.
import t from 'tap';
import { verdictClean, verifyFleet, type LedgerAward, type TillRecord } from '../../bench/fleet-verify.ts';

const till = (terminal: string, sent: string[], acked = sent): TillRecord => ({ terminal, sent, acked: new Set(acked) });
const entries = (list: Array<[string, string]>): LedgerAward[] => list.map(([terminal, txn_id]) => ({ terminal, txn_id }));

const A = 'M1/S1/T1';
const B = 'M1/S1/T2';
const tills = [till(A, ['a1', 'a2', 'a3']), till(B, ['b1', 'b2'])];

t.test('a clean run: every acknowledged award once, each till in order, tills interleaved', async (t) => {
  const v = verifyFleet(tills, entries([[A, 'a1'], [B, 'b1'], [A, 'a2'], [B, 'b2'], [A, 'a3']]));
  t.ok(verdictClean(v));
  t.match(v, { acked: 5, applied: 5, missing: 0, duplicated: 0, outOfOrder: 0, unacked: 0, unexpected: 0, problems: [] });
});

const broken: Array<{ name: string; tills?: TillRecord[]; ledger: Array<[string, string]>; expect: Record<string, number>; says: RegExp }> = [
  { name: 'an acknowledged award missing', ledger: [[A, 'a1'], [A, 'a3'], [B, 'b1'], [B, 'b2']], expect: { missing: 1 }, says: /a2 acknowledged but not in the ledger/ },
  { name: 'an award applied twice', ledger: [[A, 'a1'], [A, 'a2'], [A, 'a2'], [A, 'a3'], [B, 'b1'], [B, 'b2']], expect: { duplicated: 1 }, says: /a2 applied 2 times/ },
  { name: 'a till\'s awards out of order', ledger: [[A, 'a2'], [A, 'a1'], [A, 'a3'], [B, 'b1'], [B, 'b2']], expect: { outOfOrder: 1 }, says: /a1 applied after a2/ },
  { name: 'an award applied for the wrong till', ledger: [[A, 'a1'], [A, 'a2'], [A, 'a3'], [B, 'b1'], [B, 'b2'], [B, 'a1']], expect: { unexpected: 1 }, says: /a1 applied but never sent by this till/ },
  { name: 'an award from a till outside the fleet', ledger: [[A, 'a1'], [A, 'a2'], [A, 'a3'], [B, 'b1'], [B, 'b2'], ['M9/S9/T9', 'x']], expect: { unexpected: 1 }, says: /not in the fleet/ },
  {
    name: 'an award never acknowledged',
    tills: [till(A, ['a1', 'a2', 'a3'], ['a1', 'a2']), till(B, ['b1', 'b2'])],
    ledger: [[A, 'a1'], [A, 'a2'], [B, 'b1'], [B, 'b2']],
    expect: { unacked: 1, missing: 0 },
    says: /a3 never acknowledged/,
  },
];

for (const c of broken) {
  t.test(c.name, async (t) => {
    const v = verifyFleet(c.tills ?? tills, entries(c.ledger));
    t.notOk(verdictClean(v), 'the check fails');
    t.match(v, c.expect);
    t.match(v.problems.join('\n'), c.says);
  });
}
