import { parseConfigCommand } from './args.js';
import type { Command } from './command.js';
import {
  checkBot, checkConfig, checkHomeserver, checkRegistration, checkStore, doctorApi, skip, type CheckResult, type CheckStatus,
} from './doctor-checks.js';
import { checkJournal } from './doctor-journal.js';
import { checkCluster } from './doctor-cluster.js';
import { checkPing } from './doctor-ping.js';
import { checkEncryption } from './doctor-encryption.js';
import type { HomeserverApi } from '../homeserver/index.js';
import { out } from './output.js';

const MARKS: Readonly<Record<CheckStatus, string>> = { pass: '✔', fail: '✘', warn: '!', skip: '-' };

function print(result: CheckResult): void {
  const advice = result.advice && result.status !== 'pass' ? ` — ${result.advice}` : '';
  const detail = result.status === 'skip' ? `skipped (${result.detail})` : result.detail;
  for (const note of result.notes ?? []) out(`  ${note}`);
  out(`${MARKS[result.status]} ${result.name}: ${detail}${advice}`);
}

/** Runs the checks in order, printing each as it finishes; later checks skip when what they need failed. */
async function diagnose(configPath: string): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const report = (result: CheckResult) => {
    results.push(result);
    print(result);
  };
  const { result: configResult, config } = await checkConfig(configPath);
  report(configResult);
  if (!config) {
    for (const name of ['registration matches the config', 'homeserver reachable', 'bot registered', 'ping round trip', 'encryption supported', 'store writable', 'journal intact', 'cluster']) {
      report(skip(name, 'the config must load first'));
    }
    return results;
  }
  const { result: registrationResult, registration } = await checkRegistration(config);
  report(registrationResult);
  const homeserver = await checkHomeserver(config);
  report(homeserver);
  let api: HomeserverApi | undefined;
  if (!registration) {
    report(skip('bot registered', 'needs a readable registration'));
    report(skip('ping round trip', 'needs a readable registration'));
  } else if (homeserver.status !== 'pass') {
    report(skip('bot registered', 'needs a reachable homeserver'));
    report(skip('ping round trip', 'needs a reachable homeserver'));
  } else {
    api = doctorApi(config, registration);
    report(await checkBot(api));
    report(await checkPing(config, registration, api));
  }
  report(await checkEncryption(config, registration, api));
  report(await checkStore(config));
  report(await checkJournal(config));
  report(await checkCluster(config));
  return results;
}

export const doctor: Command = {
  name: 'doctor',
  summary: 'check config, registration, homeserver, bot, ping round trip, store, journal and cluster',
  usage: `bridgekit doctor -c config.yaml

Checks, each with a pass (✔) or fail (✘) line and what to do about a failure:
  config valid                     the config and the plugin's section
  registration matches the config  id, bot and url agree
  homeserver reachable             GET /_matrix/client/versions, and the spec versions
  bot registered                   whoami as the bot with the as_token
  ping round trip                  the homeserver calls the bridge's /_matrix/app/v1/ping
  encryption supported             with encryption.enabled: registration flags, MSC3202 device masquerading
  store writable                   the Level store opens and takes a write
  journal intact                   no transaction answered 200 is missing from the journal
  cluster                          PostgreSQL store: live processes and their leases, rows
                                   expired and not reaped, the shared journal's backlog,
                                   lanes with items no process leases

Run it with or without the bridge: when appservice.port is free, doctor answers the
ping itself on a temporary listener; when the bridge holds the store, that counts as
writable. Exit code 0 when every check passes, 1 otherwise.

  -c, --config   the bridge config (required)`,

  async run(argv) {
    const command = parseConfigCommand(this, argv);
    if (!command) return 0;
    const results = await diagnose(command.configPath);
    const failed = results.filter((r) => r.status === 'fail').length;
    out();
    out(failed === 0 ? 'all checks passed' : `${failed} check(s) failed`);
    return failed === 0 ? 0 : 1;
  },
};
