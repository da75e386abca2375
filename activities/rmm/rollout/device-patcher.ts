import crypto from 'node:crypto';
import type { PrismaClient } from '../../../lib/db/prisma';
import { OperationalError } from '../../../lib/errors';
import type { Logger } from '../../../lib/logger';
import type { DeviceOutcome, PatchSet, RolloutPolicy } from '../../../workflows/rollout/definitions';
import { DeviceOfflineError } from '../errors';
import type { RmmPort, RmmRegistry, ScriptResult } from '../port';
import { installScript, parseFacts, precheckScript, verifyScript, type PatchStep, type StepScript } from './patch-scripts';

export interface PatcherDeps {
  prisma: PrismaClient;
  rmm: RmmRegistry;
  log: Logger;
  /** Called while waiting (activity heartbeat). */
  heartbeat?: () => void;
  pollMs?: number;
}

export interface PatchDeviceInput {
  rolloutId: string;
  ring: string;
  deviceId: string;
  patchSet: PatchSet;
  policy: RolloutPolicy;
}

const EXCERPT = 4000;
const DEFAULT_MIN_FREE_KB = 1024 * 1024;

type StepRow = { status: string; attempts: number; outputExcerpt: string | null; finishedAt: Date | null; startedAt: Date };

/**
 * Patches one device: pre-check → install → reboot if needed → wait to come back → verify. Each
 * step is recorded in RolloutStep, unique per (rollout, device, step), before and after it runs:
 * a step marked DONE is never run again, and an install interrupted by a crash (row left RUNNING)
 * is checked with the verify script before anything is installed again. That is what keeps a
 * retried activity or a restarted worker from patching a device twice.
 */
