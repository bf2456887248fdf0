import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve as resolveModule } from 'import-meta-resolve';
import { ConfigError } from '../config/index.js';
import type { BridgePlugin } from './contract.js';
import type { StandardIssue } from './standard-schema.js';

/** bridgekit's own bridges: each is a workspace package, `bridges/<name>` in the repository. */
const BUILT_IN = new Set(['echo', 'webhook', 'irc']);
const builtInPackage = (name: string): string => `matrix-bridgekit-${name}`;

function isPlugin(value: unknown): value is BridgePlugin<unknown> {
  const v = value as Partial<BridgePlugin<unknown>> | undefined;
  return typeof v === 'object' && v !== null && typeof v.name === 'string'
    && typeof v.start === 'function' && typeof v.capabilities === 'object' && v.capabilities !== null;
}

const isPath = (name: string): boolean => isAbsolute(name) || /^\.\.?([/\\]|$)/.test(name);

function resolveFrom(name: string, dirs: readonly string[]): string | undefined {
  for (const dir of dirs) {
    try {
      return resolveModule(name, pathToFileURL(`${dir}/`).href);
    } catch {
      // Not found from here: try the next folder.
    }
  }
  return undefined;
}

/**
 * Where `bridge.plugin` is, the way Node finds modules: a path (`./dist/index.js`) is
 * relative to the config file's folder; anything else is a package, looked up from the
 * config file's folder (its node_modules, or the project itself by its own name), then from
 * the working directory. A built-in name (`echo`) is its package, `matrix-bridgekit-echo`,
 * found there or else from bridgekit's own folder (a clone, where the workspace links it).
 */
export function pluginUrl(name: string, configDir: string = process.cwd()): string {
  if (isPath(name)) {
    const path = resolve(configDir, name);
    if (!existsSync(path)) throw new ConfigError(`bridge.plugin: ${path} does not exist (a relative path is relative to the config file's folder, ${configDir})`);
    return pathToFileURL(path).href;
  }
  const from = [...new Set([configDir, process.cwd()])];
  if (BUILT_IN.has(name)) {
    const url = resolveFrom(builtInPackage(name), [...from, fileURLToPath(new URL('.', import.meta.url))]);
    if (url) return url;
    throw new ConfigError(
      `bridge.plugin: '${name}' is one of bridgekit's own bridges, the package ${builtInPackage(name)} `
      + `(bridges/${name} in bridgekit's repository), and it is not installed in ${from.join(' or ')}; `
      + 'run it from a clone of bridgekit, or install that package there',
    );
  }
  const url = resolveFrom(name, from);
  if (url) return url;
  throw new ConfigError(
    `bridge.plugin: cannot find the package '${name}' from ${from.join(' or ')}; `
    + `install it there (npm install ${name}), or give a path such as ./dist/index.js`,
  );
}

/**
 * Loads `bridge.plugin` (see pluginUrl); the module's default export (or `plugin`) is the plugin.
 */
export async function loadPlugin(name: string, configDir?: string): Promise<BridgePlugin<unknown>> {
  const url = pluginUrl(name, configDir);
  let mod: { default?: unknown; plugin?: unknown };
  try {
    mod = (await import(url)) as { default?: unknown; plugin?: unknown };
  } catch (e) {
    throw new ConfigError(`bridge.plugin: cannot load '${name}' (${(e as Error).message.split('\n')[0]})`);
  }
  const plugin = mod.default ?? mod.plugin;
  if (!isPlugin(plugin)) {
    throw new ConfigError(`bridge.plugin: '${name}' does not export a plugin (name, capabilities, start)`);
  }
  return plugin;
}

function pathOf(issue: StandardIssue): string {
  return (issue.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.');
}

/** Validates `bridge.config` with the plugin's schema; errors name `bridge.config.<key>`. */
export async function validatePluginConfig<C>(plugin: BridgePlugin<C>, raw: unknown): Promise<C> {
  if (!plugin.configSchema) return raw as C;
  const result = await plugin.configSchema['~standard'].validate(raw ?? {});
  if (result.issues) {
    const problems = result.issues.map((i) => `${['bridge.config', pathOf(i)].filter(Boolean).join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration for the ${plugin.name} plugin\n  ${problems.join('\n  ')}`, problems);
  }
  return result.value;
}
