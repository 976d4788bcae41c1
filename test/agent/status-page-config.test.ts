// status_page in the config: off by default; beyond loopback only with a token.
import t from 'tap';
import { ConfigError } from '../../runtime/config-file.ts';
import { parseConfig } from '../../agent/config.ts';

const base = 'terminal: T1\nstore: S1\nmerchant: M\ndata_dir: /var/lib/till-agent\nuplink: { url: "mqtt://127.0.0.1:1884" }\n';
const errors = (text: string) => {
  try {
    parseConfig(text, '/etc/till-agent/config.yaml');
    return [];
  } catch (error) {
    return error instanceof ConfigError ? error.errors : [String(error)];
  }
};

t.test('status_page', async (t) => {
  t.match(parseConfig(base, '/x.yaml').status_page, { listen: false, token: null }, 'off by default');
  t.same(errors(`${base}status_page: { listen: "127.0.0.1:9465" }`), [], 'loopback without a token: read-only page');
  t.same(errors(`${base}status_page: { listen: "[::1]:9465" }`), []);
  t.match(errors(`${base}status_page: { listen: "0.0.0.0:9465" }`), [/status_page\.token.*required when status_page\.listen is not a loopback address/]);
  t.match(errors(`${base}status_page: { listen: "192.0.2.7:9465", token: "short" }`), [/status_page\.token.*at least 16 characters/]);
  t.same(errors(`${base}status_page: { listen: "192.0.2.7:9465", token: "0123456789abcdef" }`), []);
});
