import { spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP FAKE of Tactical RMM's REST API, following its documented and source-visible
 * shapes (X-API-KEY header, trailing slashes, /agents/, /agents/<id>/cmd/, /agents/<id>/reboot/,
 * /clients/, /winupdate/<id>/scan|install/, PUT /winupdate/<pk>/). Not the real product.
 *
 * /cmd/ really runs the command with /bin/bash on this machine (like a Linux agent would), so
 * the adapter's script wrapping is exercised for real; offline agents answer like Tactical does
 * ("Unable to contact the agent", HTTP 400).
 */
export interface FakeAgent {
  agent_id: string;
  hostname: string;
  site: number;
  plat: 'windows' | 'linux';
  status: 'online' | 'offline' | 'overdue';
  operating_system: string;
  local_ips: string;
  reboots: number;
  updates: Array<{ id: number; kb: string; title: string; installed: boolean; action: string; severity: string }>;
}

export class TacticalFake {
  readonly apiKey = 'FAKEKEY0123456789ABCDEFGHIJKLMNO';
  readonly requests: Array<{ method: string; path: string; body: unknown }> = [];
  readonly agents = new Map<string, FakeAgent>();
  readonly clients = [{ id: 1, name: 'ACME', sites: [{ id: 10, name: 'Paris' }, { id: 11, name: 'Lyon' }] }];
  private server = http.createServer((req, res) => void this.handle(req, res));
  private nextUpdateId = 100;
  /** Installs complete on the Nth status poll after /install/ (like a real agent, not at once). */
  installDelayPolls = 2;
  private pendingInstall = new Map<string, number>();

  addAgent(a: Omit<FakeAgent, 'reboots' | 'updates'> & { updates?: string[] }): FakeAgent {
    const agent: FakeAgent = {
      ...a,
      reboots: 0,
      updates: (a.updates ?? []).map((kb) => ({ id: this.nextUpdateId++, kb, title: `Update for Windows (${kb})`, installed: false, action: 'nothing', severity: 'Important' })),
    };
    this.agents.set(a.agent_id, agent);
    return agent;
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const body = raw ? JSON.parse(raw) : undefined;
    const url = new URL(req.url ?? '/', 'http://fake');
    this.requests.push({ method: req.method ?? '', path: url.pathname + url.search, body });
    const send = (status: number, data: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(data));
    };
    if (req.headers['x-api-key'] !== this.apiKey) return send(401, { detail: 'Authentication credentials were not provided.' });
    const p = url.pathname;
    let m: RegExpExecArray | null;
    if (req.method === 'GET' && p === '/clients/') return send(200, this.clients);
    if (req.method === 'GET' && p === '/agents/') {
      const site = url.searchParams.get('site');
      return send(200, [...this.agents.values()].filter((a) => !site || String(a.site) === site).map((a) => this.listShape(a)));
    }
    if ((m = /^\/agents\/([^/]+)\/$/.exec(p)) && req.method === 'GET') {
      const a = this.agents.get(m[1]);
      return a ? send(200, { ...this.listShape(a), site: a.site, cpu_model: ['Intel(R) Core(TM) i5'], total_ram: 16, make_model: 'Dell OptiPlex', serial_number: 'SN123', version: '2.8.0' }) : send(404, { detail: 'Not found.' });
    }
    if ((m = /^\/agents\/([^/]+)\/cmd\/$/.exec(p)) && req.method === 'POST') {
      const a = this.agents.get(m[1]);
      if (!a) return send(404, { detail: 'Not found.' });
      if (a.status !== 'online') return send(400, 'Unable to contact the agent');
      if (typeof body?.cmd !== 'string' || typeof body?.timeout !== 'number' || !body?.shell) return send(400, 'bad request');
      const r = spawnSync('/bin/bash', ['-c', body.cmd], { encoding: 'utf8', timeout: body.timeout * 1000 });
      // Tactical returns the combined output as a JSON string, no exit code.
      return send(200, `${r.stdout}${r.stderr}`);
    }
    if ((m = /^\/agents\/([^/]+)\/reboot\/$/.exec(p)) && req.method === 'POST') {
      const a = this.agents.get(m[1]);
      if (!a) return send(404, { detail: 'Not found.' });
      if (a.status !== 'online') return send(400, 'Unable to contact the agent');
      a.reboots += 1;
      return send(200, 'ok');
    }
    if ((m = /^\/winupdate\/([^/]+)\/scan\/$/.exec(p)) && req.method === 'POST') return this.agents.has(m[1]) ? send(200, 'A Windows update scan will performed on ' + m[1]) : send(404, {});
    if ((m = /^\/winupdate\/([^/]+)\/install\/$/.exec(p)) && req.method === 'POST') {
      const a = this.agents.get(m[1]);
      if (!a) return send(404, {});
      this.pendingInstall.set(a.agent_id, this.installDelayPolls);
      return send(200, `Approved patches will now be installed on ${a.hostname}`);
    }
    if ((m = /^\/winupdate\/([^/]+)\/$/.exec(p)) && req.method === 'GET') {
      const a = this.agents.get(m[1]);
      if (!a) return send(404, {});
      const left = this.pendingInstall.get(a.agent_id);
      if (left !== undefined) {
        if (left <= 0) {
          for (const u of a.updates) if (u.action === 'approve') u.installed = true;
          this.pendingInstall.delete(a.agent_id);
        } else this.pendingInstall.set(a.agent_id, left - 1);
      }
      return send(200, a.updates);
    }
    if ((m = /^\/winupdate\/(\d+)\/$/.exec(p)) && req.method === 'PUT') {
      const u = [...this.agents.values()].flatMap((a) => a.updates).find((x) => x.id === Number(m![1]));
      if (!u) return send(404, {});
      u.action = body?.action;
      return send(200, 'ok');
    }
    return send(404, { detail: 'Not found.' });
  }

  private listShape(a: FakeAgent) {
    const client = this.clients.find((c) => c.sites.some((s) => s.id === a.site))!;
    return {
      agent_id: a.agent_id,
      hostname: a.hostname,
      site_name: client.sites.find((s) => s.id === a.site)!.name,
      client_name: client.name,
      plat: a.plat,
      operating_system: a.operating_system,
      status: a.status,
      last_seen: new Date().toISOString(),
      local_ips: a.local_ips,
      needs_reboot: false,
    };
  }
}