export async function patchDevice(deps: PatcherDeps, input: PatchDeviceInput): Promise<DeviceOutcome> {
  const { prisma } = deps;
  const key = { rolloutId: input.rolloutId, deviceId: input.deviceId };
  const membership = await prisma.rolloutDevice.findUnique({ where: { rolloutId_deviceId: key }, include: { device: true } });
  if (!membership) throw new OperationalError(`device ${input.deviceId} is not part of rollout ${input.rolloutId}`, 'postgresql');
  if (membership.state === 'succeeded') return { deviceId: input.deviceId, state: 'succeeded' };
  const device = membership.device;
  const port = deps.rmm[device.rmmProvider as keyof RmmRegistry];
  if (!port) throw new OperationalError(`this worker has no ${device.rmmProvider} RMM adapter configured`, device.rmmProvider);
  const platform = (device.platform as 'linux' | 'windows') ?? 'linux';
  const rmmId = device.rmmDeviceId;

  const finish = async (outcome: DeviceOutcome): Promise<DeviceOutcome> => {
    const state = outcome.state === 'deferred' ? 'pending' : outcome.state;
    await prisma.rolloutDevice.update({ where: { rolloutId_deviceId: key }, data: { state, reason: outcome.reason ?? null } });
    return outcome;
  };

  const live = await port.getDevice(rmmId);
  if (!live) return finish({ deviceId: input.deviceId, state: 'failed', reason: 'device no longer exists in the RMM' });
  if (!live.online) return finish({ deviceId: input.deviceId, state: 'offline', reason: 'offline at pre-check' });

  const rows = await prisma.rolloutStep.findMany({ where: key });
  const row = (step: PatchStep): StepRow | undefined => rows.find((r) => r.step === step);
  const ledger = new StepLedger(prisma, input.rolloutId, input.deviceId);

  try {
    // 1. Pre-check: online (above), free disk, reboot already pending.
    let pendingReboot = false;
    const pre = row('precheck');
    if (pre?.status === 'DONE') pendingReboot = parseFacts(pre.outputExcerpt ?? '').PENDING_REBOOT === '1';
    else {
      const r = await ledger.run('precheck', precheckScript(input.patchSet, platform), port, rmmId, input.policy);
      const facts = parseFacts(r.stdout);
      const freeKb = Number(facts.FREE_KB);
      if (r.exitCode !== 0) return finish(await ledger.fail('precheck', `pre-check exited with ${r.exitCode}: ${tail(r.stderr || r.stdout)}`));
      const minFree = input.policy.minFreeDiskKb ?? DEFAULT_MIN_FREE_KB;
      if (!Number.isFinite(freeKb) || freeKb < minFree) return finish(await ledger.fail('precheck', `not enough free disk: ${facts.FREE_KB ?? '?'} KiB, ${minFree} needed`));
      pendingReboot = facts.PENDING_REBOOT === '1';
      await ledger.done('precheck');
    }

    // 2. Install, at most once successfully.
    let rebootRequired = pendingReboot || (input.patchSet.kind === 'script' && Boolean(input.patchSet.rebootAfter));
    const inst = row('install');
    if (inst?.status === 'DONE') rebootRequired ||= parseFacts(inst.outputExcerpt ?? '').REBOOT_REQUIRED === '1';
    else {
      let installDone = false;
      if (inst?.status === 'RUNNING') {
        // An earlier attempt died mid-install: it may have worked. Check before installing again.
        const v = await port.runScript(rmmId, { ...verifyScript(input.patchSet, platform), timeoutMs: input.policy.scriptTimeoutMs });
        if (v.exitCode === 0) {
          await ledger.done('install', 'verify passed after an interrupted install: not installed again');
          installDone = true;
        }
      }
      if (!installDone) {
        const r = await ledger.run('install', installScript(input.patchSet, platform), port, rmmId, input.policy);
        if (r.exitCode !== 0) {
          const reason = `install exited with ${r.exitCode}${r.timedOut ? ' (timed out)' : ''}: ${tail(r.stderr || r.stdout)}`;
          const failed = await ledger.fail('install', reason);
          if ((inst ? inst.attempts + 1 : 1) < (input.policy.installAttempts ?? 2)) throw new OperationalError(`${reason}; will retry`, 'rmm-agent');
          return finish(failed);
        }
        rebootRequired ||= parseFacts(r.stdout).REBOOT_REQUIRED === '1';
        await ledger.done('install');
      }
    }

    // 3-4. Reboot if needed and wait for the device to come back.
    let rebooted = false;
    if (rebootRequired) {
      rebooted = true;
      // Watch presence before asking for the reboot, so a quick reboot's offline event is seen.
      const watch = watchOffline(port, rmmId);
      try {
        const rebootRow = row('reboot');
        let requestedAt = rebootRow?.status === 'DONE' ? (rebootRow.finishedAt?.getTime() ?? Date.now()) : Date.now();
        if (rebootRow?.status !== 'DONE') {
          await ledger.start('reboot', 'reboot');
          requestedAt = Date.now();
          await port.reboot(rmmId);
          await ledger.done('reboot');
        }
        if (row('wait-online')?.status !== 'DONE') {
          await ledger.start('wait-online', 'wait for the device to reconnect');
          const back = await waitBackOnline(deps, port, rmmId, watch, requestedAt, input.policy.rebootTimeoutMs ?? 20 * 60_000);
          if (!back) return finish(await ledger.fail('wait-online', 'did not come back online after the reboot'));
          await ledger.done('wait-online');
        }
      } finally {
        watch.stop();
      }
    }

    // 5. Verify.
    const v = await ledger.run('verify', verifyScript(input.patchSet, platform), port, rmmId, input.policy);
    if (v.exitCode !== 0) return finish(await ledger.fail('verify', `verify exited with ${v.exitCode}: ${tail(v.stdout + v.stderr)}`));
    await ledger.done('verify');
    return finish({ deviceId: input.deviceId, state: 'succeeded', rebooted });
  } catch (err) {
    if (err instanceof DeviceOfflineError) return finish({ deviceId: input.deviceId, state: 'offline', reason: 'went offline during the rollout' });
    throw err;
  }
}

