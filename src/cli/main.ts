#!/usr/bin/env node
// First: V8's settings must be in place before the rest is loaded and run.
import './v8-flags.js';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/index.js';
import { StoreOpenError } from '../store/index.js';
import type { Command } from './command.js';
import { deadLetters } from './dead-letters.js';
import { doctor } from './doctor.js';
import { generateRegistration } from './generate-registration.js';
import { inspect } from './inspect.js';
import { migrateCommand } from './migrate.js';
import { resync } from './resync.js';
import { runCommand } from './run.js';
import { err, out, UsageError } from './output.js';

const commands: Command[] = [runCommand, generateRegistration, deadLetters, doctor, inspect, resync, migrateCommand];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'bridgekit: run and operate Matrix application-service bridges',
    '',
    'usage: bridgekit <command> [options]   (bridgekit <command> --help for more)',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    '  --version  print the version',
    '',
    'exit codes: 0 done (or stopped by SIGTERM/SIGINT); 1 something to fix in the command,',
    '            the config, the registration, a port or the store (the message says what);',
    '            2 an unexpected error (a bug: the stack trace is printed, please report it)',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    out(help());
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-v') {
    out(version());
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) throw new UsageError(`bridgekit: unknown command '${name}'\n\n${help()}`);
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    if (e instanceof ConfigError || e instanceof UsageError) {
      err(e.message);
      process.exitCode = 1;
    } else if (e instanceof StoreOpenError) {
      err(`bridgekit: ${e.message}`);
      process.exitCode = 1;
    } else {
      err(`bridgekit: ${(e as Error)?.stack ?? String(e)}`);
      process.exitCode = 2;
    }
  },
);
