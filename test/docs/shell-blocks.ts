/**
 * The commands of the docs' shell blocks that name something of this repository:
 * `bridgekit <command>` (the command exists, and takes the flags and subcommand shown),
 * `npm run <script>` / `npm start` / `npm test` (the script exists), `bash <file>` (it exists).
 * Everything else (npm install, mkdir, node…) is the reader's own shell.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface ShellCheck {
  readonly repoRoot: string;
  readonly scripts: Readonly<Record<string, string>>;
}

/** What is wrong with one line of a shell block, if anything. */
export function shellLineProblems(line: string, check: ShellCheck, help: (command: string) => string | undefined): string[] {
  const problems: string[] = [];
  const withoutComment = line.replace(/(^|\s)#\s.*$/, '').trim();
  for (const segment of withoutComment.split(/&&|\|\||;/).map((s) => s.trim()).filter(Boolean)) {
    const words = segment.split(/\s+/);
    const [first, second, third] = words;
    if ((first === 'npx' && second === 'bridgekit') || first === 'bridgekit') {
      const rest = first === 'npx' ? words.slice(2) : words.slice(1);
      problems.push(...bridgekitProblems(rest, help));
    } else if (first === 'npm' && (second === 'start' || second === 'test') && !(second in check.scripts)) {
      problems.push(`there is no npm script '${second}'`);
    } else if (first === 'npm' && second === 'run' && third !== undefined && !(third in check.scripts)) {
      problems.push(`there is no npm script '${third}'`);
    } else if (first === 'bash' && second !== undefined && !existsSync(join(check.repoRoot, second))) {
      problems.push(`${second} does not exist`);
    }
  }
  return problems;
}

function bridgekitProblems(args: string[], help: (command: string) => string | undefined): string[] {
  const [name, sub] = args;
  if (name === undefined) return [];
  const text = help(name);
  if (text === undefined) return [`bridgekit has no command '${name}'`];
  const usage = text.split('\n')[0] ?? '';
  const problems = args.filter((a) => a.startsWith('-') && !new RegExp(`(^|[\\s,\\[])${escape(a)}\\b`, 'm').test(text))
    .map((flag) => `bridgekit ${name} has no flag ${flag}`);
  if (sub !== undefined && /^[a-z]+(\|[a-z]+)*$/.test(sub)) {
    problems.push(...sub.split('|').filter((s) => !usage.includes(s)).map((s) => `bridgekit ${name} has no '${s}' (usage: ${usage})`));
  }
  return problems;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `bridgekit <command> --help`, from the build; undefined for a command that does not exist. */
export function cliHelp(repoRoot: string): (command: string) => string | undefined {
  const cache = new Map<string, string | undefined>();
  return (command) => {
    if (!cache.has(command)) {
      const res = spawnSync(process.execPath, [join(repoRoot, 'dist/src/cli/main.js'), command, '--help'], { encoding: 'utf8', timeout: 20_000 });
      cache.set(command, res.status === 0 ? res.stdout : undefined);
    }
    return cache.get(command);
  };
}
