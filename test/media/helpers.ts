import type { BridgePlugin, PluginContext } from '../../src/plugin/contract.js';
import { TestBridge } from '../../src/testing/index.js';

export const PUBLIC = 'https://bridge.example.org';

/** A plugin that only keeps its context, to reach `ctx.media` as a bridge would. */
export function capturing(): { plugin: BridgePlugin; ctx: () => PluginContext } {
  let saved: PluginContext | undefined;
  return {
    plugin: { name: 'capture', capabilities: {}, async start(ctx) { saved = ctx; } },
    ctx: () => saved!,
  };
}

export interface CapturingBridge {
  readonly t: TestBridge;
  readonly ctx: PluginContext;
  /** A link as the plugin makes it, pointed at the running bridge instead of its public name. */
  local(link: string | undefined): string;
}

/** A test bridge running a capturing plugin. */
export async function capturingBridge(options: Parameters<typeof TestBridge.start>[1] = {}): Promise<CapturingBridge> {
  const c = capturing();
  const t = await TestBridge.start(c.plugin, options);
  return { t, ctx: c.ctx(), local: (link) => link!.replace(PUBLIC, t.bridge.url) };
}
