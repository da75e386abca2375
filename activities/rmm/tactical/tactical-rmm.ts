import { NotFoundError, OperationalError, UserError } from '../../../lib/errors';
import type { Logger } from '../../../lib/logger';
import { KeyedSerialQueue } from '../device-queue';
import { DeviceOfflineError } from '../errors';
import { TIMEOUT_EXIT_CODE, unwrapResult, wrapScript } from '../meshcentral/script-wrapper';
import { boundedText, cleanName, type DeviceInventory, type DevicePlatform, type PresenceEvent, type RmmDevice, type RmmGroup, type RmmPort, type RunScriptRequest, type ScriptResult } from '../port';

/**
 * Tactical RMM adapter over its REST API (Django REST Framework, `X-API-KEY` header, trailing
 * slashes matter). Tested against a local HTTP fake that follows the documented shapes
 * (tests/rmm/support/tactical-fake.ts), not against the real product.
 *
 * Tactical's /cmd/ returns the output only, so scripts are wrapped like MeshCentral's to get the
 * exit code and stderr. Presence has no push channel here: it is polled.
 */
export interface TacticalOptions {
  url: string;
  apiKey: string;
  log: Logger;
  requestTimeoutMs?: number;
  presencePollMs?: number;
}

interface TacticalAgent {
  agent_id: string;
  hostname: string;
  site_name?: string;
  client_name?: string;
  plat?: string;
  operating_system?: string;
  status?: string;
  last_seen?: string | null;
  local_ips?: string;
  public_ip?: string;
  needs_reboot?: boolean;
  cpu_model?: string[];
  total_ram?: number;
  make_model?: string;
  serial_number?: string;
  version?: string;
}

export interface TacticalWindowsUpdate {
  id: number;
  kb: string;
  title: string;
  installed: boolean;
  action: string;
  severity?: string | null;
}

const platformOf = (plat?: string): DevicePlatform => (plat === 'windows' ? 'windows' : plat === 'linux' ? 'linux' : plat === 'darwin' ? 'macos' : 'other');

export class TacticalRmm implements RmmPort {
  readonly provider = 'tactical' as const;
  private readonly queue = new KeyedSerialQueue();
  private readonly listeners = new Set<(e: PresenceEvent) => void>();
  private pollTimer: NodeJS.Timeout | null = null;
  private lastOnline = new Map<string, boolean>();

  constructor(private readonly opts: TacticalOptions) {}

