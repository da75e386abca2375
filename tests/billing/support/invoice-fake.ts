import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP fake of the generic REST invoice API the RestInvoiceAdapter speaks (see its doc):
 * checks the token, stores invoices, finds them by number, honours Idempotency-Key, and can be
 * told to answer 502 after storing an invoice (a lost answer), like a crash between the remote's
 * commit and ours.
 */
export class InvoiceApiFake {
  readonly invoices: Array<{ id: string; number: string; body: any }> = [];
  readonly requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders }> = [];
  loseNextCreateAnswer = false;
  private seq = 0;
  private readonly server = http.createServer((req, res) => this.handle(req, res));

  constructor(readonly token: string) {}

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    return this;
  }
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private send(res: http.ServerResponse, status: number, body: unknown) {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      if (req.headers['x-api-token'] !== this.token) return this.send(res, 401, { message: 'bad token' });
      const url = new URL(req.url ?? '/', 'http://fake');
      if (url.pathname !== '/api/v1/invoices') return this.send(res, 404, { message: 'not found' });
      if (req.method === 'GET') {
        const number = url.searchParams.get('number');
        return this.send(res, 200, { data: this.invoices.filter((i) => number === null || i.number === number).map((i) => ({ id: i.id, number: i.number })) });
      }
      if (req.method === 'POST') {
        let body: any;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          return this.send(res, 400, { message: 'not JSON' });
        }
        if (!body?.number || !Array.isArray(body.line_items)) return this.send(res, 422, { message: 'number and line_items required' });
        const key = req.headers['idempotency-key'];
        let invoice = this.invoices.find((i) => i.number === key || i.number === body.number);
        if (!invoice) {
          invoice = { id: `inv_${++this.seq}`, number: body.number, body };
          this.invoices.push(invoice);
        }
        if (this.loseNextCreateAnswer) {
          this.loseNextCreateAnswer = false;
          return this.send(res, 502, { message: 'gateway lost the answer' });
        }
        return this.send(res, 201, { data: { id: invoice.id, number: invoice.number } });
      }
      return this.send(res, 405, { message: 'method not allowed' });
    });
  }
}
