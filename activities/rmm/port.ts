/**
 * The RMM port: the one interface workflows (through activities) use to reach client machines,
 * whatever RMM the MSP runs. Adapters: MeshCentral (websocket control API), Tactical RMM (REST),
 * and a simulator for demos and load tests.
 *
 * Everything an RMM returns is hostile input: names and outputs are bounded and never executed.
 */

export type RmmProviderName = 'meshcentral' | 'tactical' | 'simulator';

export type DevicePlatform = 'linux' | 'windows' | 'macos' | 'other';

export interface RmmGroup {
  /** The RMM's id of the device group (MeshCentral mesh, Tactical site, simulator group). */
  id: string;
  name: string;
}

export interface RmmDevice {
  /** Stable id of the device in the RMM. */
  id: string;
  groupId: string;
  name: string;
  hostname: string;
  os: string | null;
  platform: DevicePlatform;
  online: boolean;
  ips: string[];
  lastSeenAt: Date | null;
}

export interface DeviceInventory {
  hostname: string;
  os: string | null;
  platform: DevicePlatform;
  ips: string[];
  /** Network interfaces the agent reports (name, MAC, addresses). */
  nics: Array<{ name: string; mac: string | null; addresses: string[] }>;
  /** Hardware facts when the agent reports them (absent on machines without DMI). */
  hardware: { cpu?: string; cpuCount?: number; memoryBytes?: number; vendor?: string; model?: string; serial?: string } | null;
  agent: { version: string | null; root: boolean | null; arch: string | null };
}

export type ScriptShell = 'sh' | 'powershell' | 'cmd';

export interface RunScriptRequest {
  script: string;
  shell?: ScriptShell;
  /** The script is killed after this long (and the call fails). Default 10 minutes. */
  timeoutMs?: number;
}

export interface ScriptResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** True when the RMM's timeout killed the script. */
  timedOut: boolean;
}

export interface PresenceEvent {
  deviceId: string;
  online: boolean;
  at: Date;
}

export interface RmmPort {
  readonly provider: RmmProviderName;
  listGroups(): Promise<RmmGroup[]>;
  /** Every device (of one group when groupId is given) with its online state. */
  listDevices(groupId?: string): Promise<RmmDevice[]>;
  getDevice(deviceId: string): Promise<RmmDevice | null>;
  inventory(deviceId: string): Promise<DeviceInventory>;
  runScript(deviceId: string, request: RunScriptRequest): Promise<ScriptResult>;
  reboot(deviceId: string): Promise<void>;
  /** Device online/offline changes; returns the unsubscribe function. */
  onPresence(listener: (event: PresenceEvent) => void): () => void;
  close(): Promise<void>;
}

/** The adapters a worker has, by provider name (a Device row says which one owns it). */
export type RmmRegistry = Partial<Record<RmmProviderName, RmmPort>>;

const MAX_TEXT = 1_000_000;

/** Bounds a string coming from an RMM (output, names) so a hostile agent cannot flood us. */
export function boundedText(value: unknown, max = MAX_TEXT): string {
  const text = typeof value === 'string' ? value : value == null ? '' : String(value);
  return text.length > max ? `${text.slice(0, max)}\n[truncated ${text.length - max} characters]` : text;
}

/** Removes control characters (except newline/tab) from a name an RMM reports. */
export function cleanName(value: unknown, max = 255): string {
  // eslint-disable-next-line no-control-regex
  return boundedText(value, max).replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '').trim();
}
