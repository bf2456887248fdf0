/**
 * What a fragment in the docs leaves out, so it can be compiled (and run) as written:
 * a named context puts code before and after the block and may add files beside it.
 * A page marks a fragment with `<!-- compile: in <name> -->` (markdown-blocks.ts).
 */
export interface BlockContext {
  readonly prelude: string;
  readonly postlude?: string;
  /** Folder of the page's project (its file blocks) the fragment sits in, for its relative imports. */
  readonly dir?: string;
  /** Files beside the fragment, by name. */
  readonly files?: Readonly<Record<string, string>>;
  /** The fragment is an excerpt of this file block of the same page: each of its lines is one of the file's. */
  readonly excerptOf?: string;
}

const chatterImports = `import type { BridgePlugin, PluginContext } from 'matrix-bridgekit';
import type { Chatter } from './chatter.js';
`;

const myPlugin = `import type { BridgePlugin } from 'matrix-bridgekit';
const plugin: BridgePlugin = { name: 'my', capabilities: { messages: true }, async start() {} };
export default plugin;
`;

const pluginMembers: BlockContext = {
  dir: 'src',
  prelude: `${chatterImports}declare const network: Chatter;
declare const ctx: PluginContext | undefined;
export const members: Partial<BridgePlugin> = {
`,
  postlude: '};\n',
};

export const contexts: Readonly<Record<string, BlockContext>> = {
  /** A registration the test already has. */
  'test-registration': {
    prelude: `import type { Registration } from 'matrix-bridgekit';
declare const registration: Registration;
`,
  },
  /** A test homeserver started before the block and stopped after it. */
  'test-homeserver': {
    prelude: `import { TestHomeserver } from 'matrix-bridgekit/testing';
const hs = await TestHomeserver.start();
`,
    postlude: 'await hs.stop();\n',
  },
  /** A plugin of the reader's: `./my-plugin.js` (default export) and `createMyPlugin()`. */
  'my-plugin': {
    prelude: `import myPluginModule from './my-plugin.js';
const createMyPlugin = () => ({ ...myPluginModule });
`,
    files: { 'my-plugin.ts': myPlugin },
  },
  /** Beside the tutorial's src/plugin.ts: the contract's types and the Chatter network. */
  'chatter-module': { dir: 'src', prelude: chatterImports },
  /** Inside the tutorial's `start(context)`. */
  'chatter-start': {
    dir: 'src',
    excerptOf: 'src/plugin.ts',
    prelude: `${chatterImports}export function started(network: Chatter, context: PluginContext): void {\n`,
    postlude: '}\n',
  },
  /** Members of the plugin object the tutorial's chatterBridge returns. */
  'chatter-plugin-members': { ...pluginMembers, excerptOf: 'src/plugin.ts' },
  /** Members one could add to it. */
  'chatter-plugin-additions': pluginMembers,
  /** The members of a plugin with a config schema (zod). */
  'plugin-config-members': {
    prelude: `import { z } from 'zod';
import type { BridgePlugin } from 'matrix-bridgekit';
declare function connect(host: string, port: number): void;
export const members: Pick<BridgePlugin<{ server: { host: string; port: number } }>, 'configSchema' | 'start'> = {
`,
    postlude: '};\n',
  },
};
