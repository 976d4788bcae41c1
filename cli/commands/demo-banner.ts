// What the demo prints once it runs: where to connect, the walkthrough's first requests (the
// same lines as README's, from demo-walkthrough.ts), how operator commands find it, how to stop.
import { join, relative } from 'node:path';
import { VERSION } from '../../agent/version.ts';
import { DEMO_DATA_DIR } from './locate-config.ts';
import { DEMO_CARD, line } from './demo-walkthrough.ts';

export interface BannerFacts {
  port: number;
  unix: string;
  brokerUrl: string;
  dataDir: string;
  configFile: string;
  pid: number;
  cwd: string;
  /** The status page's link, with the token that unlocks its buttons. */
  statusPage: string;
}

export function banner(f: BannerFacts): string {
  // Commands run from where the demo was started find ./data by themselves; else say --data.
  const isDefault = relative(f.cwd, f.dataDir) === DEMO_DATA_DIR;
  const data = isDefault ? '' : ` --data ${f.dataDir}`;
  return `
till-agent ${VERSION} demo is running (pid ${f.pid})
  POS socket   tcp 127.0.0.1:${f.port}   unix ${f.unix}
  MQTT broker  ${f.brokerUrl} (embedded)
  data         ${f.dataDir}
  config       ${f.configFile} (what the agent runs with)
  status page  ${f.statusPage}
Connect with:  socat - TCP:127.0.0.1:${f.port}    (or: socat - UNIX-CONNECT:${f.unix}, or nc 127.0.0.1 ${f.port})
and paste, one line at a time (README, "A 5-minute walkthrough", explains each):
${line('hello')}
${line('identify')}
${line('preview')}
${line('award')}
${line('spend')}
${line('conflict')}
${line('status')}
${line('print')}
Scan a card: type ${DEMO_CARD} and Enter here (lines piped into the demo are scanned too),
or run "npx till-agent scan ${DEMO_CARD}${data}"; see the events after
${line('subscribeScans')}
Receipts: every print is written as .txt and .png into ${join(f.dataDir, 'agent', 'receipts')};
the printer's cash drawer "opens" on a kick for 3 s. The customer display (display0) is drawn
here as two lines: it follows the sale (preview, award) or shows what you send, e.g.
{"id":9,"op":"display.show","params":{"lines":["Welcome!","Grüße aus Zürich"]}}
Operator commands find this demo:  npx till-agent status${data}   npx till-agent outbox list${data}
  npx till-agent receipt preview --txn demo-1${data}
Ctrl-C (or kill ${f.pid}) stops everything; npm start -- --reset${data} starts again from the seed.
`;
}
