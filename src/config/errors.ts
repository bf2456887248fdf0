import type { z } from 'zod';

/** A config, registration or plugin-config problem; `message` names the key and the fault. */
export class ConfigError extends Error {
  constructor(message: string, readonly problems: readonly string[] = [message]) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Turns zod issues into `a.b.c: what is wrong` lines, unknown keys included. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], prefix = ''): string[] {
  return issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    if (issue.code === 'unrecognized_keys') {
      return `${path || '(top level)'}: unknown key(s) ${issue.keys.join(', ')}`;
    }
    return `${path || '(top level)'}: ${issue.message}`;
  });
}

export function configErrorFrom(source: string, issues: readonly z.core.$ZodIssue[], prefix = ''): ConfigError {
  const problems = describeIssues(issues, prefix);
  return new ConfigError(`${source}: invalid configuration\n  ${problems.join('\n  ')}`, problems);
}
