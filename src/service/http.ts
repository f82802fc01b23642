import { createServer, ServerResponse, type IncomingMessage, type Server } from 'node:http';
import { lookup } from 'node:dns/promises';
import * as net from 'node:net';
import { Server as NetServer, type Socket } from 'node:net';
import { getSystemErrorName } from 'node:util';
import type { Config } from '../config/index.js';
import { LONG_LIVED } from '../api/watch.js';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** One app's share of the requests in flight, so that a replaced app can be closed once it has none. */
interface Backend {
  handle: RequestHandler;
  active: number;
  idle?: () => void;
}

/** eventlet.wsgi's limit on all the headers of a request; max_header_line limits each line. */
const MAX_TOTAL_HEADER_SIZE = 65536;
/**
 * When draining, a connection with no request in flight may still be sending one (a client that
 * has just connected, or reuses a kept-alive connection): it gets this long before it is closed.
 */
const IDLE_GRACE_MS = 1000;

/**
 * The HTTP server of an API process, configured like neutron-server's eventlet WSGI server:
 * at most wsgi_default_pool_size requests handled at once (the others wait their turn),
 * wsgi_keep_alive, client_socket_timeout, max_header_line, tcp_keepidle.
 *
 * Node limits the size of all the headers together, eventlet each header line: the total is
 * eventlet's (64 KiB, or max_header_line if larger) and each line is checked here.
 */
export class HttpFront {
  readonly server: Server;
  private readonly poolSize: number;
  private readonly keepAlive: boolean;
  private readonly maxHeaderLine: number;
  private backend: Backend;
  private readonly waiting: Array<() => void> = [];
  private active = 0;
  private readonly inFlight = new Set<ServerResponse>();
  private started = 0;
  private readonly longLived = new Set<ServerResponse>();
  /** open connections, with the number of their requests in flight */
  private readonly connections = new Map<Socket, number>();
  private draining = false;

  constructor(config: Config, handle: RequestHandler) {
    const d = config.DEFAULT;
    const timeoutMs = d.client_socket_timeout * 1000; // 0: no timeout, as eventlet's None
    this.poolSize = Math.max(1, d.wsgi_default_pool_size);
    this.keepAlive = d.wsgi_keep_alive;
    this.maxHeaderLine = d.max_header_line;
    this.backend = { handle, active: 0 };
    this.server = createServer({
      maxHeaderSize: Math.max(MAX_TOTAL_HEADER_SIZE, d.max_header_line),
      requestTimeout: timeoutMs,
      headersTimeout: timeoutMs,
      keepAlive: true,
      keepAliveInitialDelay: d.tcp_keepidle * 1000,
    }, (req, res) => this.onRequest(req, res));
    this.server.keepAliveTimeout = timeoutMs;
    this.server.timeout = timeoutMs;
    this.server.on('connection', (socket: Socket) => {
      this.connections.set(socket, 0);
      socket.once('close', () => this.connections.delete(socket));
    });
    // Node hands CONNECT over as a tunnel request and, unanswered, just closes the socket: here it is
    // a request like any other, answered by the API (no route has the method), then closed.
    this.server.on('connect', (req: IncomingMessage, socket: Socket) => {
      // Node has taken its own error handler off the socket: a client reset must not go unhandled
      socket.on('error', () => socket.destroy());
      const res = new ServerResponse(req);
      res.shouldKeepAlive = false;
      res.assignSocket(socket);
      res.once('finish', () => socket.end());
      this.onRequest(req, res);
    });
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      if (!socket.writable) return void socket.destroy();
      // eventlet's answers; Node's would be 431 and 400
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? '400 Headers Too Large' : '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    });
  }

