import { OperationalError, UserError } from '../../lib/errors';
import type { BillingPort, ExternalInvoice } from './billing-port';

/**
 * Adapter for a generic REST invoice API (shaped like Invoice Ninja's v1 API, simplified; tested
 * against a local fake, not against a real product). Requests carry `X-Api-Token: <token>` and
 * JSON bodies:
 *
 *   GET  {base}/api/v1/invoices?number=<number>   -> 200 {"data": [{"id": "...", "number": "..."}]}
 *   POST {base}/api/v1/invoices                   -> 200/201 {"data": {"id": "...", "number": "..."}}
 *        headers: Idempotency-Key: <number>
 *        body: {"number", "client": {"reference", "name"}, "period", "currency",
 *               "line_items": [{"notes", "quantity", "cost", "line_total", "kind"}], "total"}
 *
 * Idempotency: look the number up first; create only when absent, with the number as
 * Idempotency-Key too (so two racing pushes still make one invoice on a server that honours it).
 * 408, 429, 5xx and network errors are OperationalError (retry); other 4xx are UserError.
 */
export class RestInvoiceAdapter implements BillingPort {
  readonly system = 'rest-invoice';
  constructor(private readonly opts: { url: string; token: string; timeoutMs?: number }) {}

  private async call(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<any> {
    const url = new URL(path, this.opts.url.endsWith('/') ? this.opts.url : `${this.opts.url}/`);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { 'x-api-token': this.opts.token, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body ? JSON.stringify(body) : undefined,
        redirect: 'error',
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new OperationalError(`invoicing system unreachable: ${(err as Error).message}`, 'billing', { cause: err });
    }
    const text = await res.text();
    if (res.status === 408 || res.status === 429 || res.status >= 500) throw new OperationalError(`invoicing system answered ${res.status} to ${method} ${url.pathname}`, 'billing');
    if (res.status >= 400) throw new UserError(`invoicing system refused ${method} ${url.pathname} (${res.status}): ${text.slice(0, 300)}`, 'EXTERNAL_REFUSED');
    try {
      return JSON.parse(text);
    } catch {
      throw new OperationalError(`invoicing system answered ${res.status} with a body that is not JSON`, 'billing');
    }
  }

  private static idOf(entry: unknown): string {
    const id = (entry as { id?: unknown })?.id;
    if ((typeof id !== 'string' && typeof id !== 'number') || String(id).length === 0 || String(id).length > 200) throw new OperationalError('invoicing system answered without an invoice id', 'billing');
    return String(id);
  }

  async pushInvoice(invoice: ExternalInvoice): Promise<{ externalId: string; created: boolean }> {
    const found = await this.call('GET', `api/v1/invoices?number=${encodeURIComponent(invoice.number)}`);
    const existing = Array.isArray(found?.data) ? found.data.find((d: { number?: unknown }) => d?.number === invoice.number) : undefined;
    if (existing) return { externalId: RestInvoiceAdapter.idOf(existing), created: false };
    const created = await this.call(
      'POST',
      'api/v1/invoices',
      {
        number: invoice.number,
        client: { reference: invoice.client.code, name: invoice.client.name },
        period: invoice.period,
        currency: invoice.currency,
        line_items: invoice.lines.map((l) => ({ notes: l.description, quantity: l.quantity, cost: l.unitPrice, line_total: l.amount, kind: l.kind })),
        total: invoice.total,
      },
      { 'idempotency-key': invoice.number },
    );
    return { externalId: RestInvoiceAdapter.idOf(created?.data), created: true };
  }
}
