// The stop's steps are logged (debug) as each begins, newest first: the last one logged before
// "stop took too long" is the step a slow stop waited on.
import t from 'tap';
import { StartSequence } from '../../agent/start-sequence.ts';
import { capturingLogger } from '../helpers/log-capture.ts';

t.test('unwind logs each step before it runs its undo, newest first, failing ones too', async (t) => {
  const { log, lines } = capturingLogger();
  const sequence = new StartSequence(log);
  const seen: Array<{ undo: string; logged: unknown }> = [];
  const lastStep = () => lines.filter((l) => l.msg === 'stopping a part of the agent').at(-1)?.step;
  sequence.started('database', () => { seen.push({ undo: 'database', logged: lastStep() }); });
  sequence.started('uplink', () => { seen.push({ undo: 'uplink', logged: lastStep() }); throw new Error('uplink broke'); });
  sequence.started('socket', async () => { seen.push({ undo: 'socket', logged: lastStep() }); });
  await sequence.unwind();
  t.same(seen, [
    { undo: 'socket', logged: 'socket' },
    { undo: 'uplink', logged: 'uplink' },
    { undo: 'database', logged: 'database' },
  ]);
  t.same(lines.filter((l) => l.msg === 'stopping a part of the agent').map((l) => l.level), ['debug', 'debug', 'debug'], 'at debug level');
  t.match(lines.find((l) => l.msg === 'could not stop a part of the agent; stopping the rest'), { step: 'uplink' });
});
