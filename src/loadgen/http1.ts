// The load generator's HTTP/1.1 client: keep-alive connections per origin, one request at a time on
// each. Built for time stamps (./reads-first): every read is stamped the moment the loop sees it,
// parsing (./http1-response) and request writes wait for quiet turns, and no timer is touched per
// request (one sweep per agent). undici serves every other request vsweep makes (/health, /metrics,
// webhooks); on this path its per-request work, done in the read callbacks, cost the fidelity bench
// ~1 ms of p99 error at 64 streams.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  type ResponseEvents,
  type ResponseHead,
  ResponseParser,
  StreamProtocolError,
} from './http1-response';
import { inbox, readStamp, Sender, type SocketEvent } from './reads-first';

export { StreamProtocolError };

export interface StreamResponseHandler {
  /** Right before the request's bytes go to the socket (performance.now() ms): the send time. */
  onRequestSent?(atMs: number): void;
  /** Status and headers (names lower-cased) of the final response; 1xx interim responses are skipped. */
  onResponseStart(statusCode: number, headers: Readonly<Record<string, string>>): void;
  /** Body bytes, chunked framing removed, with the time the read that brought them was stamped. */
  onResponseData(chunk: Buffer, arrivedAtMs: number): void;
  onResponseEnd(): void;
  /** The exchange failed (connect, socket, protocol, timeout or abort); nothing follows. */
  onResponseError(error: Error): void;
}

export interface StreamRequest {
  /**
   * `http://host:port`. Plain HTTP only: vsweep reaches the server through an SSH tunnel or on the
   * cluster's own network (see src/activities/reach.ts), never over TLS.
   */
  origin: string;
  path: string;
  method?: 'GET' | 'POST';
  headers?: Readonly<Record<string, string>>;
  body?: string;
  signal?: AbortSignal;
}

export interface StreamAgentOptions {
  /** Connections per origin (requests beyond wait for one). Default: unlimited. */
  connections?: number;
  /** Idle keep-alive connections close after this (+25%; uvicorn drops them after 5 s). Default 3 s. */
  keepAliveMs?: number;
  connectTimeoutMs?: number;
  /** Fails an exchange when the server sends nothing for this long (undici's default: 300 s). */
  readTimeoutMs?: number;
}

/** A failure of the connection or of the server's HTTP; `name` matches undici's for the same faults. */
export class StreamSocketError extends Error {
  override readonly name = 'SocketError';
}

export class StreamTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** The sweep enforces timeouts within a quarter of the shortest one, checking at most every second. */
const sweepIntervalMs = (o: Required<StreamAgentOptions>) =>
  Math.max(5, Math.min(1000, o.keepAliveMs / 4, o.connectTimeoutMs / 4, o.readTimeoutMs / 4));
/** Reads land here and are copied out at once: one buffer for all connections. */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

interface Exchange {
  request: StreamRequest;
  handler: StreamResponseHandler;
  wire: string;
  /** Sent on a connection that had served a response before (may have been closed by the server). */
  reused: boolean;
  retried: boolean;
  receivedAny: boolean;
  /** The connection serving it, once it has one. */
  connection?: Connection;
  onAbort?: () => void;
}

const HEADER_VALUE_OK = /^[^\r\n]*$/;
const TOKEN_OK = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function wireRequest(request: StreamRequest, host: string): string {
  const method = request.method ?? (request.body === undefined ? 'GET' : 'POST');
  if (!request.path.startsWith('/') || !HEADER_VALUE_OK.test(request.path) || request.path.includes(' '))
    throw new TypeError(`invalid request path ${JSON.stringify(request.path)}`);
  let head = `${method} ${request.path} HTTP/1.1\r\nhost: ${host}\r\n`;
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (!TOKEN_OK.test(name) || !HEADER_VALUE_OK.test(value))
      throw new TypeError(`invalid header ${JSON.stringify(name)}: ${JSON.stringify(value)}`);
    const lower = name.toLowerCase();
    if (lower === 'host' || lower === 'content-length' || lower === 'connection') continue;
    head += `${name}: ${value}\r\n`;
  }
  if (request.body !== undefined) head += `content-length: ${Buffer.byteLength(request.body)}\r\n`;
  return `${head}\r\n${request.body ?? ''}`;
}

