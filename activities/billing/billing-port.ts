/**
 * The billing port: how mspflow hands an invoice draft to an external invoicing / accounting
 * system. One adapter today (rest-invoice-adapter.ts, a generic REST invoice API). An adapter must
 * make pushInvoice idempotent on `number`: pushing the same invoice twice (a retry, a crash after
 * the remote created it but before we stored its id) must find the existing invoice, never
 * create a second one.
 */
export interface ExternalInvoice {
  /** Stable per draft version, e.g. ACME-2026-03-v2; the idempotency key on the remote side. */
  number: string;
  client: { code: string; name: string };
  period: string;
  currency: string;
  /** Decimal amounts in the currency (2 decimals). */
  lines: Array<{ description: string; quantity: number; unitPrice: number; amount: number; kind: string }>;
  total: number;
}

export interface BillingPort {
  /** Name stored with the draft (InvoiceDraft.externalSystem). */
  readonly system: string;
  pushInvoice(invoice: ExternalInvoice): Promise<{ externalId: string; created: boolean }>;
}
