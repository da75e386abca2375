import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { OperationalError, UserError } from '../../../lib/errors';
import type { Logger } from '../../../lib/logger';

export interface MeshControlOptions {
  /** wss://host:port of the MeshCentral server. */
  url: string;
  user: string;
  /** The password or a login token's password (tokens: `{action:'createLoginToken'}`). */
  password: string;
  /** SHA-384 hex of the server's TLS certificate (MeshCentral's "tlshash"); unset: any certificate. */
  tlsCertHash?: string;
  /** How long one request waits for its reply. Default 30 s. */
  requestTimeoutMs?: number;
  /** Reconnect backoff bounds. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  log: Logger;
}

export type MeshMessage = Record<string, unknown> & { action?: string };

type Matcher = (message: MeshMessage) => boolean;

interface Pending {
  match: Matcher;
  resolve(message: MeshMessage): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * One persistent, authenticated websocket to MeshCentral's control.ashx. Reconnects by itself
 * with backoff; requests made while disconnected wait for the connection (within their timeout);
 * requests in flight when the socket drops fail with a retryable OperationalError, because their
 * reply can never arrive on the new socket.
 *
 * Events: 'message' (every message), 'connected', 'disconnected'.
 */
export class MeshControlConnection extends EventEmitter {
  private socket: WebSocket | null = null;
  private opened: Promise<void> | null = null;
  private pending = new Set<Pending>();
  private closed = false;
  private backoffMs: number;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private readonly idPrefix = `mspflow-${crypto.randomBytes(4).toString('hex')}-`;
  private counter = 0;

  constructor(private readonly opts: MeshControlOptions) {
    super();
    this.setMaxListeners(0);
    this.backoffMs = opts.reconnectMinMs ?? 250;
  }

  get connected(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  /** A response id no other request (of this or another client) uses. */
  nextResponseId(): string {
    this.counter += 1;
    return `${this.idPrefix}${this.counter}`;
  }

  /** Opens the connection (idempotent); resolves once authenticated. */
  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new OperationalError('MeshCentral connection is closed', 'meshcentral'));
    if (this.connected) return Promise.resolve();
    if (!this.opened) {
      this.opened = this.open().catch((err: Error) => {
        this.opened = null;
        // A refused login is not retried in the background; the next request tries again.
        if (!(err instanceof UserError)) this.scheduleReconnect();
        throw err;
      });
    }
    return this.opened;
  }

