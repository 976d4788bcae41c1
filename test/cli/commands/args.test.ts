// Strict command-line flags: node:util parseArgs underneath, errors that name the flag.
import t from 'tap';
import { UsageError, intFlag, parseFlags } from '../../../cli/commands/args.ts';

const spec = { config: { type: 'string' }, json: { type: 'boolean' } } as const;

const usage = (f: () => unknown) => {
  try {
    f();
  } catch (error) {
    return error instanceof UsageError ? error.message : `not a UsageError: ${String(error)}`;
  }
  return 'no error';
};

t.test('values, = syntax, positionals and -h', async (t) => {
  t.same(parseFlags(['--config', 'a.yaml', '--json'], spec), { values: { config: 'a.yaml', json: true }, positionals: [] });
  t.same(parseFlags(['--config=a.yaml'], spec).values, { config: 'a.yaml' });
  t.same(parseFlags(['list', '--json'], spec, 1).positionals, ['list']);
  t.same(parseFlags(['-h'], spec).values, { help: true });
  t.same(parseFlags(['--help', 'extra', 'args'], spec).values, { help: true }, '--help wins over anything else');
  t.same(parseFlags(['--', '-starts-with-dash'], spec, 1).positionals, ['-starts-with-dash']);
});

t.test('every mistake is a usage error naming the flag', async (t) => {
  t.equal(usage(() => parseFlags(['--frob'], spec)), 'unknown option --frob');
  t.equal(usage(() => parseFlags(['-x'], spec)), 'unknown option -x');
  t.equal(usage(() => parseFlags(['--config'], spec)), '--config needs a value');
  t.match(usage(() => parseFlags(['--config', '--json'], spec)), /^--config needs a value/);
  t.equal(usage(() => parseFlags(['--json=yes'], spec)), '--json takes no value');
  t.equal(usage(() => parseFlags(['stray'], spec)), 'unexpected argument "stray"');
  t.equal(usage(() => parseFlags(['one', 'two'], spec, 1)), 'unexpected argument "two"');
});

t.test('integer flags are range-checked', async (t) => {
  t.equal(intFlag(undefined, 'port', 7411, 1, 65535), 7411);
  t.equal(intFlag('8080', 'port', 7411, 1, 65535), 8080);
  for (const bad of ['0', '65536', 'abc', '1.5', '', '1e3', '0x10']) {
    t.match(usage(() => intFlag(bad, 'port', 7411, 1, 65535)), /^--port must be a whole number from 1 to 65535/, bad);
  }
});
