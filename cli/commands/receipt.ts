// `till-agent receipt preview --txn ID`: the loyalty receipt of a sale as the till's printer would
// print it, rendered to PNG and text from the agent's SQLite file (read-only; the agent may run).
import { basename, dirname, extname, resolve } from 'node:path';
import { CODE_PAGE_NAMES } from '../../drivers/code-pages.ts';
import { writePreview } from '../../drivers/receipt-preview.ts';
import { ConfigError } from '../../runtime/config-file.ts';
import { layoutReceipt } from '../../agent/receipts/layout.ts';
import { loyaltySection } from '../../agent/receipts/loyalty-section.ts';
import { encodeEscPos, printableIn } from '../../agent/receipts/encode.ts';
import { saleDocument } from '../../agent/receipts/sale-document.ts';
import { readTxnRecords } from '../../agent/receipts/txn-records.ts';
import { UsageError, intFlag, parseFlags } from './args.ts';
import { locateDatabase } from './locate-config.ts';
import { field, print, printError } from './output.ts';

const HELP = `till-agent receipt preview --txn TXN_ID [--config FILE | --data DIR] [--out FILE.png] [--width N] [--code-page NAME]

Renders the receipt of a sale as the till's printer would print it: the basket sent with
its award, and the loyalty section (customer, awarded, spent, new balance, offline notes)
from the agent's records, with the QR code of the sale. Reads data_dir/till-agent.db
read-only, so it works whether the agent is running or not.
  --config FILE    the agent's config (default /etc/till-agent/config.yaml, else the
                   demo's ./data/config.yaml)
  --data DIR       a demo's data directory, or an agent's data_dir itself
  --out FILE.png   where to write the image (default ./receipt-TXN_ID.png); the text
                   preview goes next to it as FILE.txt
  --width N        columns (default: the first configured printer's width, else 42)
  --code-page NAME ${CODE_PAGE_NAMES.join(' ')}
                   (default: the first configured printer's, else cp858)
Exit status: 0 when written, 1 for an unknown sale or an unreadable database, 2 on bad usage.
`;

const USAGE_ERROR = 2;

export async function receiptCommand(args: string[]): Promise<number> {
  const { values: options, positionals: [sub] } = parseFlags(args, {
    txn: { type: 'string' }, config: { type: 'string' }, data: { type: 'string' },
    out: { type: 'string' }, width: { type: 'string' }, 'code-page': { type: 'string' },
  }, 1);
  if (options.help) {
    print(HELP);
    return 0;
  }
  const fail = (message: string, code = 1) => {
    printError(`till-agent receipt preview: ${message}\n${code === USAGE_ERROR ? `\n${HELP}` : ''}`);
    return code;
  };
  if (sub !== 'preview') return fail(sub ? `unknown subcommand "${sub}"` : 'give a subcommand: preview', USAGE_ERROR);
  if (options.txn === undefined) return fail('--txn TXN_ID is required', USAGE_ERROR);
  const txn = options.txn;
  const requestedWidth = options.width === undefined ? undefined : intFlag(options.width, 'width', 42, 16, 80);

  if (options.config !== undefined && options.data !== undefined) throw new UsageError('give only one of --config, --data');
  let located;
  try {
    located = locateDatabase(options);
  } catch (error) {
    return fail(error instanceof ConfigError ? `${error.file}: ${error.errors.join('; ')}` : (error as Error).message);
  }
  const { config, file: dbFile } = located;
  const printer = config?.devices.find((d) => d.kind === 'printer');
  const width = requestedWidth ?? printer?.width ?? 42;
  const page = options['code-page']?.toLowerCase() ?? printer?.code_page ?? 'cp858';
  if (!CODE_PAGE_NAMES.includes(page)) return fail(`--code-page must be one of ${CODE_PAGE_NAMES.join(', ')}`, USAGE_ERROR);
  // The configured ESC t number only applies when previewing in that printer's own code page.
  const pageNumber = printer?.code_page === page ? printer.code_page_number : undefined;

  let records;
  try {
    records = readTxnRecords(dbFile, txn);
  } catch (error) {
    return fail(`cannot read ${dbFile}: ${(error as Error).message}`);
  }
  // Without a config (--data naming an agent's data_dir) the till's identity is not known here.
  const doc = saleDocument(records.rows, config ? [config.merchant, `Store ${config.store}`] : []);
  if (!doc) return fail(`NOT_FOUND: no sale with txn_id "${field(txn)}" in ${dbFile}`);

  const loyalty = loyaltySection(records.rows, records.customerName, records.customer) ?? undefined;
  const at = new Date(records.rows[0]?.created_at ?? Date.now());
  const meta = { at, saleNumber: txn, storeHeader: config ? [config.merchant] : [], ...(config ? { till: `Till ${config.terminal}` } : {}) };
  const ops = layoutReceipt(doc, { width, printable: printableIn(page), meta }, loyalty, txn);
  const bytes = encodeEscPos(ops, { codePage: page, ...(pageNumber !== undefined ? { codePageNumber: pageNumber } : {}) });

  const out = resolve(options.out ?? `receipt-${txn.replace(/[^A-Za-z0-9_.-]/g, '_')}.png`);
  const base = basename(out, extname(out));
  try {
    const written = await writePreview(dirname(out), base, bytes, {
      columns: width,
      ...(pageNumber !== undefined ? { codePageNumbers: { [pageNumber]: page } } : {}),
    });
    if (!written) return fail('the receipt came out empty'); // layout always prints text; kept for the type
    print(`receipt of ${field(txn)}${loyalty ? ' with its loyalty section' : ''} (${width} columns, ${page})\n` +
      `  image  ${written.png}\n  text   ${written.txt}\n`);
    return 0;
  } catch (error) {
    return fail(`cannot write the preview: ${(error as Error).message}`);
  }
}
