import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
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

/**
 * Loads `bridge.plugin`: a folder of bridges/ (`echo`), or a package name or path that
 * default-exports a plugin.
 */
export async function loadPlugin(name: string): Promise<BridgePlugin<unknown>> {
  const local = `${BRIDGES_DIR}${name}/index.js`;
  const specifier = /^[a-z0-9-]+$/.test(name) && existsSync(local) ? pathToFileURL(local).href : name;
  let mod: { default?: unknown; plugin?: unknown };
  try {
    mod = (await import(specifier)) as { default?: unknown; plugin?: unknown };
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