/** One socket; serves one exchange at a time. */
class Connection implements ResponseEvents {
  readonly socket: net.Socket;
  exchange: Exchange | undefined;
  served = 0;
  closed = false;
  /** Shorter than the agent's when the server's `keep-alive: timeout=N` says so. */
  keepAliveMs: number;
  /** performance.now() of the last read, connect or write; for the sweep's timeouts. */
  activeAtMs = performance.now();
  connected = false;
  private readonly parser = new ResponseParser(this);

  constructor(
    private readonly pool: OriginPool,
    url: URL,
  ) {
    const port = Number(url.port || 80);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    this.keepAliveMs = pool.options.keepAliveMs;
    const onread = {
      buffer: READ_BUFFER,
      callback: (bytes: number, buffer: Uint8Array) => {
        this.onRead(Buffer.from((buffer as Buffer).subarray(0, bytes)));
        return true;
      },
    };
    this.socket = net.connect({ host, port, onread, noDelay: true });
    this.socket.once('connect', () => this.onConnect());
    this.socket.on('end', () => inbox.push(this, { kind: 'end' }));
    this.socket.on('error', (error) => inbox.push(this, { kind: 'error', error }));
    this.socket.on('close', () =>
      inbox.push(this, { kind: 'error', error: new StreamSocketError('other side closed') }),
    );
  }

  private onConnect(): void {
    this.connected = true;
    this.activeAtMs = performance.now();
  }

  /** The read callback: stamp, note, queue; nothing else (see Inbox). */
  private onRead(data: Buffer): void {
    const atMs = readStamp();
    this.activeAtMs = atMs;
    inbox.push(this, { kind: 'data', data, atMs });
  }

  /** From the Inbox, in arrival order. */
  handle(event: SocketEvent): void {
    if (this.closed) return;
    if (event.kind === 'data') {
      if (this.exchange) {
        this.exchange.receivedAny = true;
        this.parser.feed(event.data, event.atMs);
      } else this.close(); // bytes nobody asked for: the connection can no longer be trusted
    } else if (event.kind === 'end') {
      if (!this.exchange || !this.parser.end()) this.fail(new StreamSocketError('other side closed'));
    } else this.fail(event.error);
  }

  start(exchange: Exchange): void {
    this.socket.ref();
    exchange.reused = this.served > 0;
    exchange.receivedAny = false;
    exchange.connection = this;
    this.exchange = exchange;
    this.parser.reset();
    this.pool.sender.enqueue(() => this.write(exchange));
  }

  /** By the Sender, when the network is quiet. */
  private write(exchange: Exchange): void {
    if (this.exchange !== exchange || this.closed) return; // aborted while waiting
    const atMs = performance.now();
    this.activeAtMs = atMs;
    exchange.handler.onRequestSent?.(atMs);
    this.socket.write(exchange.wire);
  }

  /** Back in the pool; never keeps the process alive. */
  idle(): void {
    this.activeAtMs = performance.now();
    this.socket.unref();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.parser.stop();
    this.socket.destroy();
    this.pool.forget(this);
  }

  /** Ends the current exchange with an error (and this connection with it). */
  fail(error: Error): void {
    const exchange = this.exchange;
    this.exchange = undefined;
    this.close();
    if (exchange) this.pool.failed(exchange, error);
  }

  /** The agent's sweep: read, connect and keep-alive timeouts. */
  sweep(nowMs: number): void {
    const { readTimeoutMs, connectTimeoutMs } = this.pool.options;
    if (!this.connected && nowMs - this.activeAtMs >= connectTimeoutMs)
      this.fail(new StreamTimeoutError(`connect timed out after ${connectTimeoutMs} ms`));
    else if (this.exchange && nowMs - this.activeAtMs >= readTimeoutMs)
      this.fail(new StreamTimeoutError(`no data from the server for ${readTimeoutMs} ms`));
    else if (!this.exchange && nowMs - this.activeAtMs >= this.keepAliveMs) this.close();
  }

