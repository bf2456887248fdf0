import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import Koa from 'koa';
import { listen, type RunningServer } from '../../src/appservice/server.js';

interface Answer { status: number; contentType: string; body: string }

function get(url: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Requests Node's parser refuses never reach Koa: they still get `{errcode, error}`. */
describe('appservice listener: requests refused before Koa', () => {
  let server: RunningServer;
  before(async () => {
    const app = new Koa();
    app.use((ctx) => { ctx.body = 'ok'; });
    server = await listen(app, '127.0.0.1', 0);
  });
  after(async () => server.close());

  it('answers headers over Node\'s limit with 431 and a JSON error (Node sends an empty body)', async () => {
    const answer = await get(`${server.url}/${'a'.repeat(10_000)}`, { authorization: `Bearer ${'t'.repeat(10_000)}` });
    assert.equal(answer.status, 431);
    assert.match(answer.contentType, /^application\/json/);
    assert.deepEqual(JSON.parse(answer.body), { errcode: 'M_TOO_LARGE', error: 'The request line and headers are too large' });
  });

  it('answers a request line that is not HTTP with 400 and a JSON error', async () => {
    const raw = await new Promise<string>((resolve) => {
      let out = '';
      const socket = connect(server.port, '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      socket.on('data', (c: Buffer) => { out += c.toString(); });
      socket.on('close', () => resolve(out));
      socket.on('error', () => resolve(out));
    });
    assert.match(raw, /^HTTP\/1\.1 400 /);
    assert.match(raw, /\{"errcode":"M_UNRECOGNIZED","error":"The request could not be parsed as HTTP"\}$/);
  });
});
