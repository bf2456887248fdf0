import { randomBytes } from 'node:crypto';
import { ProvisioningRefusal, type PluginContext, type PluginProvisioning } from 'matrix-bridgekit';
import { HOOK_NAME, type Hooks } from './hooks.js';
import { ensureLinked } from './inbound.js';

export interface ProvisioningDeps {
  readonly hooks: Hooks;
  readonly mappings: PluginContext['mappings'];
  readonly baseUrl: string;
}

/**
 * The provisioning API's bridge and unbridge: bridging a room to a "channel" makes an
 * inbound hook of that name there (answered with its secret URL, once), unbridging revokes
 * it (or every hook of the room when no channel is named). bridgekit has checked the
 * caller's power in the room and made the bot join it.
 */
export function webhookProvisioning(deps: () => ProvisioningDeps): PluginProvisioning {
  return {
    async bridgeRoom({ roomId, channel, caller }) {
      const d = deps();
      if (!HOOK_NAME.test(channel)) {
        throw new ProvisioningRefusal(`A webhook name is 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit ("${channel}" is not)`);
      }
      if (await d.hooks.named(roomId, channel)) throw new ProvisioningRefusal(`There is already a webhook named "${channel}" in this room`, 'M_BAD_STATE', 409);
      await ensureLinked(d.mappings, roomId);
      const { secret, hook } = await d.hooks.create({
        roomId, name: channel, createdBy: caller.userId, createdAt: Date.now(),
        // Not a command's event: a unique marker, so no retried command takes this hook for its own.
        createdByEvent: `provisioning:${randomBytes(8).toString('hex')}`,
      });
      return { channelId: hook.name, details: { name: hook.name, url: `${d.baseUrl}/hooks/${secret}` } };
    },

    async unbridgeRoom({ roomId, channel }) {
      const d = deps();
      if (channel !== undefined) return d.hooks.revoke(roomId, channel);
      let any = false;
      for (const hook of await d.hooks.list(roomId)) any = (await d.hooks.revoke(roomId, hook.name)) || any;
      return any;
    },
  };
}