  /** Listens on bind_host:bind_port, or on the supervisor's socket (see bindSocket). */
  listen(at: { host: string; port: number } | ListeningSocket, backlog: number): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      const done = () => {
        this.server.off('error', reject);
        const a = this.server.address() as { address: string; port: number };
        resolve({ host: a.address, port: a.port });
      };
      if ('host' in at) this.server.listen({ host: at.host, port: at.port, backlog }, done);
      else this.server.listen(at, backlog, done);
    });
  }

  /** Sends the next requests to `handle`; resolves once the previous app has no request left. */
  replace(handle: RequestHandler): Promise<void> {
    const old = this.backend;
    this.backend = { handle, active: 0 };
    return old.active === 0 ? Promise.resolve() : new Promise((r) => (old.idle = r));
  }

  /**
   * Stops accepting connections and lets the requests in flight (and those waiting for a turn)
   * finish with `Connection: close`; connections without a request are closed after a short grace
   * (IDLE_GRACE_MS), and after `timeoutMs` (0: no limit) whatever is left is cut. Resolves true if
   * everything finished in time.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    this.draining = true;
    for (const res of this.inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
    for (const res of this.longLived) res.end();
    // net's close, not http's: http's would close the idle connections at once
    const closed = new Promise<void>((r) => NetServer.prototype.close.call(this.server, () => r()));
    const grace = setTimeout(() => {
      for (const [socket, requests] of this.connections) if (requests === 0) socket.destroy();
    }, IDLE_GRACE_MS);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = timeoutMs > 0 ? new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs))) : new Promise<boolean>(() => {});
    const finished = await Promise.race([closed.then(() => true), timedOut]);
    clearTimeout(timer);
    clearTimeout(grace);
    if (!finished) this.server.closeAllConnections();
    this.server.close(); // http's own clean-up (its timers)
    return finished;
  }

  /** requests read and not yet answered, including those waiting for their turn */
  get requestsInFlight(): number {
    return this.inFlight.size;
  }

  /** requests read since the front started */
  get requestsStarted(): number {
    return this.started;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (!this.keepAlive || this.draining) res.setHeader('Connection', 'close');
    const tooLong = this.longHeaderLine(req);
    if (tooLong) {
      res.writeHead(400, 'Header Line Too Long', { 'Content-Length': 0, Connection: 'close' }).end();
      return;
    }
    this.inFlight.add(res);
    this.started++;
    const socket = req.socket;
    this.connections.set(socket, (this.connections.get(socket) ?? 0) + 1);
    res.once('close', () => {
      this.inFlight.delete(res);
      if (this.connections.has(socket)) this.connections.set(socket, this.connections.get(socket)! - 1);
    });
    const run = () => {
      if (res.destroyed) return this.next(); // the client went away while waiting
      const backend = this.backend;
      this.active++;
      backend.active++;
      let counted = true;
      const release = () => {
        if (!counted) return;
        counted = false;
        this.active--;
        if (--backend.active === 0) backend.idle?.();
        // the next waiting request starts after the event loop has had its turn (new connections,
        // the supervisor's messages), not in the same tick
        setImmediate(() => this.next());
      };
      res.once('close', release);
      // a watch stays open: it takes no place in the pool, and a drain ends it (the client resumes elsewhere)
      res.once(LONG_LIVED, () => {
        release();
        this.longLived.add(res);
        res.once('close', () => this.longLived.delete(res));
        if (this.draining) res.end();
      });
      backend.handle(req, res);
    };
    if (this.active < this.poolSize) run();
    else this.waiting.push(run);
  }

  private next(): void {
    while (this.active < this.poolSize && this.waiting.length) this.waiting.shift()!();
  }

  private longHeaderLine(req: IncomingMessage): boolean {
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      // "Name: value\r\n", as eventlet counts the line it reads
      if (raw[i]!.length + raw[i + 1]!.length + 4 > this.maxHeaderLine) return true;
    }
    return false;
  }
}

/** A bound TCP socket as libuv holds it: the supervisor passes it to the API workers, which listen on it. */
export type ListeningSocket = object;

/**
 * Binds bind_host:bind_port in the supervisor, as neutron-server's parent opens the socket its
 * workers serve. The supervisor never listens on it itself (it would accept connections too); it
 * keeps it open, so that the socket does not close when the last API worker dies: connections
 * then wait in the backlog for the respawned worker, and the port stays the same (bind_port = 0).
 * node:cluster's shared sockets close with their last worker, hence this (cluster's own way of
 * making the socket: net._createServerHandle, bind without listen).
 */
export async function bindSocket(host: string, port: number): Promise<{ socket: ListeningSocket; host: string; port: number }> {
  const address = net.isIP(host) ? host : (await lookup(host)).address;
  const made = (net as unknown as { _createServerHandle(a: string, p: number, t: number, fd: undefined, flags: number): number | TcpHandle })
    ._createServerHandle(address, port, net.isIP(address), undefined, 0);
  if (typeof made === 'number') {
    const code = getSystemErrorName(made);
    throw Object.assign(new Error(`cannot bind ${host}:${port}: ${code}`), { code });
  }
  const name: { address?: string; port?: number } = {};
  made.getsockname(name);
  return { socket: made, host: name.address!, port: name.port! };
}

interface TcpHandle {
  getsockname(out: object): number;
  close(): void;
}

/** Closes a socket bindSocket made: the workers' listening copies close as they drain. */
export function closeSocket(socket: ListeningSocket): void {
  (socket as TcpHandle).close();
}