function tail(text: string): string {
  const t = text.trim();
  return t.length > 300 ? `…${t.slice(-300)}` : t;
}

function watchOffline(port: RmmPort, rmmId: string) {
  const watch = { sawOffline: false, backOnline: false, stop: () => undefined as unknown };
  watch.stop = port.onPresence((e) => {
    if (e.deviceId !== rmmId) return;
    if (!e.online) watch.sawOffline = true;
    else if (watch.sawOffline) watch.backOnline = true;
  });
  return watch;
}

/**
 * The reboot command returns before the device goes down: it is back once it was seen offline
 * (presence event or poll) and is online again; a device never seen offline counts as back when
 * online 2 minutes after the request (a reboot faster than the polls, or a resumed attempt).
 */
async function waitBackOnline(deps: PatcherDeps, port: RmmPort, rmmId: string, watch: { sawOffline: boolean; backOnline: boolean }, requestedAt: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const pollMs = deps.pollMs ?? 2000;
  while (Date.now() < deadline) {
    deps.heartbeat?.();
    const d = await port.getDevice(rmmId).catch(() => null);
    if (d && !d.online) watch.sawOffline = true;
    if (d?.online && (watch.sawOffline || Date.now() - requestedAt > 120_000)) return true;
    // Sleep until the next poll, or until a presence event says it is back.
    for (let waited = 0; waited < pollMs && !watch.backOnline; waited += 100) await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** The per-(rollout, device, step) rows: evidence for reports and the idempotency ledger. */
class StepLedger {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly rolloutId: string,
    private readonly deviceId: string,
  ) {}

  private where(step: PatchStep) {
    return { rolloutId_deviceId_step: { rolloutId: this.rolloutId, deviceId: this.deviceId, step } };
  }

  async start(step: PatchStep, command: string): Promise<void> {
    await this.prisma.rolloutStep.upsert({
      where: this.where(step),
      create: { rolloutId: this.rolloutId, deviceId: this.deviceId, step, status: 'RUNNING', command: command.slice(0, EXCERPT) },
      update: { status: 'RUNNING', attempts: { increment: 1 }, command: command.slice(0, EXCERPT), startedAt: new Date(), finishedAt: null, error: null, exitCode: null },
    });
  }

  /** Marks the step RUNNING, then runs it; done() / fail() record the result with the status. */
  async run(step: PatchStep, script: StepScript, port: RmmPort, rmmId: string, policy: RolloutPolicy): Promise<ScriptResult> {
    await this.start(step, script.script);
    const r = await port.runScript(rmmId, { ...script, timeoutMs: policy.scriptTimeoutMs ?? 30 * 60_000 });
    const output = `${r.stdout}${r.stderr ? `\n[stderr]\n${r.stderr}` : ''}`;
    this.results.set(step, {
      exitCode: r.exitCode,
      outputDigest: crypto.createHash('sha256').update(r.stdout).update('\0').update(r.stderr).digest('hex'),
      outputExcerpt: output.length > EXCERPT ? output.slice(-EXCERPT) : output,
    });
    return r;
  }

  private readonly results = new Map<PatchStep, { exitCode: number; outputDigest: string; outputExcerpt: string }>();

  async done(step: PatchStep, note?: string): Promise<void> {
    await this.prisma.rolloutStep.update({ where: this.where(step), data: { ...this.results.get(step), status: 'DONE', finishedAt: new Date(), ...(note ? { error: note } : {}) } });
  }

  async fail(step: PatchStep, reason: string): Promise<DeviceOutcome> {
    await this.prisma.rolloutStep.update({ where: this.where(step), data: { ...this.results.get(step), status: 'FAILED', finishedAt: new Date(), error: reason.slice(0, 2000) } });
    return { deviceId: this.deviceId, state: 'failed', reason: `${step}: ${reason}`.slice(0, 500) };
  }
}
