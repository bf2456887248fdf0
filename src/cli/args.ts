import { parseArgs, type ParseArgsConfig } from 'node:util';
import { out, UsageError } from './output.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export const configOption = { config: { type: 'string', short: 'c' } } as const satisfies Options;
export const helpOption = { help: { type: 'boolean', short: 'h' } } as const satisfies Options;

export interface ParsedCommand {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

/** Parses a command's arguments; a bad flag becomes a UsageError naming the command and where help is. */
export function parseCommandArgs(command: string, argv: string[], options: Options): ParsedCommand {
  try {
    return parseArgs({ args: argv, options: { ...options, ...helpOption }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`bridgekit ${command}: ${argumentProblem(e as Error & { code?: string })}\n${seeHelp(command)}`);
  }
}

export const seeHelp = (command: string): string =>
  `See 'bridgekit ${command} --help' for its options, 'bridgekit --help' for every command.`;

/** parseArgs's words, without its advice on positionals (which ends on an unbalanced quote). */
function argumentProblem(e: Error & { code?: string }): string {
  const unknown = /^Unknown option '([^']+)'/.exec(e.message);
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) return `unknown option ${unknown[1]}`;
  const missing = /^Option '(.+) <value>' argument missing/.exec(e.message);
  if (missing) return `option ${missing[1]} needs a value`;
  return e.message.replace(/\.$/, '');
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
    throw new UsageError(`bridgekit ${command}: missing -c <config.yaml>\n${seeHelp(command)}`);
  }
  return value;
}
