/**
 * A login driven from the user's management room: the bot asks for one field at a time,
 * takes the next message as the answer (redacting it when it is a secret), shows codes and
 * links, and says when the login is done. `cancel` stops it.
 */
import type { Logger } from '../log/logger.js';
import type { MatrixMessage } from '../plugin/matrix-events.js';
import type { Puppet } from '../puppets/index.js';
import type { LoginField, LoginFlow } from './contract.js';
import { LoginError } from './errors.js';
import { isSecret } from './login-manager.js';
import type { LoginProcessView, LoginService } from './service.js';

interface Conversation {
  readonly userId: string;
  readonly roomId: string;
  readonly processId: string;
  fields: readonly LoginField[];
  answers: Record<string, string>;
  /** Waiting for a display step to move on: messages are not answers then. */
  waiting: boolean;
}

export interface BotLoginOptions {
  readonly service: LoginService;
  readonly bot: Pick<Puppet, 'sendNotice' | 'redact'>;
  readonly logger: Logger;
}

export class BotLogin {
  private readonly conversations = new Map<string, Conversation>();
  private readonly waits = new Set<Promise<void>>();

  constructor(private readonly options: BotLoginOptions) {}

  /** Starts a login for `userId` in their management room; `say` answers the command. */
  async begin(userId: string, roomId: string, flowId: string, key: string): Promise<void> {
    const previous = this.conversations.get(userId);
    if (previous) await this.stop(previous);
    let view: LoginProcessView;
    try {
      view = await this.options.service.start(userId, flowId);
    } catch (err) {
      await this.say(roomId, `Could not start the login: ${messageOf(err)}`, `${key}:error`);
      return;
    }
    const conversation: Conversation = { userId, roomId, processId: view.processId, fields: [], answers: {}, waiting: false };
    this.conversations.set(userId, conversation);
    await this.present(conversation, view, key);
  }

  /**
   * A message in a management room: true when it answered a login's question (the command
   * machinery then leaves it alone).
   */
  async take(message: MatrixMessage): Promise<boolean> {
    const conversation = this.conversations.get(message.sender);
    if (!conversation || conversation.roomId !== message.roomId) return false;
    const key = `login-answer:${message.eventId}`;
    const text = message.body.trim();
    if (/^!?cancel$/i.test(text)) {
      await this.stop(conversation);
      await this.say(message.roomId, 'Login cancelled.', key);
      return true;
    }
    if (conversation.waiting) return false;
    const field = conversation.fields[Object.keys(conversation.answers).length];
    if (!field) return false;
    if (isSecret(field)) await this.redact(message, field);
    conversation.answers[field.id] = text === '-' && field.optional ? '' : text;
    const next = conversation.fields[Object.keys(conversation.answers).length];
    if (next) {
      await this.say(message.roomId, ask(next), key);
      return true;
    }
    try {
      const view = await this.options.service.submit(conversation.userId, conversation.processId, conversation.answers);
      await this.present(conversation, view, key);
    } catch (err) {
      if (err instanceof LoginError && err.errcode === 'M_INVALID_PARAM') {
        conversation.answers = {};
        await this.say(message.roomId, `${err.message}. Let us try again. ${ask(conversation.fields[0]!)}`, key);
      } else {
        this.conversations.delete(conversation.userId);
        await this.say(message.roomId, `The login failed: ${messageOf(err)}`, key);
      }
    }
    return true;
  }

  /** The list of flows, for `login` without a flow. */
  static describeFlows(flows: readonly LoginFlow[], prefix: string): string {
    return [`Choose how to log in: send ${prefix}login <flow>.`, ...flows.map((f) => `- ${f.id}: ${f.name}. ${f.description}`)].join('\n');
  }

  async close(): Promise<void> {
    for (const conversation of [...this.conversations.values()]) await this.stop(conversation);
    await Promise.allSettled([...this.waits]);
  }

  private async present(conversation: Conversation, view: LoginProcessView, key: string): Promise<void> {
    const { step } = view;
    if (step.kind === 'complete') {
      this.conversations.delete(conversation.userId);
      const login = step.login;
      await this.say(conversation.roomId, `${step.instructions ? `${step.instructions}\n` : ''}Logged in as ${login.remoteName} (login ${login.id}).`, `${key}:done`);
      return;
    }
    if (step.kind === 'input') {
      conversation.fields = step.fields;
      conversation.answers = {};
      conversation.waiting = false;
      const first = step.fields[0];
      await this.say(conversation.roomId, `${step.instructions}\n${first ? ask(first) : ''} (Send cancel to stop.)`, `${key}:step`);
      return;
    }
    conversation.waiting = true;
    const shown = step.display.type === 'url' ? `Open ${step.display.data}` : step.display.type === 'code' ? `Your code: ${step.display.data}` : `Scan this: ${step.display.data}`;
    await this.say(conversation.roomId, `${step.instructions}\n${shown}\n(Send cancel to stop.)`, `${key}:step`);
    // The display step ends when the user did it elsewhere: wait for it without holding up the room.
    const waiting = this.waitFor(conversation, key).finally(() => this.waits.delete(waiting));
    this.waits.add(waiting);
  }

  private async waitFor(conversation: Conversation, key: string): Promise<void> {
    try {
      const view = await this.options.service.wait(conversation.userId, conversation.processId);
      if (this.conversations.get(conversation.userId) !== conversation) return;
      await this.present(conversation, view, `${key}:w`);
    } catch (err) {
      if (this.conversations.get(conversation.userId) !== conversation) return;
      this.conversations.delete(conversation.userId);
      await this.say(conversation.roomId, `The login failed: ${messageOf(err)}`, `${key}:wait-error`).catch((e: unknown) =>
        this.options.logger.warn({ err: e }, 'could not say that a login failed'));
    }
  }

  private async stop(conversation: Conversation): Promise<void> {
    this.conversations.delete(conversation.userId);
    await this.options.service.cancel(conversation.userId, conversation.processId);
  }

  private async redact(message: MatrixMessage, field: LoginField): Promise<void> {
    try {
      await this.options.bot.redact(message.roomId, message.eventId, { eventSender: message.sender, reason: `a ${field.name.toLowerCase()} sent to log in` });
    } catch (err) {
      // Not fatal: the room is the user's and the bot's only; tell the log (never the value).
      this.options.logger.warn({ err, roomId: message.roomId }, 'could not redact a secret login answer');
    }
  }

  private async say(roomId: string, text: string, key: string): Promise<void> {
    await this.options.bot.sendNotice(roomId, text, { idempotencyKey: key });
  }
}

function ask(field: LoginField): string {
  const secret = isSecret(field) ? ' I will redact your answer.' : '';
  const optional = field.optional ? ' (or - for none)' : '';
  return `Send your ${field.name.toLowerCase()}${optional}${field.description ? `: ${field.description}` : ''}.${secret}`;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
