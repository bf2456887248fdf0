import * as wasm from '@matrix-org/matrix-sdk-crypto-wasm';
import type { JsonObject } from '../events/types.js';

const VISIBILITY: Record<string, wasm.HistoryVisibility> = {
  invited: wasm.HistoryVisibility.Invited,
  joined: wasm.HistoryVisibility.Joined,
  shared: wasm.HistoryVisibility.Shared,
  world_readable: wasm.HistoryVisibility.WorldReadable,
};

/**
 * How a room's session is shared and rotated, from its `m.room.encryption` content and
 * history visibility. Keys go to every device of the members, verified or not: a bridge
 * bot that withheld keys from unverified devices would be unreadable to most users.
 */
export function encryptionSettingsFor(encryption: JsonObject, historyVisibility: string | undefined): wasm.EncryptionSettings {
  const settings = new wasm.EncryptionSettings();
  settings.sharingStrategy = wasm.CollectStrategy.allDevices();
  const periodMs = encryption['rotation_period_ms'];
  if (typeof periodMs === 'number' && Number.isInteger(periodMs) && periodMs > 0) settings.rotationPeriod = BigInt(periodMs) * 1000n;
  const messages = encryption['rotation_period_msgs'];
  if (typeof messages === 'number' && Number.isInteger(messages) && messages > 0) settings.rotationPeriodMessages = BigInt(messages);
  const visibility = historyVisibility === undefined ? undefined : VISIBILITY[historyVisibility];
  if (visibility !== undefined) settings.historyVisibility = visibility;
  return settings;
}