  private open(): Promise<void> {
    const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
    const url = new URL('/control.ashx', this.opts.url).toString();
    return new Promise<void>((resolve, reject) => {
      const socket = new WebSocket(url, {
        headers: { 'x-meshauth': `${b64(this.opts.user)},${b64(this.opts.password)}` },
        // MeshCentral uses a self-signed certificate: trust is its pinned SHA-384, not a CA.
        rejectUnauthorized: false,
        checkServerIdentity: (() => undefined) as never,
        handshakeTimeout: 10_000,
        maxPayload: 64 * 1024 * 1024,
      });
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        socket.terminate();
        reject(err);
      };
      socket.once('upgrade', (res) => {
        const expected = this.opts.tlsCertHash?.toLowerCase();
        if (!expected) return;
        const cert = (res.socket as import('node:tls').TLSSocket).getPeerCertificate?.();
        const actual = cert?.raw ? crypto.createHash('sha384').update(cert.raw).digest('hex') : '';
        if (actual !== expected) fail(new UserError('MeshCentral TLS certificate does not match MESHCENTRAL_TLS_HASH', 'RMM_TLS_MISMATCH'));
      });
      socket.on('message', (data) => {
        let message: MeshMessage;
        try {
          message = JSON.parse(data.toString()) as MeshMessage;
        } catch {
          return;
        }
        if (!settled) {
          // The server greets an authenticated session with serverinfo/userinfo; a refused login
          // gets {action:'close', cause:'noauth'} and the socket closed.
          if (message.action === 'close') return fail(new UserError(`MeshCentral refused the login (${String(message.cause ?? 'unknown')})`, 'RMM_AUTH'));
          if (message.action === 'serverinfo' || message.action === 'userinfo') {
            settled = true;
            this.socket = socket;
            this.backoffMs = this.opts.reconnectMinMs ?? 250;
            this.opts.log.info({ url: this.opts.url }, 'MeshCentral control connection open');
            resolve();
            this.emit('connected');
          }
        }
        this.dispatch(message);
      });
      socket.on('error', (err) => fail(new OperationalError(`MeshCentral connection failed: ${err.message}`, 'meshcentral')));
      socket.on('close', (code) => {
        fail(new OperationalError(`MeshCentral closed the connection (code ${code})`, 'meshcentral'));
        if (this.socket === socket) this.onDisconnected(code);
      });
    });
  }

  private onDisconnected(code: number) {
    this.socket = null;
    this.opened = null;
    this.opts.log.warn({ code }, 'MeshCentral control connection lost');
    for (const p of this.pending) {
      if ((p as Pending & { sent?: boolean }).sent) this.settle(p, new OperationalError('MeshCentral connection lost before the reply', 'meshcentral'));
    }
    this.emit('disconnected');
    this.scheduleReconnect();
  }

  private scheduleReconnect() {
    if (this.closed || this.reconnectTimer) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.reconnectMaxMs ?? 10_000);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect().catch((err: Error) => this.opts.log.debug({ err: err.message }, 'MeshCentral reconnect failed'));
    }, delay);
    this.reconnectTimer.unref();
  }

  private dispatch(message: MeshMessage) {
    for (const p of this.pending) {
      if (p.match(message)) {
        this.settle(p, null, message);
        break;
      }
    }
    this.emit('message', message);
  }

  private settle(p: Pending, err: Error | null, message?: MeshMessage) {
    if (!this.pending.delete(p)) return;
    clearTimeout(p.timer);
    if (err) p.reject(err);
    else p.resolve(message!);
  }

  /**
   * Sends `message` and resolves with the first message `match` accepts (by default the one
   * echoing our unique responseid). Times out after timeoutMs with a retryable error.
   */
  async request(message: MeshMessage, opts: { match?: Matcher; timeoutMs?: number } = {}): Promise<MeshMessage> {
    const timeoutMs = opts.timeoutMs ?? this.opts.requestTimeoutMs ?? 30_000;
    const responseid = (message.responseid as string | undefined) ?? this.nextResponseId();
    const match = opts.match ?? ((m: MeshMessage) => m.responseid === responseid);
    const outgoing = { ...message, responseid };
    return new Promise<MeshMessage>((resolve, reject) => {
      const p: Pending & { sent?: boolean } = {
        match,
        resolve,
        reject,
        timer: setTimeout(
          () => this.settle(p, new OperationalError(`MeshCentral did not answer ${String(message.action)} within ${timeoutMs} ms`, 'meshcentral')),
          timeoutMs,
        ),
      };
      this.pending.add(p);
      this.connect()
        .then(() => {
          if (!this.pending.has(p)) return;
          p.sent = true;
          this.socket!.send(JSON.stringify(outgoing), (err) => {
            if (err) this.settle(p, new OperationalError(`MeshCentral send failed: ${err.message}`, 'meshcentral'));
          });
        })
        .catch((err: Error) => {
          // Auth failures are final; a server that is down is retried by the reconnect loop
          // while the request's own timeout runs.
          if (err instanceof UserError) this.settle(p, err);
        });
    });
  }

  /** Sends without waiting for a reply. */
  async send(message: MeshMessage): Promise<void> {
    await this.connect();
    this.socket!.send(JSON.stringify(message));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    for (const p of this.pending) this.settle(p, new OperationalError('MeshCentral connection closed', 'meshcentral'));
    const socket = this.socket;
    this.socket = null;
    if (socket && socket.readyState === WebSocket.OPEN) {
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.close();
        setTimeout(() => {
          socket.terminate();
          resolve();
        }, 2000).unref();
      });
    } else socket?.terminate();
  }
}
