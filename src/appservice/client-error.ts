import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

/** Node's own parser errors we can name; anything else is a malformed request. */
const ANSWERS: Record<string, readonly [number, string, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'M_TOO_LARGE', 'The request line and headers are too large'],
  HPE_URI_TOO_LONG: [414, 'URI Too Long', 'M_TOO_LARGE', 'The request path is too long'],
};

/**
 * Requests Node refuses before Koa sees them (headers over 16 KiB, a request line it cannot
 * parse) get a spec-shaped `{errcode, error}` body too, instead of Node's empty 400/431.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || (err.code === 'ECONNRESET')) {
      socket.destroy();
      return;
    }
    const [status, reason, errcode, error] = ANSWERS[err.code ?? ''] ?? [400, 'Bad Request', 'M_UNRECOGNIZED', 'The request could not be parsed as HTTP'];
    const body = JSON.stringify({ errcode, error });
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
}
