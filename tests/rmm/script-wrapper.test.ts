import { execFileSync } from 'node:child_process';
import { unwrapResult, wrapScript, MAX_SCRIPT_BYTES } from '../../activities/rmm/meshcentral/script-wrapper';
import { installScript, patchKey, validatePatchSet, verifyScript } from '../../activities/rmm/rollout/patch-scripts';

/** Pure parts of the RMM layer: the script wrapper (run here by a real /bin/sh) and patch scripts. */
describe('script wrapper', () => {
  const run = (script: string, timeoutMs = 5000) => {
    const w = wrapScript(script, 'sh', timeoutMs);
    let out: string;
    try {
      out = execFileSync('/bin/sh', ['-c', w.command], { encoding: 'utf8' });
    } catch (err) {
      out = (err as { stdout: string }).stdout;
    }
    return { out, parsed: unwrapResult(out, w.marker) };
  };

  it('returns stdout, stderr and the exit code separately, whatever the script prints', () => {
    const { parsed } = run("printf 'a\\nb'; printf 'é\\n' >&2; echo '__MSPFLOW_fake:RC:0'; exit 42");
    expect(parsed).toEqual({ stdout: "a\nb__MSPFLOW_fake:RC:0\n", stderr: 'é\n', exitCode: 42 });
  });

  it('passes quotes, dollars and newlines through untouched', () => {
    const script = `x='it'"'"'s'; echo "$x \\$HOME \`echo no\`"`;
    expect(run(script).parsed?.stdout).toBe("it's $HOME no\n");
  });

  it('kills a script over its timeout with exit code 124', () => {
    expect(run('echo before; sleep 5; echo after', 1000).parsed).toEqual({ stdout: 'before\n', stderr: '', exitCode: 124 });
  });

  it('refuses a truncated reply instead of guessing', () => {
    const { out } = run('echo hi');
    const w = wrapScript('echo hi', 'sh', 1000);
    expect(unwrapResult(out, w.marker)).toBeNull(); // another call's marker
    expect(unwrapResult(out.slice(0, out.length - 12), /__MSPFLOW_[0-9a-f]+/.exec(out)![0])).toBeNull();
  });

  it('refuses scripts too large for one shell argument', () => {
    expect(() => wrapScript('x'.repeat(MAX_SCRIPT_BYTES + 1), 'sh', 1000)).toThrow(/at most/);
  });
});

describe('patch scripts', () => {
  it('rejects package and KB names that are not names', () => {
    expect(() => validatePatchSet({ kind: 'packages', packages: ['openssl', 'x; rm -rf /'] })).toThrow(/invalid package names: x; rm -rf \//);
    expect(() => validatePatchSet({ kind: 'windows-kbs', kbs: ['KB5031356', "KB1'; Remove-Item"] })).toThrow(/invalid KB ids/);
    expect(() => validatePatchSet({ kind: 'packages', packages: [] })).toThrow();
    expect(() => validatePatchSet({ kind: 'packages', packages: ['openssl', 'libssl3:amd64'] })).not.toThrow();
  });

  it('uses apt/dnf on Linux and PSWindowsUpdate on Windows, with a header naming step and patch', () => {
    const linux = installScript({ kind: 'packages', packages: ['openssl'] }, 'linux');
    expect(linux.shell).toBe('sh');
    expect(linux.script).toMatch(/^# mspflow-step: install\n# mspflow-patch: packages:openssl\n/);
    expect(linux.script).toContain('apt-get install');
    expect(linux.script).toContain('dnf -y upgrade openssl');
    const win = installScript({ kind: 'windows-kbs', kbs: ['kb5031356'] }, 'windows');
    expect(win.shell).toBe('powershell');
    expect(win.script).toContain("Install-WindowsUpdate -KBArticleID 'KB5031356' -AcceptAll -IgnoreReboot");
    expect(verifyScript({ kind: 'os-updates', category: 'security' }, 'linux').script).toContain('grep -i security');
    expect(patchKey({ kind: 'packages', packages: ['b', 'a'] })).toBe('packages:a,b');
  });
});
