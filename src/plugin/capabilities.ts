import type { Capabilities, Capability } from './contract.js';
import type { MatrixMessage } from './matrix-events.js';

const TEXT: readonly Capability[] = ['messages'];
const FILE: readonly Capability[] = ['messages', 'media'];

/** The capability a message needs: files need `media` on top of `messages`. */
export function capabilitiesForMessage(message: MatrixMessage): readonly Capability[] {
  return message.media ? FILE : TEXT;
}

export function missing(capabilities: Capabilities, needed: readonly Capability[]): Capability | undefined {
  return needed.find((c) => capabilities[c] !== true);
}

const WHAT: Record<Capability, string> = {
  messages: 'messages',
  edits: 'edits',
  reactions: 'reactions',
  redactions: 'deletions (redactions)',
  replies: 'replies',
  threads: 'threads',
  media: 'files and media',
  typing: 'typing notifications',
  receipts: 'read receipts',
  presence: 'presence',
  profile: 'profile changes',
  membership: 'membership changes',
  roomMetadata: 'room name, topic and avatar changes',
};

/** The notice a Matrix user gets when they do something the bridge cannot carry. */
export function refusalNotice(plugin: string, capability: Capability): string {
  return `The ${plugin} bridge cannot carry ${WHAT[capability]}: this was not sent to the other side.`;
}
