/**
 * The last messages seen per event id (both directions), so a Matrix reply can quote
 * the message it answers for IRC readers without fetching it. Bounded; lost on restart,
 * when the reply's own fallback text is used instead.
 */
export interface RecentMessage {
  /** The IRC nick (or relay name) that said it. */
  readonly nick: string;
  readonly text: string;
}

export class RecentMessages {
  private readonly messages = new Map<string, RecentMessage>();

  constructor(private readonly max = 2_000) {}

  remember(eventId: string, message: RecentMessage): void {
    this.messages.delete(eventId);
    this.messages.set(eventId, message);
    if (this.messages.size > this.max) this.messages.delete(this.messages.keys().next().value!);
  }

  get(eventId: string): RecentMessage | undefined {
    return this.messages.get(eventId);
  }
}
