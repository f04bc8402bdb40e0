import http from 'node:http';
import type { Socket } from 'node:net';
import { ERRORS, type ErrorCode } from '@ingest/core';

/** A socket as the server holds it, with the answer it is writing. */
type ServerSocket = Socket & { _httpMessage?: http.ServerResponse };

/**
 * Answers requests Node's HTTP parser refuses (a bad method or header,
 * headers past the limit, a request past `requestTimeout`) and those with
 * an `Expect` it cannot meet (417) with the API's `{error, code}` body,
 * where Node itself would send a status and no body, which clients
 * cannot tell from a broken proxy.
 */
export function answerClientErrors(server: http.Server): void {
  // Node asks this only of an Expect other than 100-continue, which it
  // meets itself. No endpoint runs, and the body a client may send anyway
  // is not read, so the connection closes with the answer.
  server.on('checkExpectation', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const expectation = String(req.headers.expect).slice(0, 100);
    const body = JSON.stringify({
      error: `Expect: ${expectation} cannot be met; send Expect: 100-continue or none`,
      code: 'expectation_failed',
    });
    res.shouldKeepAlive = false;
    res.writeHead(ERRORS.expectation_failed.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: ServerSocket) => {
    // As Node does: no answer where the peer is gone or one has begun.
    const answering = socket._httpMessage?.headersSent ?? false;
    if (err.code === 'ECONNRESET' || !socket.writable || answering) {
      socket.destroy();
      return;
    }
    const [code, error] = describe(err);
    const status = ERRORS[code].status;
    const body = JSON.stringify({ error, code });
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  });
}

function describe(err: NodeJS.ErrnoException): [ErrorCode, string] {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return [
        'headers_too_large',
        `the request line and headers exceed ${http.maxHeaderSize} bytes; ` +
          'send long values (token, meta) in the body',
      ];
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return ['payload_too_large', 'chunk extensions of the body are too large'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return ['request_timeout', 'the request did not arrive in time'];
    default:
      return [
        'malformed_request',
        `the request is not valid HTTP (${err.code ?? 'parse error'})`,
      ];
  }
}
