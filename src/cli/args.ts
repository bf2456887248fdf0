import { parseArgs, type ParseArgsConfig } from 'node:util';
import { out, UsageError } from './output.js';

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

/**
 * The usual start of a command: parse, print the usage for `--help` (returns undefined
 * then), and require `-c`.
 */
export function parseConfigCommand(
  command: { readonly name: string; readonly usage: string },
  argv: string[],
  options: Options = {},
): { readonly configPath: string; readonly parsed: ParsedCommand } | undefined {
  const parsed = parseCommandArgs(command.name, argv, { ...configOption, ...options });
  if (parsed.values['help']) {
    out(command.usage);
    return undefined;
  }
  return { configPath: requireConfigPath(command.name, parsed.values['config']), parsed };
}

export function requireConfigPath(command: string, value: string | boolean | undefined): string {
  if (typeof value !== 'string' || value === '') {
    throw new UsageError(`bridgekit ${command}: missing -c <config.yaml>\nTry 'bridgekit ${command} --help'.`);
  }
  return value;
}