  private async call<T>(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<T> {
    const url = new URL(path, this.opts.url.endsWith('/') ? this.opts.url : `${this.opts.url}/`);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { 'content-type': 'application/json', 'x-api-key': this.opts.apiKey },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs ?? this.opts.requestTimeoutMs ?? 30_000),
        redirect: 'error',
      });
    } catch (err) {
      throw new OperationalError(`Tactical RMM ${method} ${url.pathname} failed: ${(err as Error).message}`, 'tactical');
    }
    const text = await res.text();
    if (res.status === 401 || res.status === 403) throw new UserError(`Tactical RMM refused the API key (${res.status})`, 'RMM_AUTH');
    if (res.status === 404) throw new NotFoundError(`Tactical RMM ${url.pathname}`);
    if (res.status >= 500 || res.status === 429) throw new OperationalError(`Tactical RMM answered ${res.status} for ${url.pathname}`, 'tactical');
    if (res.status >= 400) {
      // notify_error(): 400 with the message as a JSON string body.
      const message = safeJson(text) ?? text;
      if (typeof message === 'string' && /unable to contact the agent/i.test(message)) throw new OperationalError(message, 'tactical-agent');
      throw new UserError(`Tactical RMM refused ${url.pathname}: ${boundedText(typeof message === 'string' ? message : text, 300)}`, 'RMM_REFUSED');
    }
    return (text ? (safeJson(text) ?? text) : null) as T;
  }

  async listGroups(): Promise<RmmGroup[]> {
    const clients = await this.call<Array<{ id: number; name: string; sites?: Array<{ id: number; name: string }> }>>('GET', 'clients/');
    return clients.flatMap((c) => (c.sites ?? []).map((s) => ({ id: String(s.id), name: cleanName(`${c.name} / ${s.name}`) })));
  }

  private toDevice(a: TacticalAgent, groupId: string): RmmDevice {
    return {
      id: a.agent_id,
      groupId,
      name: cleanName(a.hostname),
      hostname: cleanName(a.hostname),
      os: a.operating_system ? cleanName(a.operating_system) : null,
      platform: platformOf(a.plat),
      online: a.status === 'online',
      ips: (a.local_ips ?? '').split(',').map((s) => cleanName(s, 64)).filter(Boolean),
      lastSeenAt: a.last_seen ? new Date(a.last_seen) : null,
    };
  }

  async listDevices(groupId?: string): Promise<RmmDevice[]> {
    if (groupId) {
      const agents = await this.call<TacticalAgent[]>('GET', `agents/?site=${encodeURIComponent(groupId)}`);
      return agents.map((a) => this.toDevice(a, groupId));
    }
    const out: RmmDevice[] = [];
    for (const g of await this.listGroups()) out.push(...(await this.listDevices(g.id)));
    return out;
  }

  async getDevice(deviceId: string): Promise<RmmDevice | null> {
    try {
      const a = await this.call<TacticalAgent & { site?: number }>('GET', `agents/${encodeURIComponent(deviceId)}/`);
      return this.toDevice(a, a.site != null ? String(a.site) : '');
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw err;
    }
  }

  async inventory(deviceId: string): Promise<DeviceInventory> {
    const a = await this.call<TacticalAgent>('GET', `agents/${encodeURIComponent(deviceId)}/`);
    const d = this.toDevice(a, '');
    return {
      hostname: d.hostname,
      os: d.os,
      platform: d.platform,
      ips: [...d.ips, ...(a.public_ip ? [cleanName(a.public_ip, 64)] : [])],
      nics: [],
      hardware: { cpu: a.cpu_model?.[0] ? cleanName(a.cpu_model[0]) : undefined, cpuCount: a.cpu_model?.length, memoryBytes: a.total_ram ? a.total_ram * 2 ** 30 : undefined, model: a.make_model ? cleanName(a.make_model) : undefined, serial: a.serial_number ? cleanName(a.serial_number) : undefined },
      agent: { version: a.version ?? null, root: null, arch: null },
    };
  }

  runScript(deviceId: string, request: RunScriptRequest): Promise<ScriptResult> {
    const timeoutMs = request.timeoutMs ?? 10 * 60_000;
    const shell = request.shell ?? 'sh';
    const wrapped = wrapScript(request.script, shell, timeoutMs);
    return this.queue.run(deviceId, async () => {
      const started = Date.now();
      const seconds = Math.ceil(timeoutMs / 1000) + 30;
      let output: unknown;
      try {
        output = await this.call('POST', `agents/${encodeURIComponent(deviceId)}/cmd/`, { shell: shell === 'sh' ? '/bin/bash' : 'powershell', cmd: wrapped.command, timeout: seconds, custom_shell: null, run_as_user: false }, (seconds + 10) * 1000);
      } catch (err) {
        if (err instanceof OperationalError && err.dependency === 'tactical-agent') throw new DeviceOfflineError(deviceId);
        throw err;
      }
      const parsed = unwrapResult(String(output ?? ''), wrapped.marker);
      if (!parsed) throw new OperationalError(`Tactical RMM returned an incomplete reply from ${deviceId}`, 'tactical');
      return { exitCode: parsed.exitCode, stdout: boundedText(parsed.stdout), stderr: boundedText(parsed.stderr), durationMs: Date.now() - started, timedOut: parsed.exitCode === TIMEOUT_EXIT_CODE };
    });
  }

  async reboot(deviceId: string): Promise<void> {
    try {
      await this.call('POST', `agents/${encodeURIComponent(deviceId)}/reboot/`, {});
    } catch (err) {
      if (err instanceof OperationalError && err.dependency === 'tactical-agent') throw new DeviceOfflineError(deviceId);
      throw err;
    }
  }

  // ------------------------------------------------------------ Windows updates (Tactical's own patching)

  async scanWindowsUpdates(deviceId: string): Promise<void> {
    await this.call('POST', `winupdate/${encodeURIComponent(deviceId)}/scan/`, {});
  }

  async listWindowsUpdates(deviceId: string): Promise<TacticalWindowsUpdate[]> {
    const list = await this.call<TacticalWindowsUpdate[]>('GET', `winupdate/${encodeURIComponent(deviceId)}/`);
    return list.map((u) => ({ id: u.id, kb: cleanName(u.kb, 32), title: cleanName(u.title, 500), installed: Boolean(u.installed), action: String(u.action), severity: u.severity ?? null }));
  }

  /**
   * Scans, approves the given KBs (all pending ones when kbs is empty), asks the agent to install
   * the approved updates, and polls until they show installed or the timeout passes.
   */
  async installWindowsUpdates(deviceId: string, kbs: string[], opts: { timeoutMs?: number; pollMs?: number } = {}): Promise<{ installed: string[]; pending: string[] }> {
    await this.scanWindowsUpdates(deviceId);
    const wanted = new Set(kbs.map((k) => k.toUpperCase()));
    const targets = (await this.listWindowsUpdates(deviceId)).filter((u) => !u.installed && (wanted.size === 0 || wanted.has(u.kb.toUpperCase())));
    for (const u of targets) await this.call('PUT', `winupdate/${u.id}/`, { action: 'approve' });
    if (targets.length > 0) await this.call('POST', `winupdate/${encodeURIComponent(deviceId)}/install/`, {});
    const deadline = Date.now() + (opts.timeoutMs ?? 60 * 60_000);
    const ids = new Set(targets.map((t) => t.id));
    for (;;) {
      const now = (await this.listWindowsUpdates(deviceId)).filter((u) => ids.has(u.id));
      const pending = now.filter((u) => !u.installed).map((u) => u.kb);
      if (pending.length === 0 || Date.now() > deadline) return { installed: now.filter((u) => u.installed).map((u) => u.kb), pending };
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 15_000));
    }
  }

  onPresence(listener: (event: PresenceEvent) => void): () => void {
    this.listeners.add(listener);
    if (!this.pollTimer) {
      this.pollTimer = setInterval(() => void this.pollPresence().catch((err: Error) => this.opts.log.debug({ err: err.message }, 'Tactical presence poll failed')), this.opts.presencePollMs ?? 30_000);
      this.pollTimer.unref();
    }
    return () => this.listeners.delete(listener);
  }

  private async pollPresence() {
    for (const d of await this.listDevices()) {
      const before = this.lastOnline.get(d.id);
      this.lastOnline.set(d.id, d.online);
      if (before !== undefined && before !== d.online) for (const l of this.listeners) l({ deviceId: d.id, online: d.online, at: new Date() });
    }
  }

  async close(): Promise<void> {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.listeners.clear();
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
