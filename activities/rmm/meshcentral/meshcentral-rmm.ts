import { NotFoundError, OperationalError, UserError } from '../../../lib/errors';
import type { Logger } from '../../../lib/logger';
import { KeyedSerialQueue } from '../device-queue';
import {
  boundedText,
  cleanName,
  type DeviceInventory,
  type DevicePlatform,
  type PresenceEvent,
  type RmmDevice,
  type RmmGroup,
  type RmmPort,
  type RunScriptRequest,
  type ScriptResult,
} from '../port';
import { DeviceOfflineError } from '../errors';
import { MeshControlConnection, type MeshControlOptions, type MeshMessage } from './control-connection';
import { TIMEOUT_EXIT_CODE, unwrapResult, wrapScript } from './script-wrapper';

const DEFAULT_SCRIPT_TIMEOUT_MS = 10 * 60_000;
/** Reply grace beyond the script's own timeout (the wrapper kills it, then reports). */
const REPLY_GRACE_MS = 30_000;
const AGENT_CONNECTED = 1;

interface MeshNode {
  _id: string;
  name?: string;
  rname?: string;
  host?: string;
  ip?: string;
  osdesc?: string;
  conn?: number;
  meshid?: string;
  agent?: { ver?: number | string; id?: number; root?: boolean };
  lastconnect?: number;
}

/** MeshCentral agent ids that are Windows builds (console and service, x86/x64/arm64). */
const WINDOWS_AGENT_IDS = new Set([1, 2, 3, 4, 34]);
const MAC_AGENT_IDS = new Set([16, 29]);

function platformOf(node: MeshNode): DevicePlatform {
  const os = node.osdesc ?? '';
  if (/windows/i.test(os)) return 'windows';
  if (/mac ?os|darwin|os x/i.test(os)) return 'macos';
  const id = node.agent?.id;
  if (id != null && WINDOWS_AGENT_IDS.has(id)) return 'windows';
  if (id != null && MAC_AGENT_IDS.has(id)) return 'macos';
  return id != null ? 'linux' : 'other';
}

const agentArch: Record<number, string> = { 5: 'linux-x86', 6: 'linux-x64', 25: 'linux-armhf', 26: 'linux-arm64', 3: 'windows-x86', 4: 'windows-x64' };

/**
 * MeshCentral adapter over its websocket control API (control.ashx): one persistent
 * authenticated connection (MeshControlConnection), unique response ids, one command at a time
 * per device, its own timeouts, and scripts wrapped for exit code and separate stderr.
 */
export class MeshCentralRmm implements RmmPort {
  readonly provider = 'meshcentral' as const;
  readonly connection: MeshControlConnection;
  private readonly queue = new KeyedSerialQueue();
  private readonly listeners = new Set<(e: PresenceEvent) => void>();

  constructor(private readonly opts: MeshControlOptions & { log: Logger }) {
    this.connection = new MeshControlConnection(opts);
    this.connection.on('message', (m: MeshMessage) => this.onMessage(m));
  }

  private onMessage(message: MeshMessage) {
    if (message.action !== 'event') return;
    const event = message.event as { action?: string; nodeid?: string; conn?: number } | undefined;
    if (event?.action !== 'nodeconnect' || typeof event.nodeid !== 'string') return;
    const presence: PresenceEvent = { deviceId: event.nodeid, online: ((event.conn ?? 0) & AGENT_CONNECTED) !== 0, at: new Date() };
    for (const listener of this.listeners) listener(presence);
  }

  onPresence(listener: (event: PresenceEvent) => void): () => void {
    this.listeners.add(listener);
    void this.connection.connect().catch(() => undefined);
    return () => this.listeners.delete(listener);
  }

  async listGroups(): Promise<RmmGroup[]> {
    // The meshes reply echoes `tag`, not responseid.
    const tag = this.connection.nextResponseId();
    const reply = await this.connection.request({ action: 'meshes', tag }, { match: (m) => m.action === 'meshes' && m.tag === tag });
    const meshes = Array.isArray(reply.meshes) ? (reply.meshes as Array<{ _id: string; name?: string }>) : [];
    return meshes.map((m) => ({ id: m._id, name: cleanName(m.name) }));
  }

  /** Creates a device group (used to enrol agents); returns the existing one with that name. */
  async ensureGroup(name: string): Promise<RmmGroup> {
    const existing = (await this.listGroups()).find((g) => g.name === name);
    if (existing) return existing;
    const reply = await this.connection.request({ action: 'createmesh', meshname: name, meshtype: 2 });
    if (reply.result !== 'ok' || typeof reply.meshid !== 'string') throw new OperationalError(`MeshCentral could not create group ${name}: ${String(reply.result)}`, 'meshcentral');
    return { id: reply.meshid, name };
  }

  private async nodes(): Promise<MeshNode[]> {
    const reply = await this.connection.request({ action: 'nodes' });
    const byMesh = (reply.nodes ?? {}) as Record<string, MeshNode[]>;
    return Object.entries(byMesh).flatMap(([meshid, nodes]) => (Array.isArray(nodes) ? nodes.map((n) => ({ ...n, meshid: n.meshid ?? meshid })) : []));
  }

  private toDevice(node: MeshNode): RmmDevice {
    return {
      id: node._id,
      groupId: node.meshid ?? '',
      name: cleanName(node.name ?? node.host ?? node._id),
      hostname: cleanName(node.rname ?? node.name ?? node.host ?? ''),
      os: node.osdesc ? cleanName(node.osdesc) : null,
      platform: platformOf(node),
      online: ((node.conn ?? 0) & AGENT_CONNECTED) !== 0,
      ips: node.ip ? [cleanName(node.ip, 64)] : [],
      lastSeenAt: node.lastconnect ? new Date(node.lastconnect) : null,
    };
  }

