import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** Whether a process exists (EPERM: it exists but belongs to someone else). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A TCP port free on loopback right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Staging dirs are named .staging-<pid>-*; those of dead processes are leftovers of killed installs. */
export function removeDeadStagingDirs(dir: string): void {
  for (const name of fs.readdirSync(dir)) {
    const pid = Number(/^\.staging-(\d+)-/.exec(name)?.[1]);
    if (pid && !pidAlive(pid)) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}