  onHead(head: ResponseHead): void {
    if (head.keepAliveTimeoutMs !== undefined)
      this.keepAliveMs = Math.min(this.pool.options.keepAliveMs, Math.max(0, head.keepAliveTimeoutMs - 1000));
    this.exchange?.handler.onResponseStart(head.statusCode, head.headers);
  }

  onBody(piece: Buffer, atMs: number): void {
    this.exchange?.handler.onResponseData(piece, atMs);
  }

  onComplete(reusable: boolean): void {
    const exchange = this.exchange;
    if (!exchange) return;
    this.exchange = undefined;
    this.served++;
    if (reusable) this.pool.release(this);
    else this.close();
    this.pool.finished(exchange);
  }

  onError(error: StreamProtocolError): void {
    this.fail(error);
  }
}

/** Connections to one origin: the idle ones (most recent last), and requests waiting for one. */
class OriginPool {
  private readonly idleConnections: Connection[] = [];
  readonly all = new Set<Connection>();
  private readonly waiting: Exchange[] = [];
  private readonly url: URL;
  /** For the Host header. */
  readonly host: string;
  /** The agent is closing: connections close instead of going idle. */
  closing = false;

  constructor(
    origin: string,
    readonly options: Required<StreamAgentOptions>,
    readonly sender: Sender,
    private readonly onEmpty: () => void,
  ) {
    this.url = new URL(origin);
    this.host = this.url.host;
  }

  /** No connection and nothing waiting for one. */
  get empty(): boolean {
    return this.all.size === 0 && this.waiting.length === 0;
  }

  dispatch(exchange: Exchange): void {
    const idle = this.idleConnections.pop();
    if (idle) idle.start(exchange);
    else if (this.all.size < this.options.connections) this.open().start(exchange);
    else this.waiting.push(exchange);
  }

  private open(): Connection {
    const connection = new Connection(this, this.url);
    this.all.add(connection);
    return connection;
  }

  release(connection: Connection): void {
    const next = this.waiting.shift();
    if (next) connection.start(next);
    else if (this.closing) connection.close();
    else {
      connection.idle();
      this.idleConnections.push(connection);
    }
  }

  forget(connection: Connection): void {
    this.all.delete(connection);
    const at = this.idleConnections.indexOf(connection);
    if (at >= 0) this.idleConnections.splice(at, 1);
    // A waiting request takes the freed slot.
    const next = this.all.size < this.options.connections ? this.waiting.shift() : undefined;
    if (next) this.open().start(next);
    else if (this.empty) this.onEmpty();
  }

  finished(exchange: Exchange): void {
    if (exchange.onAbort) exchange.request.signal?.removeEventListener('abort', exchange.onAbort);
    exchange.handler.onResponseEnd();
  }

  failed(exchange: Exchange, error: Error): void {
    // A kept-alive connection the server closed just as we reused it: nothing of the request was
    // answered, so it is sent again once, on a new connection (as browsers and curl do).
    const code = (error as NodeJS.ErrnoException).code;
    const socketLevel = error instanceof StreamSocketError || code === 'ECONNRESET' || code === 'EPIPE';
    const stale =
      exchange.reused && !exchange.retried && !exchange.receivedAny && !exchange.request.signal?.aborted;
    if (stale && socketLevel && !this.closing) {
      exchange.retried = true;
      this.dispatch(exchange);
      return;
    }
    if (exchange.onAbort) exchange.request.signal?.removeEventListener('abort', exchange.onAbort);
    exchange.handler.onResponseError(error);
  }

  /** Drops a request that has not reached a connection yet; true if it was waiting. */
  unqueue(exchange: Exchange): boolean {
    const at = this.waiting.indexOf(exchange);
    if (at < 0) return false;
    this.waiting.splice(at, 1);
    return true;
  }

