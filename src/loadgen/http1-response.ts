// An incremental HTTP/1.1 response parser: status line and headers, then the body framed by chunked
// encoding, a content-length or the connection's end, fed one network read at a time in any split.

/** The server's HTTP is broken; `name` matches undici's for the same fault. */
export class StreamProtocolError extends Error {
  override readonly name = 'HTTPParserError';
}

export interface ResponseHead {
  statusCode: number;
  /** Names lower-cased; repeated fields joined with `, `. */
  headers: Record<string, string>;
  /** The connection may serve another request after this response. */
  keepAlive: boolean;
  /** From `keep-alive: timeout=N`, in ms, when the server says. */
  keepAliveTimeoutMs?: number;
}

export interface ResponseEvents {
  onHead(head: ResponseHead): void;
  /** A piece of body (framing removed) and the time stamp of the read that brought it. */
  onBody(piece: Buffer, atMs: number): void;
  /** The response is complete; `reusable` when the connection can carry the next request. */
  onComplete(reusable: boolean): void;
  onError(error: StreamProtocolError): void;
}

const MAX_HEAD_BYTES = 64 * 1024;
const MAX_LINE_BYTES = 4 * 1024;
const CR = 13;
const LF = 10;

const enum Phase {
  Head,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  Sized,
  UntilClose,
  /** The response is complete: anything more is an error. */
  Done,
  /** stop() was called: input is ignored. */
  Stopped,
}

export class ResponseParser {
  private phase = Phase.Head;
  /** Head text or a line split across reads. */
  private text = '';
  private remaining = 0;
  private keepAlive = true;

  constructor(private readonly events: ResponseEvents) {}

  /** Ready for the next response on the same connection. */
  reset(): void {
    this.phase = Phase.Head;
    this.text = '';
    this.keepAlive = true;
  }

  /** Stops at once (e.g. the exchange was aborted from an event); later input is ignored. */
  stop(): void {
    this.phase = Phase.Stopped;
  }

  /** The connection ended: completes a body that runs to the close; false if the response was cut. */
  end(): boolean {
    if (this.phase !== Phase.UntilClose) return false;
    this.phase = Phase.Done;
    this.events.onComplete(false);
    return true;
  }

  feed(data: Buffer, atMs: number): void {
    let at = 0;
    const end = data.length;
    for (;;) {
      switch (this.phase) {
        case Phase.Stopped:
          return;
        case Phase.Done:
          if (at < end) this.fail('bytes after the end of the response');
          return;
        case Phase.Head: {
          if (at >= end) return;
          const before = this.text.length;
          const text = this.text + data.toString('latin1', at, end);
          const headEnd = text.indexOf('\r\n\r\n');
          if (headEnd < 0) {
            if (text.length > MAX_HEAD_BYTES) return this.fail(`response head over ${MAX_HEAD_BYTES} bytes`);
            this.text = text;
            return;
          }
          this.text = '';
          at += headEnd + 4 - before;
          this.onHead(text.slice(0, headEnd));
          if ((this.phase as Phase) === Phase.Done) {
            // A response without a body (204, 304, content-length: 0).
            if (at !== end) return this.fail('bytes after the end of the response');
            return this.events.onComplete(this.keepAlive);
          }
          break;
        }
        case Phase.ChunkSize: {
          const line = this.readLine(data, at, end);
          if (line === undefined) return;
          at = line.next;
          const size = parseChunkSize(line.text);
          if (size < 0) return this.fail(`invalid chunk size line ${JSON.stringify(line.text)}`);
          this.remaining = size;
          this.phase = size === 0 ? Phase.Trailers : Phase.ChunkData;
          break;
        }
        case Phase.ChunkData:
        case Phase.Sized: {
          if (at >= end) return;
          const take = Math.min(this.remaining, end - at);
          const piece = data.subarray(at, at + take);
          at += take;
          this.remaining -= take;
          const sized = this.phase === Phase.Sized;
          if (this.remaining === 0) this.phase = sized ? Phase.Done : Phase.ChunkDataEnd;
          this.events.onBody(piece, atMs);
          if (sized && this.remaining === 0 && this.phase === Phase.Done) {
            if (at !== end) return this.fail('bytes after the end of the response');
            return this.events.onComplete(this.keepAlive);
          }
          break;
        }
        case Phase.ChunkDataEnd: {
          // Fast path: the CRLF is usually right here.
          if (end - at >= 2 && data[at] === CR && data[at + 1] === LF) {
            at += 2;
            this.phase = Phase.ChunkSize;
            break;
          }
          const line = this.readLine(data, at, end);
          if (line === undefined) return;
          at = line.next;
          if (line.text !== '') return this.fail('chunk data longer than its size line says');
          this.phase = Phase.ChunkSize;
          break;
        }
        case Phase.Trailers: {
          const line = this.readLine(data, at, end);
          if (line === undefined) return;
          at = line.next;
          if (line.text !== '') break; // a trailer field: not used
          this.phase = Phase.Done;
          if (at !== end) return this.fail('bytes after the end of the response');
          return this.events.onComplete(this.keepAlive);
        }
        case Phase.UntilClose: {
          if (at < end) this.events.onBody(data.subarray(at), atMs);
          return;
        }
      }
    }
  }

