import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { OperationalError } from '../../lib/errors';

/**
 * One headless Chromium (Debian package `chromium`, no browser download) driven over the
 * DevTools protocol on a pipe (`--remote-debugging-pipe`: fd 3 in, fd 4 out, NUL-terminated
 * JSON), shared by every report: each job gets its own tab, at most `concurrency` at once, then
 * the tab is closed. If Chromium dies, the jobs in flight fail (retryably) and the next job
 * starts a new one.
 */
export interface HtmlPrinter {
  pdf(html: string): Promise<Buffer>;
  /** A PNG of the whole page at `width` CSS pixels. */
  screenshot(html: string, width?: number): Promise<Buffer>;
  close(): Promise<void>;
}

export function findChromium(explicit?: string): string {
  if (explicit) return explicit;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  throw new OperationalError('Chromium not found: run scripts/chromium/install.sh (Debian package chromium) or set CHROMIUM_PATH', 'chromium');
}

interface Pending {
  resolve(v: any): void;
  reject(e: Error): void;
}

class Browser {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private buffer = '';
  private exited = false;
  constructor(
    readonly proc: ChildProcess,
    private readonly input: Writable,
    output: Readable,
    readonly profileDir: string,
  ) {
    output.setEncoding('utf8');
    output.on('data', (chunk: string) => {
      this.buffer += chunk;
      let end: number;
      while ((end = this.buffer.indexOf('\0')) >= 0) {
        const message = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 1);
        this.dispatch(message);
      }
    });
    proc.once('exit', () => {
      this.exited = true;
      for (const p of this.pending.values()) p.reject(new OperationalError('Chromium exited', 'chromium'));
      this.pending.clear();
      fs.rmSync(profileDir, { recursive: true, force: true });
    });
    this.input.on('error', () => undefined);
  }

  get alive(): boolean {
    return !this.exited;
  }

  private dispatch(message: string): void {
    let msg: { id?: number; result?: unknown; error?: { message: string } };
    try {
      msg = JSON.parse(message);
    } catch {
      return;
    }
    if (msg.id === undefined) return; // events: not needed
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.error) p.reject(new OperationalError(`Chromium: ${msg.error.message}`, 'chromium'));
    else p.resolve(msg.result);
  }

  send<T = any>(method: string, params: Record<string, unknown> = {}, sessionId?: string, timeoutMs = 60_000): Promise<T> {
    if (this.exited) return Promise.reject(new OperationalError('Chromium exited', 'chromium'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new OperationalError(`Chromium did not answer ${method} within ${timeoutMs} ms`, 'chromium'));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.input.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    });
  }
}

export function createHtmlPrinter(opts: { chromiumPath?: string; concurrency?: number } = {}): HtmlPrinter {
  const concurrency = Math.max(1, opts.concurrency ?? 2);
  let browser: Browser | undefined;
  let launching: Promise<Browser> | undefined;
  let active = 0;
  const waiting: Array<() => void> = [];

  const launch = async (): Promise<Browser> => {
    const executable = findChromium(opts.chromiumPath);
    const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mspflow-chromium-'));
    const args = [
      '--headless',
      '--remote-debugging-pipe',
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-extensions',
      '--disable-background-networking',
      '--disable-sync',
      '--mute-audio',
      '--hide-scrollbars',
      `--user-data-dir=${profileDir}`,
      // Chromium refuses to sandbox as root (CI containers); reports are our own HTML with no script.
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      'about:blank',
    ];
    const proc = spawn(executable, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (d) => {
      stderr = (stderr + String(d)).slice(-4000);
    });
    const b = new Browser(proc, proc.stdio[3] as Writable, proc.stdio[4] as Readable, profileDir);
    try {
      await b.send('Browser.getVersion', {}, undefined, 30_000);
    } catch (err) {
      proc.kill('SIGKILL');
      throw new OperationalError(`Chromium did not start (${executable}): ${(err as Error).message}; ${stderr.trim().slice(-500)}`, 'chromium');
    }
    return b;
  };

  const getBrowser = async (): Promise<Browser> => {
    if (browser?.alive) return browser;
    launching ??= launch().finally(() => {
      launching = undefined;
    });
    browser = await launching;
    return browser;
  };

  const withTab = async <T>(html: string, fn: (b: Browser, sessionId: string) => Promise<T>): Promise<T> => {
    if (active >= concurrency) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      const b = await getBrowser();
      const { targetId } = await b.send<{ targetId: string }>('Target.createTarget', { url: 'about:blank' });
      try {
        const { sessionId } = await b.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true });
        await b.send('Page.enable', {}, sessionId);
        // reports carry no script; keep it that way even if a template slipped
        await b.send('Emulation.setScriptExecutionDisabled', { value: true }, sessionId);
        const tree = await b.send<{ frameTree: { frame: { id: string } } }>('Page.getFrameTree', {}, sessionId);
        await b.send('Page.setDocumentContent', { frameId: tree.frameTree.frame.id, html }, sessionId);
        return await fn(b, sessionId);
      } finally {
        await b.send('Target.closeTarget', { targetId }).catch(() => undefined);
      }
    } finally {
      active--;
      waiting.shift()?.();
    }
  };

  return {
    pdf: (html) =>
      withTab(html, async (b, sessionId) => {
        const { data } = await b.send<{ data: string }>(
          'Page.printToPDF',
          { printBackground: true, paperWidth: 8.27, paperHeight: 11.69, marginTop: 0.4, marginBottom: 0.4, marginLeft: 0.4, marginRight: 0.4 },
          sessionId,
        );
        return Buffer.from(data, 'base64');
      }),
    screenshot: (html, width = 800) =>
      withTab(html, async (b, sessionId) => {
        await b.send('Emulation.setDeviceMetricsOverride', { width, height: 600, deviceScaleFactor: 1, mobile: false }, sessionId);
        const metrics = await b.send<{ cssContentSize: { width: number; height: number } }>('Page.getLayoutMetrics', {}, sessionId);
        const height = Math.min(Math.ceil(metrics.cssContentSize.height), 16_000);
        const { data } = await b.send<{ data: string }>(
          'Page.captureScreenshot',
          { format: 'png', captureBeyondViewport: true, clip: { x: 0, y: 0, width, height, scale: 1 } },
          sessionId,
        );
        return Buffer.from(data, 'base64');
      }),
    async close() {
      const b = browser ?? (launching ? await launching.catch(() => undefined) : undefined);
      browser = undefined;
      if (!b || !b.alive) return;
      const exited = new Promise<void>((r) => b.proc.once('exit', () => r()));
      await b.send('Browser.close', {}, undefined, 5000).catch(() => undefined);
      const timer = setTimeout(() => b.proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
