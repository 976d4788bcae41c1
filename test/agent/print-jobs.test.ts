// The durable print job record on a real SQLite file: what a crash leaves behind is read
// conservatively (queued → failed, may print again; printing → uncertain, never reprinted).
import t from 'tap';
import { join } from 'node:path';
import { openDb } from '../../agent/storage/db.ts';
import { printedOrMaybe, PrintJobs } from '../../agent/receipts/print-jobs.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('begin, mark, copies, recover after a crash, prune', async (t) => {
  const file = join(await tempDir(t, 'till-printjobs-'), 'till-agent.db');
  let clock = new Date('2026-03-14T09:00:00Z');
  const db = openDb(file);
  const jobs = new PrintJobs(db, () => clock);
  jobs.begin('A', 'p0', 'fa', false);
  jobs.begin('B', 'p0', 'fb', false);
  jobs.mark('B', 'printing');
  jobs.begin('C', 'p0', 'fc', false);
  jobs.mark('C', 'printed');
  jobs.begin('C', 'p0', 'fc', true);
  jobs.mark('C', 'printed');
  db.close(); // the agent dies here

  const reopened = openDb(file);
  t.teardown(() => reopened.close());
  const after = new PrintJobs(reopened, () => clock);
  t.same(after.recover(), { failed: 1, uncertain: 1 });
  t.match(after.get('A'), { state: 'failed', reason: 'agent_restarted' });
  t.match(after.get('B'), { state: 'uncertain', reason: 'agent_restarted' });
  t.match(after.get('C'), { state: 'printed', copies: 1, fingerprint: 'fc' });
  t.same(['queued', 'printing', 'printed', 'sent', 'uncertain', 'failed'].map((s) => printedOrMaybe(s as never)), [false, false, true, true, true, false]);
  clock = new Date('2026-04-14T09:00:00Z');
  t.equal(after.prune(new Date('2026-04-01T00:00:00Z')), 3);
  t.equal(after.get('C'), undefined);
});
