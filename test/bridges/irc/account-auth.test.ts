/**
 * A login's password on IRC: SASL PLAIN and NickServ IDENTIFY, against a small scripted
 * IRC server on loopback (ngircd has neither SASL nor services, so the real-server tests
 * cover only nick logins and the "no SASL" refusal).
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { silentLogger } from '../../../src/log/logger.js';
import { waitUntil } from '../../../src/testing/index.js';
import { IrcConnection, type ConnectionState } from '../../../bridges/irc/connection.js';

interface Script {
  readonly accounts: Record<string, string>;
  readonly nickserv?: boolean;
}

/** Speaks just enough IRC for registration with CAP/SASL, and a NickServ that checks IDENTIFY. */
class ScriptedServer {
  readonly received: string[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(script: Script): Promise<ScriptedServer> {
    let self: ScriptedServer | undefined;
    const server = createServer((socket) => {
      self!.sockets.add(socket);
      socket.on('close', () => self!.sockets.delete(socket));
      let buffer = '';
      let nick = '*';
      let welcomed = false;
      const welcome = () => {
        if (!welcomed) send(`:srv 001 ${nick} :Welcome`);
        welcomed = true;
      };
      const send = (line: string) => socket.write(`${line}\r\n`);
      socket.on('data', (chunk) => {
        buffer += chunk.toString('utf8');
        let i: number;
        while ((i = buffer.indexOf('\r\n')) >= 0) {
          const line = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          self!.received.push(line);
          const [command, ...rest] = line.split(' ');
          if (command === 'CAP' && rest[0] === 'LS') send(`:srv CAP * LS :${script.nickserv ? '' : 'sasl'}`);
          else if (command === 'CAP' && rest[0] === 'REQ') send(`:srv CAP * ACK :${rest.slice(1).join(' ').replace(/^:/, '')}`);
          else if (command === 'AUTHENTICATE' && rest[0] === 'PLAIN') send('AUTHENTICATE +');
          else if (command === 'AUTHENTICATE') {
            const [, account, password] = Buffer.from(rest[0] ?? '', 'base64').toString('utf8').split('\0');
            send(script.accounts[account ?? ''] === password ? `:srv 903 ${nick} :SASL authentication successful` : `:srv 904 ${nick} :SASL authentication failed`);
          } else if (command === 'NICK') nick = rest[0] ?? nick;
          else if (command === 'CAP' && rest[0] === 'END') welcome();
          else if (command === 'USER' && script.nickserv) welcome();
          else if (command === 'PING') send(`:srv PONG srv ${rest[0] ?? ''}`);
          else if (command === 'PRIVMSG' && rest[0] === 'NickServ') {
            const [, password] = rest.slice(1).join(' ').replace(/^:/, '').split(' ');
            send(script.accounts[nick] === password ? `:NickServ!s@services NOTICE ${nick} :You are now identified for ${nick}.` : `:NickServ!s@services NOTICE ${nick} :Invalid password for ${nick}.`);
          } else if (command === 'QUIT') socket.end();
        }
      });
      socket.on('error', () => undefined);
    });
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    }));
    self = new ScriptedServer(server, port);
    return self;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function connection(port: number, account: { sasl?: { account: string; password: string }; nickservPassword?: string }, states: Array<[ConnectionState, string | undefined]>): IrcConnection {
  return new IrcConnection({
    host: '127.0.0.1', port, tls: false, nick: 'alice', username: 'test', realname: 'test', logger: silentLogger(),
    maxNickLength: 30, flood: { burst: 5, intervalMs: 10 }, reconnect: { baseMs: 50, maxMs: 100 }, queueLimit: 10, rejoinOnKick: false,
    onState: (state, message) => states.push([state, message]),
    ...account,
  });
}

describe('IRC login credentials: SASL PLAIN and NickServ (scripted server)', function () {
  this.timeout(20_000);
  let server: ScriptedServer | undefined;
  let conn: IrcConnection | undefined;
  afterEach(async () => {
    conn?.stop();
    await server?.close();
  });

  it('authenticates with SASL PLAIN and is connected', async () => {
    server = await ScriptedServer.start({ accounts: { alice: 'right-pw' } });
    const states: Array<[ConnectionState, string | undefined]> = [];
    conn = connection(server.port, { sasl: { account: 'alice', password: 'right-pw' } }, states);
    conn.start();
    await waitUntil(() => conn!.isRegistered, 10_000, 'registration');
    assert.deepEqual(states.map(([s]) => s), ['connecting', 'connected']);
    assert.ok(server.received.includes(`AUTHENTICATE ${Buffer.from('alice\0alice\0right-pw').toString('base64')}`));
  });

  it('reports bad credentials when SASL is refused, and stops trying', async () => {
    server = await ScriptedServer.start({ accounts: { alice: 'right-pw' } });
    const states: Array<[ConnectionState, string | undefined]> = [];
    conn = connection(server.port, { sasl: { account: 'alice', password: 'wrong-pw' } }, states);
    conn.start();
    await waitUntil(() => states.some(([s]) => s === 'bad_credentials'), 10_000, 'the refusal');
    assert.match(states.find(([s]) => s === 'bad_credentials')![1]!, /SASL authentication failed/);
    assert.equal(conn.isStopped, true);
  });

  it('identifies to NickServ after registering, and reports a refused password', async () => {
    server = await ScriptedServer.start({ accounts: { alice: 'ns-pw' }, nickserv: true });
    const states: Array<[ConnectionState, string | undefined]> = [];
    conn = connection(server.port, { nickservPassword: 'ns-wrong' }, states);
    conn.start();
    await waitUntil(() => states.some(([s]) => s === 'bad_credentials'), 10_000, 'NickServ\'s refusal');
    assert.ok(server.received.includes('PRIVMSG NickServ :IDENTIFY ns-wrong'));
    assert.deepEqual(states.find(([s]) => s === 'bad_credentials'), ['bad_credentials', 'NickServ refused the password']);
  });

  it('stays connected when NickServ accepts the password', async () => {
    server = await ScriptedServer.start({ accounts: { alice: 'ns-pw' }, nickserv: true });
    const states: Array<[ConnectionState, string | undefined]> = [];
    conn = connection(server.port, { nickservPassword: 'ns-pw' }, states);
    conn.start();
    await waitUntil(() => server!.received.includes('PRIVMSG NickServ :IDENTIFY ns-pw'), 10_000, 'the IDENTIFY');
    // The server answers in order: once the PONG is here, NickServ's answer was read.
    await conn.query(['PING', 'sync'], (l) => l.command === 'PONG', () => true, 5_000);
    assert.deepEqual(states.map(([s]) => s), ['connecting', 'connected']);
  });
});
