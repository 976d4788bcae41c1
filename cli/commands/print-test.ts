// `till-agent print-test`: a test receipt through the running agent (receipt.print), exactly the
// path a sale's receipt takes: layout, code page, the printer's queue and status checks.
import { CONNECTION_FLAGS, CONNECTION_HELP, connectionFrom, openSession, targetFrom } from '../client.ts';
import { printerHint, reasonOf } from '../doctor/hints.ts';
import { testDocument } from '../../agent/receipts/test-document.ts';

import { parseFlags } from './args.ts';
import { field, print, printError } from './output.ts';

const HELP = `till-agent print-test [--printer NAME] [--drawer] [--config FILE | --data DIR | --socket PATH | --tcp HOST:PORT]

Prints a test receipt on a printer of the running agent (default: the first printer):
code-page lines (€ ü ñ é ß), rulers of 32, 42 and 48 columns (the longest one that
stays on one line is the printer's width), a long wrapped name and a QR code.
--drawer also kicks the cash drawer. Reports printed (confirmed by the printer), sent (a printer that cannot confirm), uncertain
(interrupted mid-print, with the reason), queued (the printer is not ready: the receipt waits
in its queue) or the error code with its reason and a hint.
Exit status: 0 when printed or sent, 1 when uncertain, queued or failed, 2 on bad usage.

${CONNECTION_HELP}`;

export async function printTestCommand(args: string[]): Promise<number> {
  const { values: options } = parseFlags(args, { ...CONNECTION_FLAGS, printer: { type: 'string' }, drawer: { type: 'boolean' } });
  if (options.help) {
    print(HELP);
    return 0;
  }
  const printer = options.printer;
  const connection = connectionFrom(options);
  let session;
  try {
    session = await openSession(targetFrom(connection), 30_000);
  } catch (error) {
    printError(`till-agent print-test: ${(error as Error).message}\n`);
    return 1;
  }
  try {
    const now = new Date();
    const listed = printer ? undefined : await session.request('devices.list');
    const first = listed?.ok ? (listed.result as { devices: Array<{ name: string; kind: string }> }).devices.find((d) => d.kind === 'printer') : undefined;
    const txn = `print-test-${now.getTime()}`; // only the QR code's content: no sale has this id
    const answer = await session.request('receipt.print', {
      ...(printer ? { printer } : {}),
      document: testDocument(printer ?? first?.name ?? 'default', now),
      txn_id: txn,
      open_drawer: options.drawer === true,
    });
    if (!answer.ok) {
      const { code, message } = answer.error;
      const reason = reasonOf(message);
      const hint = printerHint(reason) ?? printerHint(code);
      print(`✖ ${field(code)}${reason ? ` (${field(reason)})` : ''}: ${field(message)}\n${hint ? `  hint: ${hint}\n` : ''}`);
      return 1;
    }
    const r = answer.result as { status: string; printer: string; job_id: string; warnings?: string[]; reason?: string };
    if (r.status === 'uncertain') {
      print(`? uncertain on ${field(r.printer)} (job ${field(r.job_id)}): ${field(r.reason ?? 'interrupted')}: the receipt may be partly printed.\n` +
        `  ${printerHint(r.reason) ?? 'Check the paper and the printer, then run print-test again.'}\n`);
      return 1;
    }
    if (r.status === 'queued') {
      print(`… queued on ${field(r.printer)} (job ${field(r.job_id)}): the printer is not ready; the receipt prints when it\n` +
        `  comes back, or fails after its queue timeout. Check: till-agent status, till-agent doctor\n`);
      return 1;
    }
    const warnings = r.warnings?.length ? `; warnings: ${r.warnings.map((w) => `${field(w)} (${printerHint(w) ?? ''})`).join(', ')}` : '';
    const how = r.status === 'sent' ? `sent to ${field(r.printer)} (it cannot confirm printing: check the paper)` : `printed on ${field(r.printer)}`;
    print(`✔ ${how} (job ${field(r.job_id)})${options.drawer ? ', drawer kicked' : ''}${warnings}
`);
    return 0;
  } catch (error) {
    printError(`till-agent print-test: ${(error as Error).message}\n`);
    return 1;
  } finally {
    session.close();
  }
}
