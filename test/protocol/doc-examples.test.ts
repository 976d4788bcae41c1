// The request lines the docs show a POS vendor (README's walkthrough, protocol/LOCAL.md) are
// pasted as written: each must be a frame the agent takes (an id, a known op). Whether its params
// are right is the op's own tests' business (the walkthrough shows refused params on purpose).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { decodeFrame } from '../../protocol/json-frame.ts';
import { isOp, parseRequest } from '../../protocol/local.ts';

const DOCS = ['README.md', 'protocol/LOCAL.md'];

/** Every JSON object with an "op" in a `code span` or a line of a code block. */
function requestExamples(text: string): string[] {
  const spans = [...text.matchAll(/`(\{[^`\n]*\})`/g)].map((m) => m[1]!);
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('{') && l.endsWith('}'));
  return [...spans, ...lines].filter((s) => {
    const decoded = decodeFrame(s);
    // Not JSON: a sketch (`{ ... }`) or a bad frame shown on purpose; a repeated key: the same.
    return decoded.ok && typeof decoded.value === 'object' && decoded.value !== null && 'op' in decoded.value;
  });
}

for (const doc of DOCS) {
  t.test(`${doc}: every request example is a frame the agent takes`, async (t) => {
    const examples = requestExamples(readFileSync(new URL(`../../${doc}`, import.meta.url), 'utf8'));
    t.ok(examples.length >= 3, `${examples.length} examples found`);
    for (const line of examples) {
      const parsed = parseRequest(JSON.parse(line));
      t.ok(parsed.ok, `${line}: ${parsed.ok ? '' : JSON.stringify(parsed.errors)}`);
      if (parsed.ok) t.ok(isOp(parsed.value.op), `${line}: op ${parsed.value.op} exists`);
    }
  });
}
