import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WEBHOOK_HEADERS, verifyWebhookSignature } from '../../../activities/notify/channels';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  rawBody: string;
  /** Parsed body, or undefined if it was not JSON. */
  json: any;
  /** The status this receiver answered. */
  status: number;
  /** For webhook endpoints: whether the signature checked out. */
  signatureValid?: boolean;
}

export interface ScriptedResponse {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** Wait this long before answering. */
  delayMs?: number;
}

/**
 * A real HTTP server on 127.0.0.1 (random port) standing in for Slack, Teams and generic webhook
 * receivers. Paths under /slack answer 200 "ok" (like Slack), /teams 202 (like a Teams workflow),
 * and a path registered with `webhook(path, secret)` verifies the mspflow signature the way a
 * real receiver should (401 on a bad one). `script(path, ...)` queues other answers.
 */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly scripts = new Map<string, ScriptedResponse[]>();
  private readonly secrets = new Map<string, string>();
  private readonly server = http.createServer((req, res) => this.handle(req, res));
  private base = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.base = `http://127.0.0.1:${port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path: string): string {
    return `${this.base}${path}`;
  }

  /** Makes `path` a signed-webhook endpoint checking signatures with `secret`. */
  webhook(path: string, secret: string): string {
    this.secrets.set(path, secret);
    return this.url(path);
  }

  /** Queues answers for `path`, used in order before the default answer. */
  script(path: string, ...responses: ScriptedResponse[]): void {
    this.scripts.set(path, [...(this.scripts.get(path) ?? []), ...responses]);
  }

  /** Every later answer on `path` waits this long. */
  private delays = new Map<string, number>();
  delay(path: string, ms: number): void {
    this.delays.set(path, ms);
  }

  to(path: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const path = (req.url ?? '/').split('?')[0];
      let json: unknown;
      try {
        json = JSON.parse(rawBody);
      } catch {
        json = undefined;
      }
      const record: ReceivedRequest = { method: req.method ?? '', path, headers: req.headers, rawBody, json, status: 0 };
      this.requests.push(record);

      let answer: ScriptedResponse = path.startsWith('/teams')
        ? { status: 202, body: '' }
        : path.startsWith('/slack')
          ? { status: 200, body: 'ok' }
          : { status: 200, body: '{"received":true}', headers: { 'content-type': 'application/json' } };
      const secret = this.secrets.get(path);
      if (secret !== undefined) {
        const header = (name: string) => req.headers[name.toLowerCase()] as string | undefined;
        record.signatureValid = verifyWebhookSignature(
          secret,
          header(WEBHOOK_HEADERS.timestamp),
          rawBody,
          header(WEBHOOK_HEADERS.signature),
        );
        if (!record.signatureValid) answer = { status: 401, body: 'bad signature' };
      }
      const queued = this.scripts.get(path);
      if (answer.status !== 401 && queued?.length) answer = queued.shift()!;
      const delayMs = answer.delayMs ?? this.delays.get(path) ?? 0;
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      record.status = answer.status;
      if (!res.destroyed) {
        res.writeHead(answer.status, answer.headers ?? { 'content-type': 'text/plain' });
        res.end(answer.body ?? '');
      }
    });
  }
}