  async listDevices(groupId?: string): Promise<RmmDevice[]> {
    const nodes = await this.nodes();
    return nodes.filter((n) => !groupId || n.meshid === groupId).map((n) => this.toDevice(n));
  }

  async getDevice(deviceId: string): Promise<RmmDevice | null> {
    const node = (await this.nodes()).find((n) => n._id === deviceId);
    return node ? this.toDevice(node) : null;
  }

  async inventory(deviceId: string): Promise<DeviceInventory> {
    const node = (await this.nodes()).find((n) => n._id === deviceId);
    if (!node) throw new NotFoundError(`MeshCentral device ${deviceId}`);
    // getnetworkinfo replies carry no responseid: match on action + nodeid.
    const net = await this.connection
      .request({ action: 'getnetworkinfo', nodeid: deviceId }, { match: (m) => m.action === 'getnetworkinfo' && m.nodeid === deviceId, timeoutMs: 10_000 })
      .catch(() => null);
    // getsysinfo echoes `tag`, not responseid.
    const tag = this.connection.nextResponseId();
    const sys = await this.connection
      .request({ action: 'getsysinfo', nodeid: deviceId, nodeinfo: true, tag }, { match: (m) => m.action === 'getsysinfo' && m.tag === tag, timeoutMs: 10_000 })
      .catch(() => null);
    const netif = (net?.netif2 ?? {}) as Record<string, Array<{ mac?: string; address?: string; family?: string }>>;
    const nics = Object.entries(netif).map(([name, addrs]) => ({
      name: cleanName(name, 64),
      mac: addrs.find((a) => a.mac)?.mac ?? null,
      addresses: addrs.map((a) => cleanName(a.address, 64)).filter(Boolean),
    }));
    const ips = [...new Set([...nics.flatMap((n) => n.addresses).filter((a) => a !== '127.0.0.1' && a !== '::1'), ...(node.ip ? [node.ip] : [])])];
    const hw = (sys && !sys.noinfo ? (sys.hardware as Record<string, any> | undefined) : undefined) ?? null;
    const identifiers = hw?.identifiers ?? {};
    const hardware = hw
      ? {
          cpu: identifiers.cpu_name ? cleanName(identifiers.cpu_name) : undefined,
          vendor: identifiers.product_vendor ? cleanName(identifiers.product_vendor) : undefined,
          model: identifiers.product_name ? cleanName(identifiers.product_name) : undefined,
          serial: identifiers.product_serial ? cleanName(identifiers.product_serial) : undefined,
        }
      : null;
    const device = this.toDevice(node);
    return {
      hostname: device.hostname,
      os: device.os,
      platform: device.platform,
      ips,
      nics,
      hardware,
      agent: {
        version: node.agent?.ver != null ? String(node.agent.ver) : null,
        root: typeof node.agent?.root === 'boolean' ? node.agent.root : null,
        arch: node.agent?.id != null ? (agentArch[node.agent.id] ?? `agent-${node.agent.id}`) : null,
      },
    };
  }

  runScript(deviceId: string, request: RunScriptRequest): Promise<ScriptResult> {
    const timeoutMs = request.timeoutMs ?? DEFAULT_SCRIPT_TIMEOUT_MS;
    const wrapped = wrapScript(request.script, request.shell ?? 'sh', timeoutMs);
    return this.queue.run(deviceId, async () => {
      const responseid = this.connection.nextResponseId();
      const started = Date.now();
      const reply = await this.connection.request(
        { action: 'runcommands', nodeids: [deviceId], type: wrapped.meshType, cmds: wrapped.command, runAsUser: 0, reply: true, responseid },
        {
          // Success comes as a 'msg' of type runcommands; refusals as a 'runcommands' reply.
          match: (m) => m.responseid === responseid && (m.action === 'msg' ? m.type === 'runcommands' : m.action === 'runcommands' && m.result !== 'OK'),
          timeoutMs: timeoutMs + REPLY_GRACE_MS,
        },
      );
      if (reply.action === 'runcommands') {
        const result = String(reply.result);
        if (result === 'Agent not connected') throw new DeviceOfflineError(deviceId);
        if (result === 'Invalid nodeid') throw new NotFoundError(`MeshCentral device ${deviceId}`);
        throw new UserError(`MeshCentral refused the command: ${boundedText(result, 200)}`, 'RMM_REFUSED');
      }
      const parsed = unwrapResult(String(reply.result ?? ''), wrapped.marker);
      if (!parsed) throw new OperationalError(`MeshCentral returned an incomplete reply from ${deviceId}`, 'meshcentral');
      return {
        exitCode: parsed.exitCode,
        stdout: boundedText(parsed.stdout),
        stderr: boundedText(parsed.stderr),
        durationMs: Date.now() - started,
        timedOut: parsed.exitCode === TIMEOUT_EXIT_CODE,
      };
    });
  }

  async reboot(deviceId: string): Promise<void> {
    const device = await this.getDevice(deviceId);
    if (!device) throw new NotFoundError(`MeshCentral device ${deviceId}`);
    if (!device.online) throw new DeviceOfflineError(deviceId);
    // actiontype 3: reset (reboot) through the agent.
    await this.queue.run(deviceId, () => this.connection.request({ action: 'poweraction', nodeids: [deviceId], actiontype: 3 }));
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.connection.close();
  }
}
