// isoString is toISOString, character for character, whatever the order of the calls.
import t from 'tap';
import { isoString } from '../../protocol/iso-time.ts';
import { seeded } from '../helpers/random.ts';

t.test('the same text as toISOString', async (t) => {
  const rand = seeded(20261201);
  const now = Date.now();
  const times = [0, -1, 999, 1000, -999, -1000, -1001, now, now + 1, now + 999, 253402300799999, 253402300800000, -62167219200001, 8.64e15, -8.64e15];
  // Within one second (the cached prefix), across seconds, backwards, and anywhere at all.
  for (let i = 0; i < 2000; i++) times.push(now + Math.floor(rand() * 3000) - 1000);
  for (let i = 0; i < 2000; i++) times.push(Math.floor((rand() * 2 - 1) * 8.64e15));
  let wrong = 0;
  for (const ms of times) {
    const date = new Date(ms);
    if (isoString(date) !== date.toISOString() && ++wrong <= 5) t.fail(`${ms}: ${isoString(date)} / ${date.toISOString()}`);
  }
  t.equal(wrong, 0, `${times.length} times`);
  t.throws(() => isoString(new Date(Number.NaN)), RangeError, 'an invalid date throws as toISOString does');
});
