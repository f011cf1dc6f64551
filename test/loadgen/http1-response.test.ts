import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ResponseHead, ResponseParser } from '../../src/loadgen/http1-response';

interface Parsed {
  head?: ResponseHead;
  body: string;
  /** Read time stamp of each body piece. */
  stamps: number[];
  complete?: boolean;
  error?: string;
}

/** Feeds `reads` (one per network read, stamped 1, 2, 3, …) and reports what the parser said. */
function parse(reads: (string | Buffer)[], options: { end?: boolean; stopInBody?: boolean } = {}): Parsed {
  const parsed: Parsed = { body: '', stamps: [] };
  const body: Buffer[] = [];
  const parser: ResponseParser = new ResponseParser({
    onHead: (head) => (parsed.head = head),
    onBody: (piece, atMs) => {
      body.push(Buffer.from(piece));
      parsed.stamps.push(atMs);
      if (options.stopInBody) parser.stop();
    },
    onComplete: (reusable) => (parsed.complete = reusable),
    onError: (error) => (parsed.error = `${error.name}: ${error.message}`),
  });
  reads.forEach((read, i) => parser.feed(Buffer.isBuffer(read) ? read : Buffer.from(read), i + 1));
  if (options.end && !parser.end() && parsed.complete === undefined) parsed.error ??= 'cut off';
  parsed.body = Buffer.concat(body).toString('utf8');
  return parsed;
}

const SSE = (body: string) =>
  `HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\ntransfer-encoding: chunked\r\n\r\n${body}`;

test('a chunked SSE response parses the same wherever the network splits it (every byte, both halves)', () => {
  const events = 'data: {"choices":[{"text":"é"}]}\n\ndata: [DONE]\n\n';
  const [first, second] = [events.slice(0, 31), events.slice(31)];
  const size = (text: string) => Buffer.byteLength(text).toString(16);
  const wire = Buffer.from(
    SSE(`${size(first)};ext=1\r\n${first}\r\n${size(second)}\r\n${second}\r\n0\r\nx-trailer: a\r\n\r\n`),
  );
  // The split falls inside the head, the size lines, the multi-byte é, the CRLFs and the trailer.
  for (let at = 0; at <= wire.length; at++) {
    const parsed = parse([wire.subarray(0, at), wire.subarray(at)]);
    assert.equal(parsed.error, undefined, `split at ${at}`);
    assert.equal(parsed.body, events, `split at ${at}`);
    assert.equal(parsed.complete, true, `split at ${at}`);
    assert.equal(parsed.head?.statusCode, 200);
  }
  // One byte per read: still exact, and every piece carries the stamp of the read that brought it.
  const bytewise = parse([...wire].map((b) => Buffer.from([b])));
  assert.equal(bytewise.body, events);
  const firstBodyByte = wire.indexOf('data:') + 1;
  assert.equal(bytewise.stamps[0], firstBodyByte);
});

test('head: statuses, repeated headers, keep-alive rules and the server keep-alive hint', () => {
  const parsed = parse([
    'HTTP/1.1 100 Continue\r\n\r\n',
    'HTTP/1.1 503 Service Unavailable\r\nX-A: 1\r\nx-a:  2 \r\nKeep-Alive: timeout=5, max=100\r\ncontent-length: 4\r\n\r\nbusy',
  ]);
  assert.deepEqual(parsed.head, {
    statusCode: 503,
    headers: { 'x-a': '1, 2', 'keep-alive': 'timeout=5, max=100', 'content-length': '4' },
    keepAlive: true,
    keepAliveTimeoutMs: 5000,
  });
  assert.deepEqual([parsed.body, parsed.complete], ['busy', true]);
  assert.equal(parse(['HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 0\r\n\r\n']).complete, false);
  assert.equal(parse(['HTTP/1.0 204 No Content\r\n\r\n']).complete, false);
  assert.equal(parse(['HTTP/1.0 204 No Content\r\nconnection: keep-alive\r\n\r\n']).complete, true);
});

test('bodies that run to the close complete only at the end of the connection', () => {
  const open = parse(['HTTP/1.1 200 OK\r\n\r\nab', 'cd']);
  assert.deepEqual([open.body, open.complete], ['abcd', undefined]);
  const closed = parse(['HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\nab', 'cd'], { end: true });
  assert.deepEqual([closed.body, closed.complete, closed.error], ['abcd', false, undefined]);
  // A chunked body cut by the close is not complete.
  assert.equal(parse([SSE('5\r\nhel')], { end: true }).error, 'cut off');
});

test('broken framing fails with the offending text', () => {
  const cases: [string[], RegExp][] = [
    [['HTTTP/1.1 200 OK\r\n\r\n'], /not an HTTP\/1\.x status line: "HTTTP\/1\.1 200 OK"/],
    [['HTTP/1.1 200 OK\r\nno colon here\r\n\r\n'], /malformed header line: "no colon here"/],
    [['HTTP/1.1 200 OK\r\ncontent-length: 3, 4\r\n\r\n'], /invalid content-length "3, 4"/],
    [['HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n'], /invalid content-length "-1"/],
    [[SSE('zz\r\nab\r\n')], /invalid chunk size line "zz"/],
    [[SSE('2\r\nabc\r\n')], /chunk data longer than its size line says/],
    [['HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nabc'], /bytes after the end of the response/],
    [['HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nab', 'c'], /bytes after the end of the response/],
    [['HTTP/1.1 101 Switching Protocols\r\n\r\n'], /switched protocols/],
    [[`HTTP/1.1 200 OK\r\nx: ${'a'.repeat(70_000)}`], /response head over 65536 bytes/],
  ];
  for (const [reads, message] of cases) {
    const parsed = parse(reads);
    assert.match(parsed.error ?? '', message, JSON.stringify(reads[0].slice(0, 60)));
    assert.match(parsed.error ?? '', /^HTTPParserError: /);
    if (reads.length === 1) assert.equal(parsed.complete, undefined);
  }
});

test('stop() from a body callback ends parsing quietly (an aborted exchange)', () => {
  const parsed = parse([SSE('1\r\na\r\n1\r\nb\r\n0\r\n\r\n'), 'garbage'], { stopInBody: true });
  assert.deepEqual([parsed.body, parsed.complete, parsed.error], ['a', undefined, undefined]);
});

test('reset() reads the next response on the same connection', () => {
  const heads: number[] = [];
  const parser = new ResponseParser({
    onHead: (head) => heads.push(head.statusCode),
    onBody: () => undefined,
    onComplete: () => undefined,
    onError: (error) => assert.fail(error.message),
  });
  parser.feed(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\na'), 1);
  parser.reset();
  parser.feed(Buffer.from(SSE('0\r\n\r\n').replace('200 OK', '404 Not Found')), 2);
  assert.deepEqual(heads, [200, 404]);
});