  private fail(message: string): void {
    this.phase = Phase.Stopped;
    this.events.onError(new StreamProtocolError(message));
  }

  /** A line ending in LF (CR before it dropped), possibly split across reads; undefined until complete. */
  private readLine(data: Buffer, at: number, end: number): { text: string; next: number } | undefined {
    const lf = data.indexOf(LF, at);
    if (lf < 0 || lf >= end) {
      this.text += data.toString('latin1', at, end);
      if (this.text.length > MAX_LINE_BYTES) this.fail('line too long in response body');
      return undefined;
    }
    let text = this.text + data.toString('latin1', at, lf);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    this.text = '';
    return { text, next: lf + 1 };
  }

  /** Parses a status line and headers, and sets up the body's framing. */
  private onHead(head: string): void {
    const lines = head.split('\r\n');
    const status = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0]);
    if (!status) return this.fail(`not an HTTP/1.x status line: ${JSON.stringify(lines[0].slice(0, 200))}`);
    const statusCode = Number(status[2]);
    if (statusCode >= 100 && statusCode < 200 && statusCode !== 101) return; // interim: the next head follows
    if (statusCode === 101)
      return this.fail('the server switched protocols (101); a stream client cannot follow');
    const headers: Record<string, string> = {};
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i];
      const colon = line.indexOf(':');
      if (colon <= 0) return this.fail(`malformed header line: ${JSON.stringify(line.slice(0, 200))}`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    const connection = (headers.connection ?? '').toLowerCase();
    this.keepAlive = status[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
    const hint = /\btimeout=(\d+)/i.exec(headers['keep-alive'] ?? '');
    const codings = headers['transfer-encoding'];
    if (statusCode === 204 || statusCode === 304) {
      this.phase = Phase.Sized;
      this.remaining = 0;
    } else if (codings !== undefined) {
      const chunked = /(?:^|,)\s*chunked\s*$/i.test(codings);
      this.phase = chunked ? Phase.ChunkSize : Phase.UntilClose;
      if (!chunked) this.keepAlive = false;
    } else if (headers['content-length'] !== undefined) {
      const lengths = [...new Set(headers['content-length'].split(',').map((v) => v.trim()))];
      if (lengths.length !== 1 || !/^\d{1,15}$/.test(lengths[0]))
        return this.fail(`invalid content-length ${JSON.stringify(headers['content-length'])}`);
      this.phase = Phase.Sized;
      this.remaining = Number(lengths[0]);
    } else {
      this.phase = Phase.UntilClose;
      this.keepAlive = false;
    }
    if (this.phase === Phase.Sized && this.remaining === 0) this.phase = Phase.Done;
    this.events.onHead({
      statusCode,
      headers,
      keepAlive: this.keepAlive,
      keepAliveTimeoutMs: hint ? Number(hint[1]) * 1000 : undefined,
    });
  }
}

/** The size in a chunk-size line (extensions after `;` ignored), or -1 when it is not one. */
function parseChunkSize(line: string): number {
  const semicolon = line.indexOf(';');
  const digits = (semicolon < 0 ? line : line.slice(0, semicolon)).trim();
  if (digits.length === 0 || digits.length > 12) return -1;
  let size = 0;
  for (let i = 0; i < digits.length; i++) {
    const c = digits.charCodeAt(i);
    const v = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (v < 0) return -1;
    size = size * 16 + v;
  }
  return size;
}