  destroy(error: Error): void {
    for (const exchange of this.waiting.splice(0)) this.failed(exchange, error);
    for (const connection of [...this.all]) connection.fail(error);
  }

  closeIdle(): void {
    for (const connection of [...this.idleConnections]) connection.close();
  }
}

/** Keep-alive connections per origin for streamed requests (an undici Agent's job, for this one path). */
export class StreamAgent {
  /** By origin as callers spell it (parsed once). */
  private readonly pools = new Map<string, OriginPool>();
  private readonly options: Required<StreamAgentOptions>;
  private readonly sender = new Sender();
  private sweeper: NodeJS.Timeout | undefined;
  /** Set by close(): resolved once every connection is gone. */
  private closing: { done: Promise<void>; resolve: () => void } | undefined;

  constructor(options: StreamAgentOptions = {}) {
    this.options = {
      connections: options.connections ?? Infinity,
      keepAliveMs: options.keepAliveMs ?? 3000,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      readTimeoutMs: options.readTimeoutMs ?? 300_000,
    };
  }

  /**
   * Sends a request; exactly one of `onResponseEnd` / `onResponseError` follows. Returns a function that
   * ends the exchange early (as aborting `request.signal` does), e.g. when the body turns out to be bad.
   */
  request(request: StreamRequest, handler: StreamResponseHandler): (reason: Error) => void {
    if (this.closing) throw new Error('StreamAgent is closed');
    const pool = this.pools.get(request.origin) ?? this.poolFor(request.origin);
    const exchange: Exchange = {
      request,
      handler,
      wire: wireRequest(request, pool.host),
      reused: false,
      retried: false,
      receivedAny: false,
    };
    let ended = false;
    const abort = (reason: Error) => {
      if (ended) return;
      ended = true;
      if (pool.unqueue(exchange)) pool.failed(exchange, reason);
      else if (exchange.connection?.exchange === exchange) exchange.connection.fail(reason);
    };
    const signal = request.signal;
    if (signal) {
      const reason = () => (signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      if (signal.aborted) {
        handler.onResponseError(reason());
        return () => undefined;
      }
      exchange.onAbort = () => abort(reason());
      signal.addEventListener('abort', exchange.onAbort, { once: true });
    }
    pool.dispatch(exchange);
    return abort;
  }

  private poolFor(origin: string): OriginPool {
    const url = new URL(origin);
    if (url.protocol !== 'http:')
      throw new TypeError(
        `unsupported protocol ${url.protocol} in ${origin}: the load generator speaks plain http:`,
      );
    // Pools stay (one per origin; a run has one or two), so a connection opened after the pool emptied,
    // e.g. a resend, still belongs to the agent's sweep and close().
    const pool = new OriginPool(url.origin, this.options, this.sender, () => this.closedIfEmpty());
    this.pools.set(origin, pool);
    this.sweeper ??= setInterval(() => this.sweep(), sweepIntervalMs(this.options)).unref();
    return pool;
  }

  private closedIfEmpty(): void {
    if (!this.closing || [...this.pools.values()].some((pool) => !pool.empty)) return;
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.closing.resolve();
  }

  private sweep(): void {
    const nowMs = performance.now();
    for (const pool of [...this.pools.values()]) for (const c of [...pool.all]) c.sweep(nowMs);
  }

  /** Stops taking requests, closes idle connections now and busy ones when their response ends. */
  close(): Promise<void> {
    if (!this.closing) {
      let resolve = () => {};
      const done = new Promise<void>((r) => (resolve = r));
      this.closing = { done, resolve };
      for (const pool of this.pools.values()) {
        pool.closing = true;
        pool.closeIdle();
      }
      this.closedIfEmpty();
    }
    return this.closing.done;
  }

  /** Fails every request in flight or waiting, and closes every connection. */
  destroy(error: Error = new Error('StreamAgent destroyed')): Promise<void> {
    const closed = this.close();
    for (const pool of [...this.pools.values()]) pool.destroy(error);
    return closed;
  }
}
