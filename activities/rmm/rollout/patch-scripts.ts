import { ValidationError } from '../../../lib/errors';
import type { DevicePlatform, ScriptShell } from '../port';
import type { PatchSet } from '../../../workflows/rollout/definitions';

/**
 * The commands a rollout runs on a device, per platform: Linux agents get apt/dnf, Windows agents
 * PowerShell with the PSWindowsUpdate module. Every script starts with two comment lines naming
 * the step and the patch (the evidence shows them; the simulator reads them). Names in a patch
 * set are validated: they end up in a shell.
 */

export type PatchStep = 'precheck' | 'install' | 'reboot' | 'wait-online' | 'verify';

export interface StepScript {
  shell: ScriptShell;
  script: string;
}

const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.\-_:]{0,127}$/i;
const KB_NAME = /^KB\d{6,8}$/i;
const SCRIPT_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/i;

export function validatePatchSet(patchSet: PatchSet): void {
  switch (patchSet.kind) {
    case 'os-updates':
      if (patchSet.category !== 'security' && patchSet.category !== 'all') throw new ValidationError('os-updates category must be "security" or "all"');
      return;
    case 'packages': {
      const bad = patchSet.packages.filter((p) => !PACKAGE_NAME.test(p));
      if (patchSet.packages.length === 0 || bad.length) throw new ValidationError(`invalid package names: ${bad.join(', ') || '(none given)'}`);
      return;
    }
    case 'windows-kbs': {
      const bad = patchSet.kbs.filter((k) => !KB_NAME.test(k));
      if (patchSet.kbs.length === 0 || bad.length) throw new ValidationError(`invalid KB ids: ${bad.join(', ') || '(none given)'}`);
      return;
    }
    case 'script':
      if (!SCRIPT_ID.test(patchSet.id)) throw new ValidationError('script patch id must be 1-64 letters, digits, dot, dash or underscore');
      if (!patchSet.install.trim() || !patchSet.verify.trim()) throw new ValidationError('script patches need an install and a verify script');
      return;
    default:
      throw new ValidationError('unknown patch set kind');
  }
}

export function patchKey(patchSet: PatchSet): string {
  switch (patchSet.kind) {
    case 'os-updates':
      return `os-updates:${patchSet.category}`;
    case 'packages':
      return `packages:${[...patchSet.packages].sort().join(',')}`;
    case 'windows-kbs':
      return `kbs:${[...patchSet.kbs].map((k) => k.toUpperCase()).sort().join(',')}`;
    case 'script':
      return `script:${patchSet.id}`;
  }
}

const header = (step: PatchStep, patchSet: PatchSet) => `# mspflow-step: ${step}\n# mspflow-patch: ${patchKey(patchSet)}\n`;

/** Whether this patch set can run on the platform at all (KBs are Windows-only, apt/dnf Linux-only). */
export function supports(patchSet: PatchSet, platform: DevicePlatform): boolean {
  if (patchSet.kind === 'script') return true;
  if (patchSet.kind === 'windows-kbs') return platform === 'windows';
  if (patchSet.kind === 'packages') return platform === 'linux';
  return platform === 'linux' || platform === 'windows';
}

const shellFor = (platform: DevicePlatform): ScriptShell => (platform === 'windows' ? 'powershell' : 'sh');

export function precheckScript(patchSet: PatchSet, platform: DevicePlatform): StepScript {
  if (platform === 'windows') {
    return {
      shell: 'powershell',
      script:
        header('precheck', patchSet) +
        [
          `$d = Get-PSDrive -Name ($env:SystemDrive.TrimEnd(':'))`,
          `"FREE_KB=$([int64]($d.Free / 1024))"`,
          `$p = (Test-Path 'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\RebootPending') -or (Test-Path 'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\\Auto Update\\RebootRequired')`,
          `"PENDING_REBOOT=$([int]$p)"`,
        ].join('\n'),
    };
  }
  return {
    shell: 'sh',
    script:
      header('precheck', patchSet) +
      [
        `echo "FREE_KB=$(df -Pk / | awk 'NR==2{print $4}')"`,
        `if [ -f /var/run/reboot-required ]; then echo PENDING_REBOOT=1; else echo PENDING_REBOOT=0; fi`,
      ].join('\n'),
  };
}

const APT_ENV = `export DEBIAN_FRONTEND=noninteractive`;
const APT_OPTS = `-y -q -o Dpkg::Options::=--force-confold -o Dpkg::Options::=--force-confdef`;
const LINUX_REBOOT_FLAG = `if [ -f /var/run/reboot-required ]; then echo REBOOT_REQUIRED=1; elif command -v needs-restarting >/dev/null 2>&1 && ! needs-restarting -r >/dev/null 2>&1; then echo REBOOT_REQUIRED=1; fi`;

