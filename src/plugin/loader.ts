import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve as resolveModule } from 'import-meta-resolve';
import { ConfigError } from '../config/index.js';
import type { BridgePlugin } from './contract.js';
import type { StandardIssue } from './standard-schema.js';

/** dist/bridges/, next to dist/src/ where this file is compiled. */
const BRIDGES_DIR = fileURLToPath(new URL('../../bridges/', import.meta.url));

function isPlugin(value: unknown): value is BridgePlugin<unknown> {
  const v = value as Partial<BridgePlugin<unknown>> | undefined;
  return typeof v === 'object' && v !== null && typeof v.name === 'string'
    && typeof v.start === 'function' && typeof v.capabilities === 'object' && v.capabilities !== null;
}

const isPath = (name: string): boolean => isAbsolute(name) || /^\.\.?([/\\]|$)/.test(name);

/**
 * Where `bridge.plugin` is, the way Node finds modules: a path (`./dist/index.js`) is
 * relative to the config file's folder; a folder of bridgekit's bridges/ (`echo`) is
 * bridgekit's own; anything else is a package, looked up from the config file's folder
 * (its node_modules, or the project itself by its own name), then from the working directory.
 */
export function pluginUrl(name: string, configDir: string = process.cwd()): string {
  if (isPath(name)) {
    const path = resolve(configDir, name);
    if (!existsSync(path)) throw new ConfigError(`bridge.plugin: ${path} does not exist (a relative path is relative to the config file's folder, ${configDir})`);
    return pathToFileURL(path).href;
  }
  const local = `${BRIDGES_DIR}${name}/index.js`;
  if (/^[a-z0-9-]+$/.test(name) && existsSync(local)) return pathToFileURL(local).href;
  const from = [...new Set([configDir, process.cwd()])];
  for (const dir of from) {
    try {
      return resolveModule(name, pathToFileURL(`${dir}/`).href);
    } catch {
      // Not found from here: try the next folder.
    }
  }
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
