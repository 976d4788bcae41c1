// The reduction method per purchase: rules by store and by awarded offer, first match, default.
import t from 'tap';
import { parseHostConfig } from '../../host/config.ts';
import { decideReduction } from '../../host/reduction.ts';

t.test('first matching rule decides, else the default', async (t) => {
  const rules = [
    { stores: ['S2'], reduction: 'back_end' as const },
    { offers: ['GIFT'], reduction: 'back_end' as const },
    { stores: ['S3'], offers: ['BASE'], reduction: 'front_end' as const },
  ];
  t.equal(decideReduction('front_end', rules, 'S1', ['BASE']), 'front_end');
  t.equal(decideReduction('front_end', rules, 'S2', []), 'back_end');
  t.equal(decideReduction('front_end', rules, 'S1', ['BASE', 'GIFT']), 'back_end');
  t.equal(decideReduction('back_end', rules, 'S3', ['BASE']), 'front_end', 'both conditions hold');
  t.equal(decideReduction('back_end', rules, 'S3', []), 'back_end', 'offer condition fails: default');
  t.equal(decideReduction('back_end', [], 'S1', []), 'back_end');
});

t.test('config: rules and refunds validated, strict', async (t) => {
  const base = 'data_dir: d\nuplink: { url: "mqtt://b:1883" }\n';
  const ok = parseHostConfig(`${base}reduction_rules: [{ stores: [S2], reduction: back_end }]\nrefunds: { spend_credit: none }\n`, '/x/host.yaml');
  t.same(ok.reduction_rules, [{ stores: ['S2'], reduction: 'back_end' }]);
  t.same(ok.refunds, { spend_credit: 'none' });
  t.same(parseHostConfig(base, '/x/host.yaml').refunds, { spend_credit: 'proportional' }, 'default');
  t.throws(() => parseHostConfig(`${base}reduction_rules: [{ reduction: back_end }]\n`, '/x/host.yaml'), /reduction_rules\[0\]: give stores, offers or both/);
  t.throws(() => parseHostConfig(`${base}reduction_rules: [{ stores: [S2], reduction: sideways }]\n`, '/x/host.yaml'), /reduction_rules\[0\]\.reduction: must be one of front_end, back_end/);
  t.throws(() => parseHostConfig(`${base}reduction_rules: [{ store: [S2], reduction: back_end }]\n`, '/x/host.yaml'), /unknown key\(s\): store/);
  t.throws(() => parseHostConfig(`${base}refunds: { spend_credit: all }\n`, '/x/host.yaml'), /refunds\.spend_credit: must be one of none, proportional, full_return/);
});
