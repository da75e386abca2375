import fs from 'node:fs';
import { NotFoundError } from '../../../lib/errors';
import { DeviceOfflineError } from '../errors';
import type { DeviceInventory, DevicePlatform, PresenceEvent, RmmDevice, RmmGroup, RmmPort, RunScriptRequest, ScriptResult } from '../port';

/**
 * SIMULATED RMM, for demos and load tests only: a fleet of fake devices that answer the rollout's
 * step scripts (recognised by their "# mspflow-step:" header) with configurable latency, failure
 * rates, reboots and online/offline churn. Nothing here touches a real machine.
 *
 * With `journalPath`, every install is appended to a file (one JSON line) and replayed at start,
 * so installs survive a worker process being killed, and a test can count them.
 */
export interface SimulatorGroupSpec {
  id: string;
  name: string;
  devices: number;
  /** Share of Windows devices (the rest are Linux). Default 0. */
  windowsShare?: number;
}

export interface SimulatorOptions {
  groups: SimulatorGroupSpec[];
  seed?: number;
  /** Per script, uniformly between these (ms). */
  latencyMs?: [number, number];
  /** Probability an install fails (exit 1). */
  installFailureRate?: number;
  /** Probability an install needs a reboot. */
  rebootRequiredRate?: number;
  /** How long a reboot keeps a device offline. */
  rebootMs?: number;
  /** Share of devices offline at start. */
  offlineShare?: number;
  /** Every intervalMs, this share of devices flips online/offline. */
  churn?: { intervalMs: number; share: number };
  /** Devices whose installs always fail. */
  failingDevices?: string[];
  /** Devices that start offline. */
  offlineDevices?: string[];
  journalPath?: string;
}

interface SimDevice {
  id: string;
  groupId: string;
  name: string;
  platform: DevicePlatform;
  online: boolean;
  pendingReboot: boolean;
  installed: Set<string>;
  lastSeenAt: Date;
}

