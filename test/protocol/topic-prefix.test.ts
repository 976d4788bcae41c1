// topic_prefix must name the whole till, each part as its own topic level: the host takes the
// till's identity (dedup key, reply topic) from the topic and the broker ACL confines a till by it.
import t from 'tap';
import { ConfigError } from '../../runtime/config-file.ts';
import { parseConfig } from '../../agent/config.ts';
import { parseHostConfig } from '../../host/config.ts';
import { topicPrefixProblem } from '../../protocol/upstream.ts';

t.test('accepted and refused prefixes', async (t) => {
  for (const ok of ['till/v1/{merchant}/{store}/{terminal}', '{merchant}/{store}/{terminal}', 'shop/{terminal}/{store}/{merchant}/x']) {
    t.equal(topicPrefixProblem(ok), undefined, ok);
  }
  const refused: Array<[string, RegExp]> = [
    ['till/v1/{terminal}', /must contain \{merchant\}, \{store\}/],
    ['till/v1/{store}/{terminal}', /must contain \{merchant\} \(each a whole topic level\)/],
    ['till/v1/{merchant}/{store}', /must contain \{terminal\}/],
    ['till/v1/{merchant}-{store}-{terminal}', /must contain \{merchant\}, \{store\}, \{terminal\}/],
    ['till/{merchant}/{store}/{terminal}/{terminal}', /\{terminal\} only once/],
    ['till/{merchant}/{store}/{termnal}/{terminal}', /"\{termnal\}": placeholders are/],
    ['/till/{merchant}/{store}/{terminal}', /empty topic levels/],
    ['till//{merchant}/{store}/{terminal}', /empty topic levels/],
    ['$till/{merchant}/{store}/{terminal}', /must not start with "\$"/],
  ];
  for (const [prefix, why] of refused) t.match(topicPrefixProblem(prefix), why, prefix);
});

t.test('the host refuses such a prefix with an error naming the key', async (t) => {
  const text = 'data_dir: /d\nuplink: { url: "mqtt://b:1883", topic_prefix: "till/v1/{terminal}" }\n';
  t.throws(() => parseHostConfig(text, 'host.yaml'), ConfigError);
  try {
    parseHostConfig(text, 'host.yaml');
  } catch (error) {
    t.match((error as ConfigError).errors, [/^uplink\.topic_prefix: must contain \{merchant\}, \{store\}/]);
  }
});

t.test('so does the agent', async (t) => {
  const text = 'terminal: T1\nstore: S1\nmerchant: M1\ndata_dir: ./d\nuplink: { url: "mqtt://b:1883", topic_prefix: "till/v1/{store}/{terminal}" }\n';
  try {
    parseConfig(text, 'agent.yaml');
    t.fail('should throw');
  } catch (error) {
    t.ok(error instanceof ConfigError);
    t.match((error as ConfigError).errors.join('\n'), /uplink\.topic_prefix: must contain \{merchant\}/);
  }
});
