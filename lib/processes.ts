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
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0];
}

/**
 * `count` distinct free ports: all probes stay open until every port is chosen (two freePort()
 * calls in a row may get the same port back from the kernel).
 */
export async function freePorts(count: number): Promise<number[]> {
  const probes = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = probes.map((p) => (p.address() as net.AddressInfo).port);
  await Promise.all(probes.map((p) => new Promise((resolve) => p.close(resolve))));
  return ports;
}

/** Staging dirs are named .staging-<pid>-*; those of dead processes are leftovers of killed installs. */
export function removeDeadStagingDirs(dir: string): void {
  for (const name of fs.readdirSync(dir)) {
    const pid = Number(/^\.staging-(\d+)-/.exec(name)?.[1]);
    if (pid && !pidAlive(pid)) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}
