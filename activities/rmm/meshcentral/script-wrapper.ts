import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { ValidationError } from '../../../lib/errors';
import type { ScriptShell } from '../port';

/**
 * MeshCentral's runcommands returns stdout and stderr mixed, loses stderr written just before
 * exit, and has no exit code and no timeout. So the script is wrapped: decoded from base64 into a
 * temporary file, run under `timeout` with stdout and stderr to files, and the wrapper prints both
 * (gzip + base64, so repetitive output cannot trip the server's "30 identical console messages"
 * guard) between markers unique to this call, then the exit code. Anything outside the markers
 * (agent noise) is ignored; a reply without the closing marker is an error, never a guess.
 */

/** Scripts travel as one shell argument: stay below Linux's 128 KiB per-argument limit. */
export const MAX_SCRIPT_BYTES = 90_000;

export const TIMEOUT_EXIT_CODE = 124;

export interface WrappedScript {
  command: string;
  marker: string;
  /** MeshCentral runcommands type: 3 = /bin/sh, 2 = PowerShell. */
  meshType: number;
}

export function wrapScript(script: string, shell: ScriptShell, timeoutMs: number): WrappedScript {
  const bytes = Buffer.from(script, 'utf8');
  if (bytes.length > MAX_SCRIPT_BYTES) throw new ValidationError(`script is ${bytes.length} bytes; at most ${MAX_SCRIPT_BYTES} can be sent to an agent`);
  const marker = `__MSPFLOW_${crypto.randomBytes(8).toString('hex')}`;
  const b64 = bytes.toString('base64');
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  if (shell === 'sh') {
    const command = [
      `__d=$(mktemp -d 2>/dev/null || { d=/tmp/mspflow.$$; mkdir -p "$d" && echo "$d"; })`,
      `printf '%s' '${b64}' | base64 -d > "$__d/s"`,
      `if command -v timeout >/dev/null 2>&1; then timeout -k 5 ${seconds} /bin/sh "$__d/s" >"$__d/o" 2>"$__d/e" </dev/null; else /bin/sh "$__d/s" >"$__d/o" 2>"$__d/e" </dev/null; fi`,
      `__rc=$?`,
      `if command -v gzip >/dev/null 2>&1; then __z=gz; __enc() { gzip -c "$1" | base64; }; else __z=raw; __enc() { base64 "$1"; }; fi`,
      `echo "${marker}:O:$__z"; __enc "$__d/o"; echo "${marker}:E:$__z"; __enc "$__d/e"; echo "${marker}:RC:$__rc"`,
      `rm -rf "$__d"`,
    ].join('\n');
    return { command, marker, meshType: 3 };
  }
  // PowerShell (Windows agents); cmd scripts run through cmd.exe /c from PowerShell.
  const inner = shell === 'cmd' ? `'cmd.exe','/c',$f` : `'powershell.exe','-NoProfile','-NonInteractive','-ExecutionPolicy','Bypass','-File',$f`;
  const ext = shell === 'cmd' ? '.cmd' : '.ps1';
  const command = [
    `$ErrorActionPreference='Stop'`,
    `$f=[IO.Path]::GetTempFileName()+'${ext}'; $o=[IO.Path]::GetTempFileName(); $e=[IO.Path]::GetTempFileName()`,
    `[IO.File]::WriteAllBytes($f,[Convert]::FromBase64String('${b64}'))`,
    `$a=@(${inner}); $p=Start-Process -FilePath $a[0] -ArgumentList $a[1..($a.Length-1)] -RedirectStandardOutput $o -RedirectStandardError $e -NoNewWindow -PassThru`,
    `if(-not $p.WaitForExit(${seconds * 1000})){ try{$p.Kill()}catch{}; $rc=${TIMEOUT_EXIT_CODE} } else { $rc=$p.ExitCode }`,
    `Write-Output '${marker}:O:raw'; Write-Output ([Convert]::ToBase64String([IO.File]::ReadAllBytes($o)))`,
    `Write-Output '${marker}:E:raw'; Write-Output ([Convert]::ToBase64String([IO.File]::ReadAllBytes($e)))`,
    `Write-Output "${marker}:RC:$rc"`,
    `Remove-Item -Force $f,$o,$e -ErrorAction SilentlyContinue`,
  ].join('; ');
  return { command, marker, meshType: 2 };
}

export interface UnwrappedResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

function decode(section: string, encoding: string): string {
  const data = Buffer.from(section.replace(/\s+/g, ''), 'base64');
  if (encoding === 'gz') return data.length === 0 ? '' : zlib.gunzipSync(data, { maxOutputLength: 16 * 1024 * 1024 }).toString('utf8');
  return data.toString('utf8');
}

/** Parses the wrapper's reply; null when the markers are not all there (a truncated reply). */
export function unwrapResult(reply: string, marker: string): UnwrappedResult | null {
  const escaped = marker.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`${escaped}:O:(gz|raw)\\r?\\n([\\s\\S]*?)${escaped}:E:(gz|raw)\\r?\\n([\\s\\S]*?)${escaped}:RC:(\\d+)`);
  const m = re.exec(reply);
  if (!m) return null;
  try {
    return { stdout: decode(m[2], m[1]), stderr: decode(m[4], m[3]), exitCode: Number(m[5]) };
  } catch {
    return null;
  }
}
