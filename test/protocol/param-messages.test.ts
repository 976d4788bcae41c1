// Every op's params errors are in the project's words ("params.x: must …"), never zod's defaults
// ("Invalid input", "Too small: expected array to have >=1 items", "expected boolean, received string").
import t from 'tap';
import { z } from 'zod';
import { OPS, paramSchemas, paramSchemasV2, parseParams, type ProtocolVersion } from '../../protocol/local.ts';

const ZOD_DEFAULT = /Invalid (input|option|element|key)|Too (small|big)|expected (array|number|string|boolean|object|int)|received |Unrecognized key/;
// Wrong values of every kind, and the well-formed empty and oversized ones.
const BAD: unknown[] = ['x', '', 1.5, -1, 0, 2 ** 60, true, null, [], [1], {}, { a: 1 }, 'x'.repeat(70_000), Array(60_000).fill('x')];

function keysOf(schema: unknown): string[] {
  // Every params schema is an object (refined or strict): its shape names the keys it takes.
  const shape = (schema as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : [];
}

for (const protocol of [1, 2] as ProtocolVersion[]) {
  t.test(`protocol ${protocol}: no op answers zod's default texts`, async (t) => {
    let checked = 0;
    for (const op of OPS) {
      const schema = protocol >= 2 && op in paramSchemasV2 ? paramSchemasV2[op as keyof typeof paramSchemasV2] : paramSchemas[op];
      t.ok(schema instanceof z.ZodType, op);
      for (const key of keysOf(schema)) {
        for (const value of BAD) {
          const r = parseParams(op, { [key]: value }, protocol);
          if (r.ok) continue;
          checked++;
          const odd = r.errors.filter((e) => ZOD_DEFAULT.test(e) || !/^params[.[:]/.test(e));
          if (odd.length > 0) t.fail(`${op} {${key}: ${JSON.stringify(value).slice(0, 30)}}`, { odd });
        }
      }
    }
    t.ok(checked > 500, `${checked} refusals checked`);
  });
}

const cases: Array<[string, Record<string, unknown>, string]> = [
  ['events.subscribe', { topics: [] }, 'params.topics: must contain at least one topic'],
  ['events.subscribe', { topics: 'scan' }, 'params.topics: must be an array of topics'],
  ['events.subscribe', {}, 'params.topics: is required (must be an array of topics)'],
  ['events.unsubscribe', { topics: ['nope'] }, 'params.topics[0]: must be one of uplink, outbox, storage, device, scan, scan_error, identified, print, drawer'],
  ['outbox.list', { state: 'x' }, 'params.state: must be one of pending, dead, done'],
  ['outbox.list', { limit: 0 }, 'params.limit: must be at least 1'],
  ['outbox.list', { limit: 1.5 }, 'params.limit: must be an integer'],
  ['outbox.list', { limit: 1001 }, 'params.limit: must be at most 1000'],
  ['outbox.retry', { all: 'yes' }, 'params.all: must be true or false'],
  ['drawer.open', { pin: 2 }, 'params.pin: must be 0 or 1'],
  ['display.show', { lines: [] }, 'params.lines: must contain one or two lines'],
  ['scale.read', { timeout_ms: 'x' }, 'params.timeout_ms: must be a number'],
  ['hello', { token: 'x'.repeat(513) }, 'params.token: must be at most 512 characters'],
];
for (const [op, params, message] of cases) {
  t.test(`${op} ${JSON.stringify(params).slice(0, 40)}`, async (t) => {
    const r = parseParams(op as (typeof OPS)[number], params, 2);
    t.same(r.ok ? [] : r.errors, [message]);
  });
}
