import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../lib/config';
import { GENERATED_SECRET_FILE, resolveReplySecrets } from '../../lib/mail/reply-secret';

describe('reply secret', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mspflow-secret-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('uses MAIL_REPLY_SECRET, then the previous secrets for verification', () => {
    const config = loadConfig({
      DATA_DIR: dir,
      MAIL_REPLY_SECRET: 'x'.repeat(40),
      MAIL_REPLY_PREVIOUS_SECRETS: `${'y'.repeat(40)}, ${'z'.repeat(40)}`,
    });
    expect(resolveReplySecrets(config)).toEqual(['x'.repeat(40), 'y'.repeat(40), 'z'.repeat(40)]);
    expect(fs.existsSync(path.join(dir, GENERATED_SECRET_FILE))).toBe(false);
  });

  it('without one, generates a random secret once (mode 0600) and keeps it across restarts', () => {
    const config = loadConfig({ DATA_DIR: dir });
    const [first] = resolveReplySecrets(config);
    expect(first.length).toBeGreaterThanOrEqual(32);
    const file = path.join(dir, GENERATED_SECRET_FILE);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(resolveReplySecrets(loadConfig({ DATA_DIR: dir }))).toEqual([first]);
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'mspflow-secret-'));
    try {
      expect(resolveReplySecrets(loadConfig({ DATA_DIR: other }))[0]).not.toBe(first);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it('refuses a short secret in the configuration and a damaged secret file', () => {
    expect(() => loadConfig({ MAIL_REPLY_SECRET: 'short' })).toThrow(/MAIL_REPLY_SECRET.*at least 32/s);
    fs.writeFileSync(path.join(dir, GENERATED_SECRET_FILE), 'tiny');
    expect(() => resolveReplySecrets(loadConfig({ DATA_DIR: dir }))).toThrow(/too short/);
  });
});
