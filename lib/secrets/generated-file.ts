import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * A secret generated once into DATA_DIR and reused: written to a temporary file (mode 0600) and
 * linked into place, so two processes starting together end up with the same one (the loser of
 * the race reads the winner's). Used for the mail reply secret and the secrets key when they are
 * not configured, so a fresh `npm start` works and keeps working across restarts.
 */
export function readOrCreateSecretFile(
  file: string,
  opts: { create: () => string; valid: (value: string) => boolean; what: string; /** What is wrong with an invalid file, for the error. */ invalid: string },
): string {
  const existing = readSecretFile(file, opts.valid);
  if (existing) return existing;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
  fs.writeFileSync(tmp, opts.create() + '\n', { mode: 0o600 });
  try {
    // link fails if another process won the race: then its secret is the one
    fs.linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  const value = readSecretFile(file, opts.valid);
  if (!value) throw new Error(`${file} is empty or ${opts.invalid}; delete it to generate a new ${opts.what}`);
  return value;
}

function readSecretFile(file: string, valid: (value: string) => boolean): string | undefined {
  try {
    const v = fs.readFileSync(file, 'utf8').trim();
    return valid(v) ? v : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