export function installScript(patchSet: PatchSet, platform: DevicePlatform): StepScript {
  const head = header('install', patchSet);
  if (patchSet.kind === 'script') return { shell: shellFor(platform), script: head + patchSet.install };
  if (platform === 'windows') {
    const selector =
      patchSet.kind === 'windows-kbs'
        ? `-KBArticleID ${patchSet.kbs.map((k) => `'${k.toUpperCase()}'`).join(',')}`
        : patchSet.kind === 'os-updates' && patchSet.category === 'security'
          ? `-Category 'Security Updates'`
          : `-MicrosoftUpdate`;
    return {
      shell: 'powershell',
      script:
        head +
        [
          `Import-Module PSWindowsUpdate -ErrorAction Stop`,
          `Install-WindowsUpdate ${selector} -AcceptAll -IgnoreReboot -Confirm:$false | Format-Table -AutoSize | Out-String -Width 200`,
          `if (Get-WURebootStatus -Silent) { 'REBOOT_REQUIRED=1' }`,
        ].join('\n'),
    };
  }
  let apt: string;
  let dnf: string;
  if (patchSet.kind === 'packages') {
    const names = patchSet.packages.join(' ');
    apt = `apt-get update -q && apt-get install ${APT_OPTS} --only-upgrade ${names}`;
    dnf = `dnf -y upgrade ${names}`;
  } else if (patchSet.kind === 'os-updates' && patchSet.category === 'security') {
    apt = `apt-get update -q && { if command -v unattended-upgrade >/dev/null 2>&1; then unattended-upgrade -v; else apt-get -s dist-upgrade | awk '/^Inst/ && /[Ss]ecurity/ {print $2}' | xargs -r apt-get install ${APT_OPTS} --only-upgrade; fi; }`;
    dnf = `dnf -y upgrade --security`;
  } else {
    apt = `apt-get update -q && apt-get ${APT_OPTS} upgrade`;
    dnf = `dnf -y upgrade`;
  }
  return {
    shell: 'sh',
    script: head + [`set -e`, APT_ENV, `if command -v apt-get >/dev/null 2>&1; then ${apt}; elif command -v dnf >/dev/null 2>&1; then ${dnf}; else echo "no apt-get or dnf on this device" >&2; exit 2; fi`, `set +e`, LINUX_REBOOT_FLAG].join('\n'),
  };
}

export function verifyScript(patchSet: PatchSet, platform: DevicePlatform): StepScript {
  const head = header('verify', patchSet);
  if (patchSet.kind === 'script') return { shell: shellFor(platform), script: head + patchSet.verify };
  if (platform === 'windows') {
    const selector = patchSet.kind === 'windows-kbs' ? `-KBArticleID ${patchSet.kbs.map((k) => `'${k.toUpperCase()}'`).join(',')}` : patchSet.kind === 'os-updates' && patchSet.category === 'security' ? `-Category 'Security Updates'` : '';
    return { shell: 'powershell', script: head + [`Import-Module PSWindowsUpdate -ErrorAction Stop`, `$left = @(Get-WindowsUpdate ${selector})`, `"PENDING_UPDATES=$($left.Count)"`, `if ($left.Count -gt 0) { exit 1 }`].join('\n') };
  }
  if (patchSet.kind === 'packages') {
    const list = patchSet.packages.join(' ');
    return {
      shell: 'sh',
      script: head + `left=0\nfor p in ${list}; do\n  if command -v apt >/dev/null 2>&1; then apt list --upgradable 2>/dev/null | grep -q "^$p/" && { echo "PENDING=$p"; left=1; }\n  elif command -v dnf >/dev/null 2>&1; then dnf -q check-update "$p" >/dev/null 2>&1; [ $? -eq 100 ] && { echo "PENDING=$p"; left=1; }\n  fi\ndone\nexit $left`,
    };
  }
  const filter = patchSet.kind === 'os-updates' && patchSet.category === 'security' ? ` | grep -i security` : '';
  return {
    shell: 'sh',
    script: head + `if command -v apt-get >/dev/null 2>&1; then n=$(apt-get -s upgrade 2>/dev/null | grep '^Inst'${filter} | wc -l); echo "PENDING_UPDATES=$n"; [ "$n" -eq 0 ]; else dnf -q check-update${filter ? ' --security' : ''} >/dev/null 2>&1; [ $? -ne 100 ]; fi`,
  };
}

/** Parses KEY=VALUE lines the step scripts print. */
export function parseFacts(stdout: string): Record<string, string> {
  const facts: Record<string, string> = {};
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^([A-Z_]{2,40})=(.*)$/.exec(line.trim());
    if (m) facts[m[1]] = m[2].slice(0, 200);
  }
  return facts;
}
