import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readRequestBody } from '../../src/appservice/body.js';
import { bodyBuffer, decodeRecord, decodeHeader, encodeRecord, type RecordHeader } from '../../src/inbox/record.js';

const body = JSON.stringify({ events: [{ type: 'm.room.message', event_id: '$a', room_id: '!r:x', sender: '@u:x', origin_server_ts: 1, content: { body: 'hi' } }] });
const header: RecordHeader = { t: 'txn1', r: 1700000000000, n: 1 };

/** The record as the format defines it, built the plain way. */
function expected(h: RecordHeader, b: string): Buffer {
  return Buffer.from(`[${JSON.stringify(h)},\n${b}]`, 'utf8');
}

/** Whether `record` holds `body` in the same memory (written around it, not copied). */
function around(record: Buffer, body: Buffer): boolean {
  return record.buffer === body.buffer && record.byteOffset + record.length - 1 === body.byteOffset + body.length;
}

function roomy(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const buffer = bodyBuffer(bytes.length);
  bytes.copy(buffer);
  return buffer;
}

/** Reads one request's body as the transaction route does, the client sending it in `parts`. */
async function readSentIn(parts: string[]): Promise<Buffer> {
  let received!: Promise<Buffer>;
  const server = createServer((req: IncomingMessage, res) => {
    received = readRequestBody(req, 1 << 20);
    void received.finally(() => res.end('{}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const length = parts.reduce((n, part) => n + Buffer.byteLength(part), 0);
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'PUT', path: '/', headers: { 'content-length': length } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      // A pause between the parts: the server reads them as separate chunks.
      const send = (i: number) => {
        if (i === parts.length) return void req.end();
        req.write(parts[i]);
        setTimeout(() => send(i + 1), 30);
      };
      send(0);
    });
    return await received;
  } finally {
    server.close();
  }
}

describe('journal record encoding', () => {
  it('writes a record around a body from bodyBuffer in its own memory, byte for byte the format', () => {
    const raw = roomy(body);
    const record = encodeRecord(header, raw);
    assert.deepEqual(record, expected(header, body));
    assert.ok(around(record, raw), 'no copy of the body');
    assert.equal(raw.toString('utf8'), body, 'the body itself is untouched');
    assert.deepEqual(decodeHeader(record), header);
    assert.equal(decodeRecord(record).items.length, 1);
  });

  it('copies a plain body, and a body encoded a second time (the first record stays whole)', () => {
    const plain = Buffer.from(body, 'utf8');
    const copied = encodeRecord(header, plain);
    assert.deepEqual(copied, expected(header, body));
    assert.ok(!around(copied, plain));

    const raw = roomy(body);
    const first = encodeRecord(header, raw);
    const other: RecordHeader = { t: 'txn2-longer', r: 1, n: 1, d: [0] };
    const second = encodeRecord(other, raw);
    assert.ok(!around(second, raw));
    assert.deepEqual(second, expected(other, body));
    assert.deepEqual(first, expected(header, body), 'the first record was not overwritten');
  });

  it('copies when the header does not fit in the room before the body', () => {
    const long: RecordHeader = { t: 'x'.repeat(500), r: 1, n: 1 };
    const raw = roomy(body);
    const record = encodeRecord(long, raw);
    assert.deepEqual(record, expected(long, body));
    assert.ok(!around(record, raw));
    assert.equal(decodeHeader(record).t, long.t);
  });

  it('reads a body sent in several chunks into a buffer the record is written around', async () => {
    const half = Math.floor(body.length / 2);
    const raw = await readSentIn([body.slice(0, half), body.slice(half)]);
    assert.equal(raw.toString('utf8'), body);
    const record = encodeRecord(header, raw);
    assert.ok(around(record, raw), 'no copy of the body');
    assert.deepEqual(record, expected(header, body));
  });
});
