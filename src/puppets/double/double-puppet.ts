import type { HtmlText, MessageContent } from '../content/text.js';
import type { MediaUpload, MessageOptions, Messages, RedactOptions, SendOptions } from '../messages.js';

/**
 * A real Matrix user the bridge sends as (double puppeting): the message calls of a
 * Puppet, each through the user's own session (renewed by `run` when it expired).
 */
export class DoublePuppet {
  constructor(readonly userId: string, private readonly run: <T>(op: (messages: Messages) => Promise<T>) => Promise<T>) {}

  sendText(roomId: string, body: string, options?: MessageOptions): Promise<string> {
    return this.run((m) => m.sendText(roomId, body, options));
  }

  sendNotice(roomId: string, body: string, options?: MessageOptions): Promise<string> {
    return this.run((m) => m.sendNotice(roomId, body, options));
  }

  sendEmote(roomId: string, body: string, options?: MessageOptions): Promise<string> {
    return this.run((m) => m.sendEmote(roomId, body, options));
  }

  sendHtml(roomId: string, text: HtmlText, options?: MessageOptions & { readonly msgtype?: string }): Promise<string> {
    return this.run((m) => m.sendHtml(roomId, text, options));
  }

  sendMedia(roomId: string, media: MediaUpload, options?: MessageOptions): Promise<string> {
    return this.run((m) => m.sendMedia(roomId, media, options));
  }

  edit(roomId: string, target: string, newContent: MessageContent, options?: SendOptions & { readonly externalUrl?: string }): Promise<string> {
    return this.run((m) => m.edit(roomId, target, newContent, options));
  }

  react(roomId: string, target: string, key: string, options?: SendOptions): Promise<string> {
    return this.run((m) => m.react(roomId, target, key, options));
  }

  redact(roomId: string, eventId: string, options?: RedactOptions): Promise<string> {
    return this.run((m) => m.redact(roomId, eventId, options));
  }
}