/** Small deterministic PRNG (mulberry32), so a seed reproduces a fleet. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class SimulatedRmm implements RmmPort {
  readonly provider = 'simulator' as const;
  private readonly devices = new Map<string, SimDevice>();
  private readonly listeners = new Set<(e: PresenceEvent) => void>();
  private readonly random: () => number;
  private churnTimer: NodeJS.Timeout | null = null;
  private readonly failing: Set<string>;
  /** Installs performed (including ones replayed from the journal), per device. */
  readonly installs = new Map<string, number>();
  /** Sum of simulated script latency and reboot time, for the bench's overhead figure. */
  simulatedBusyMs = 0;

  constructor(private readonly opts: SimulatorOptions) {
    this.random = rng(opts.seed ?? 1);
    this.failing = new Set(opts.failingDevices ?? []);
    const offline = new Set(opts.offlineDevices ?? []);
    for (const g of opts.groups) {
      for (let i = 0; i < g.devices; i++) {
        const id = `sim-${g.id}-${String(i).padStart(5, '0')}`;
        const windows = this.random() < (g.windowsShare ?? 0);
        this.devices.set(id, {
          id,
          groupId: g.id,
          name: `${g.id}-${windows ? 'win' : 'lnx'}-${i}`,
          platform: windows ? 'windows' : 'linux',
          online: !offline.has(id) && this.random() >= (opts.offlineShare ?? 0),
          pendingReboot: false,
          installed: new Set(),
          lastSeenAt: new Date(),
        });
      }
    }
    if (opts.journalPath && fs.existsSync(opts.journalPath)) {
      for (const line of fs.readFileSync(opts.journalPath, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        const entry = JSON.parse(line) as { deviceId: string; patch: string };
        this.devices.get(entry.deviceId)?.installed.add(entry.patch);
        this.installs.set(entry.deviceId, (this.installs.get(entry.deviceId) ?? 0) + 1);
      }
    }
    if (opts.churn) {
      this.churnTimer = setInterval(() => this.churnOnce(opts.churn!.share), opts.churn.intervalMs);
      this.churnTimer.unref();
    }
  }

  private churnOnce(share: number) {
    for (const d of this.devices.values()) if (this.random() < share) this.setOnline(d.id, !d.online);
  }

  /** Test and demo control: bring a device online or take it offline. */
  setOnline(deviceId: string, online: boolean): void {
    const d = this.devices.get(deviceId);
    if (!d || d.online === online) return;
    d.online = online;
    if (online) d.lastSeenAt = new Date();
    for (const l of this.listeners) l({ deviceId, online, at: new Date() });
  }

  /** Test control: make a device's installs fail (or succeed again). */
  setFailing(deviceId: string, failing: boolean): void {
    if (failing) this.failing.add(deviceId);
    else this.failing.delete(deviceId);
  }

  isInstalled(deviceId: string, patch: string): boolean {
    return this.devices.get(deviceId)?.installed.has(patch) ?? false;
  }

  private device(id: string): SimDevice {
    const d = this.devices.get(id);
    if (!d) throw new NotFoundError(`simulated device ${id}`);
    return d;
  }

  private view(d: SimDevice): RmmDevice {
    return { id: d.id, groupId: d.groupId, name: d.name, hostname: d.name, os: d.platform === 'windows' ? 'Windows 11 Pro (simulated)' : 'Debian 12 (simulated)', platform: d.platform, online: d.online, ips: [], lastSeenAt: d.lastSeenAt };
  }

  async listGroups(): Promise<RmmGroup[]> {
    return this.opts.groups.map((g) => ({ id: g.id, name: g.name }));
  }

  async listDevices(groupId?: string): Promise<RmmDevice[]> {
    return [...this.devices.values()].filter((d) => !groupId || d.groupId === groupId).map((d) => this.view(d));
  }

  async getDevice(deviceId: string): Promise<RmmDevice | null> {
    const d = this.devices.get(deviceId);
    return d ? this.view(d) : null;
  }

  async inventory(deviceId: string): Promise<DeviceInventory> {
    const d = this.device(deviceId);
    return { hostname: d.name, os: this.view(d).os, platform: d.platform, ips: [], nics: [], hardware: { cpuCount: 4, memoryBytes: 8 * 2 ** 30 }, agent: { version: 'simulator', root: true, arch: 'x64' } };
  }

  async runScript(deviceId: string, request: RunScriptRequest): Promise<ScriptResult> {
    const d = this.device(deviceId);
    if (!d.online) throw new DeviceOfflineError(deviceId);
    const [min, max] = this.opts.latencyMs ?? [0, 0];
    const latency = min + this.random() * (max - min);
    this.simulatedBusyMs += latency;
    if (latency > 0) await sleep(latency);
    if (!d.online) throw new DeviceOfflineError(deviceId);
    const step = /^# mspflow-step: (\S+)/m.exec(request.script)?.[1];
    const patch = /^# mspflow-patch: (\S+)/m.exec(request.script)?.[1] ?? 'unknown';
    const result = (exitCode: number, stdout: string, stderr = ''): ScriptResult => ({ exitCode, stdout, stderr, durationMs: Math.round(latency), timedOut: false });
    switch (step) {
      case 'precheck':
        return result(0, `FREE_KB=${50_000_000}\nPENDING_REBOOT=${d.pendingReboot ? 1 : 0}\n`);
      case 'install': {
        if (this.failing.has(deviceId) || this.random() < (this.opts.installFailureRate ?? 0)) return result(1, '', 'E: simulated install failure\n');
        d.installed.add(patch);
        this.installs.set(deviceId, (this.installs.get(deviceId) ?? 0) + 1);
        if (this.opts.journalPath) fs.appendFileSync(this.opts.journalPath, `${JSON.stringify({ deviceId, patch, at: Date.now() })}\n`);
        const reboot = this.random() < (this.opts.rebootRequiredRate ?? 0);
        if (reboot) d.pendingReboot = true;
        return result(0, `installed ${patch} (simulated)\n${reboot ? 'REBOOT_REQUIRED=1\n' : ''}`);
      }
      case 'verify':
        return d.installed.has(patch) ? result(0, 'up to date (simulated)\n') : result(1, `PENDING=${patch}\n`);
      default:
        return result(0, 'ok (simulated)\n');
    }
  }

  async reboot(deviceId: string): Promise<void> {
    const d = this.device(deviceId);
    if (!d.online) throw new DeviceOfflineError(deviceId);
    this.setOnline(deviceId, false);
    d.pendingReboot = false;
    this.simulatedBusyMs += this.opts.rebootMs ?? 1000;
    setTimeout(() => this.setOnline(deviceId, true), this.opts.rebootMs ?? 1000).unref();
  }

  onPresence(listener: (event: PresenceEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.churnTimer) clearInterval(this.churnTimer);
    this.listeners.clear();
  }
}
