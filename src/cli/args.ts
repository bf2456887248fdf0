import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './output.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export const configOption = { config: { type: 'string', short: 'c' } } as const satisfies Options;
export const helpOption = { help: { type: 'boolean', short: 'h' } } as const satisfies Options;

export interface ParsedCommand {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

/** Parses a command's arguments; unknown flags become a UsageError naming the command. */
export function parseCommandArgs(command: string, argv: string[], options: Options): ParsedCommand {
  try {
    return parseArgs({ args: argv, options: { ...options, ...helpOption }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`bridgekit ${command}: ${(e as Error).message}\nTry 'bridgekit ${command} --help'.`);
  }
}

export function requireConfigPath(command: string, value: string | boolean | undefined): string {
  if (typeof value !== 'string' || value === '') {
    throw new UsageError(`bridgekit ${command}: missing -c <config.yaml>\nTry 'bridgekit ${command} --help'.`);
  }
  return value;
}
