import type {
  BridgePlugin, MatrixMessage, MembershipChange, PluginContext, PresenceUpdate, ReceiptUpdate, TypingUpdate,
} from '../../../src/plugin/contract.js';

/** One message as the plugin handled it, with the attempt it was handled on. */
export interface HandledMessage {
  readonly roomId: string;
  readonly eventId: string;
  readonly sender: string;
  readonly body: string;
  readonly attempt: number;
}

/** Everything a `recordingPlugin` saw, across restarts of its bridge. */
export class Recording {
  readonly messages: HandledMessage[] = [];
  readonly memberships: MembershipChange[] = [];
  readonly typing: TypingUpdate[] = [];
  readonly receipts: ReceiptUpdate[] = [];
  readonly presence: PresenceUpdate[] = [];

  /** How many times each event id was handled (a number above 1 is a double). */
  handledCounts(roomId?: string): Map<string, number> {
    const counts = new Map<string, number>();
    for (const m of this.messages) if (roomId === undefined || m.roomId === roomId) counts.set(m.eventId, (counts.get(m.eventId) ?? 0) + 1);
    return counts;
  }

  /** Bodies of the room's handled messages, in handling order. */
  bodies(roomId: string): string[] {
    return this.messages.filter((m) => m.roomId === roomId).map((m) => m.body);
  }
}

/**
 * A plugin that records what reaches it: messages (by event id), memberships, typing,
 * receipts, presence. `!link` links the room to a channel (a portal), so presence of its
 * members reaches the plugin. A factory: each bridge (re)start gets a fresh instance
 * writing to the same `Recording`.
 */
export function recordingPlugin(recording: Recording): () => BridgePlugin<unknown> {
  return () => {
    let ctx: PluginContext<unknown> | undefined;
    return {
      name: 'recorder',
      capabilities: { messages: true, typing: true, receipts: true, presence: true, membership: true },
      commands: [{
        name: 'link',
        summary: 'makes this room a portal (for presence)',
        async run(invocation) {
          await ctx?.mappings.linkChannel(`channel-${invocation.roomId}`, invocation.roomId);
          await invocation.reply('linked');
        },
      }],
      async start(context) { ctx = context; },
      async onMessage(message: MatrixMessage, _room, scope) {
        recording.messages.push({ roomId: message.roomId, eventId: message.eventId, sender: message.sender, body: message.body, attempt: scope.attempt });
      },
      async onMembership(change) { recording.memberships.push(change); },
      async onTyping(update) { recording.typing.push(update); },
      async onReceipt(update) { recording.receipts.push(update); },
      async onPresence(update) { recording.presence.push(update); },
    };
  };
}
