import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { configSchema, type BridgeConfig } from './schema.js';
import { ConfigError, configErrorFrom } from './errors.js';

/** Reads YAML text, naming the file and line on a syntax error. */
export async function readYamlFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${what} ${path}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  try {
    return parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${what} ${path}: not valid YAML: ${yamlProblem(err as Error)}`);
  }
}

/**
 * The parser's message whole: "… at line 3, column 1" and the lines it points into,
 * indented under it (the parser ends its first line on a colon that introduces them).
 */
function yamlProblem(err: Error): string {
  const [first = '', ...rest] = err.message.replace(/\n+$/, '').split('\n');
  const excerpt = rest.filter((line, i) => i > 0 || line !== '').map((line) => `  ${line}`);
  return [first.replace(/:$/, ''), ...excerpt].join('\n');
}

/** Validates an already-parsed config; relative paths are resolved against `baseDir`. */
export function validateConfig(raw: unknown, source: string, baseDir: string): BridgeConfig {
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) throw configErrorFrom(source, result.error.issues);
  const config = result.data;
  config.appservice.registration = resolve(baseDir, config.appservice.registration);
  if (config.store.path !== undefined) config.store.path = resolve(baseDir, config.store.path);
  return { ...config, configDir: baseDir };
}

export async function loadConfig(path: string): Promise<BridgeConfig> {
  const raw = await readYamlFile(path, 'config');
  return { ...validateConfig(raw, path, dirname(resolve(path))), configFile: path };
}
