/**
 * A plain IRC user for the tests (an irc-framework client): says things, and records
 * every line it reads so a test can wait for one (woken by each new line, with a timeout).
 */
import { silentLogger } from '../../../src/log/logger.js';
import { IrcWire, type IrcLine } from '../../../bridges/irc/wire.js';
import { sameNick } from '../../../bridges/irc/nicks.js';

export interface Seen extends IrcLine {
  readonly at: number;
}

export class IrcPerson {
  readonly lines: Seen[] = [];
  private wire: IrcWire | undefined;
  private waiters = new Set<() => void>();
  nick: string;

  private constructor(private readonly port: number, nick: string) {
    this.nick = nick;
  }

  static async connect(port: number, nick: string): Promise<IrcPerson> {
    const person = new IrcPerson(port, nick);
    await person.reconnect();
    return person;
  }

  /** (Re)connects and waits for registration; a refused connection is tried again until `timeoutMs`. */
  async reconnect(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.attempt(Math.max(100, deadline - Date.now()));
        return;
      } catch (err) {
        if (Date.now() >= deadline) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  private async attempt(timeoutMs: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const from = this.mark();
      const timer = setTimeout(() => {
        const seen = this.lines.slice(from).map((l) => `${l.command} ${l.params.join(' | ')}`).join('\n  ');
        reject(new Error(`${this.nick} could not connect to IRC; it read:\n  ${seen}`));
      }, timeoutMs);
      const wire = new IrcWire({ host: '127.0.0.1', port: this.port, tls: false, nick: this.nick, username: this.nick.slice(0, 10), realname: this.nick, logger: silentLogger() }, {
        line: (line) => this.seen(line),
        registered: (nick) => {
          this.nick = nick;
          clearTimeout(timer);
          resolve();
        },
        closed: () => {
          if (this.wire === wire) this.wire = undefined;
          clearTimeout(timer);
          reject(new Error(`${this.nick}: the connection closed before registration`));
          this.wake();
        },
      });
      this.wire = wire;
      wire.connect();
    });
  }

  get connected(): boolean {
    return this.wire?.connected ?? false;
  }

  private seen(line: IrcLine): void {
    if (line.command === 'NICK' && line.nick !== undefined && sameNick(line.nick, this.nick) && line.params[0]) this.nick = line.params[0];
    this.lines.push({ ...line, at: Date.now() });
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Lines read from index `from` on. */
  mark(): number {
    return this.lines.length;
  }

  /** The first line from index `from` on that matches, waiting for it. */
  waitFor(predicate: (line: Seen) => boolean, what: string, options: { from?: number; timeoutMs?: number } = {}): Promise<Seen> {
    const from = options.from ?? 0;
    const timeoutMs = options.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.lines.slice(from).find(predicate);
        if (!found) return;
        done();
        resolve(found);
      };
      const timer = setTimeout(() => {
        done();
        const recent = this.lines.slice(-15).map((l) => `${l.prefix} ${l.command} ${l.params.join(' | ')}`).join('\n  ');
        reject(new Error(`${this.nick}: timed out waiting for ${what}; last lines:\n  ${recent}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Messages (PRIVMSG/NOTICE) from `nick` to `target`, from index `from` on. */
  messagesFrom(nick: string, target: string, from = 0): Seen[] {
    return this.lines.slice(from).filter((l) => (l.command === 'PRIVMSG' || l.command === 'NOTICE')
      && l.nick !== undefined && sameNick(l.nick, nick) && l.params[0] !== undefined && sameNick(l.params[0], target));
  }

  async send(command: string, ...params: string[]): Promise<void> {
    if (!this.wire) throw new Error(`${this.nick} is not connected`);
    await this.wire.write(command, ...params);
  }

  say(target: string, text: string): Promise<void> {
    return this.send('PRIVMSG', target, text);
  }

  /** Joins and waits until the member list arrived. */
  async join(channel: string): Promise<void> {
    const from = this.mark();
    await this.send('JOIN', channel);
    await this.waitFor((l) => l.command === '366' && l.params[1] !== undefined && sameNick(l.params[1], channel), `joining ${channel}`, { from });
  }

  /** Sends a PING and waits for its PONG: everything sent before was handled by the server. */
  async sync(): Promise<void> {
    const token = `sync${Math.random().toString(36).slice(2)}`;
    const from = this.mark();
    await this.send('PING', token);
    await this.waitFor((l) => l.command === 'PONG' && l.params[l.params.length - 1] === token, 'a PONG', { from });
  }

  quit(message = 'bye'): void {
    this.wire?.quit(message);
    this.wire = undefined;
  }
}
