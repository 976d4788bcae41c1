// `till-agent config check`: the config as this version of the agent reads it, nothing else (no
// broker, devices or database: doctor does those). The .deb's postinst runs it before restarting
// the service on an upgrade, so a key the new version refuses stops the upgrade with the key and
// its fix, instead of a service that no longer starts.
import { ConfigError } from '../../runtime/config-file.ts';
import { loadConfig } from '../../agent/config.ts';
import { loadHostConfig } from '../../host/config.ts';
import { VERSION } from '../../agent/version.ts';
import { UsageError, parseFlags } from './args.ts';
import { NotFoundError, locateConfig } from './locate-config.ts';
import { field, print, printError } from './output.ts';

const HELP = `till-agent config check [--config FILE | --data DIR | --host FILE]

Reads the config as "till-agent run" would and says whether this version accepts it: every
error names its key and what to write instead. Nothing is started or created.
Without --config or --data: /etc/till-agent/config.yaml, else the demo's ./data/config.yaml.
--host FILE: the reference host's config (/etc/till-agent/host.yaml), as "till-agent host" reads it.
Exit status: 0 valid, 2 invalid (or bad usage), 1 when there is no config.
`;

export async function configCommand(args: string[]): Promise<number> {
  const { values: options, positionals } = parseFlags(args, { config: { type: 'string' }, data: { type: 'string' }, host: { type: 'string' } }, 1);
  if (options.help) {
    print(HELP);
    return 0;
  }
  const [sub] = positionals;
  if (sub !== 'check') throw new UsageError(sub === undefined ? 'missing subcommand: check' : `unknown subcommand "${sub}" (check)`);
  if ([options.config, options.data, options.host].filter((o) => o !== undefined).length > 1) throw new UsageError('give only one of --config, --data, --host');
  if (options.host !== undefined) return checkHost(options.host);
  let file;
  try {
    file = locateConfig(options, { hint: 'use --config FILE or --data DIR (the demo\'s data directory)' });
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    printError(`${error.message}\n`);
    return 1;
  }
  try {
    const config = loadConfig(file);
    print(`${field(file)}: valid for till-agent ${VERSION} (till ${field(config.merchant)}/${field(config.store)}/${field(config.terminal)}, `
      + `${config.devices.length} device(s), data_dir ${field(config.data_dir)})\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    printError(`${error.message}\nEvery line names its key (see README, Configuration): fix them in ${file}.\n`);
    return 2;
  }
}

/**
 * The host's config as `till-agent host` reads it: the .deb's postinst checks a host that runs on
 * this machine before restarting it, as it does the agent's (a refused key would leave the fleet's
 * host down after an upgrade).
 */
function checkHost(file: string): number {
  try {
    const config = loadHostConfig(file);
    print(`${field(file)}: valid for till-agent host ${VERSION} (store ${config.store}, backend ${config.backend}, data_dir ${field(config.data_dir)})\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    printError(`${error.message}\nEvery line names its key (see host/README.md, Config): fix them in ${file}.\n`);
    return 2;
  }
}
