import fs from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { ConfigError, configKeys, configTable, loadConfig } from '../lib/config';
import { ConflictError, NotFoundError, OperationalError, ValidationError, toHttpError } from '../lib/errors';
import { toTemporalFailure } from '../lib/temporal-failure';

describe('configuration', () => {
  it('has working defaults for every key', () => {
    const c = loadConfig({});
    expect(c.api.port).toBe(3000);
    expect(c.database.url).toBeUndefined();
    expect(c.temporal.address).toBeUndefined();
    expect(c.temporal.namespace).toBe('default');
    expect(c.temporal.dev.uiPort).toBe(8233);
    expect(c.temporal.tls).toBe(false);
  });

  it('reports every invalid key at once, naming each', () => {
    let error: unknown;
    try {
      loadConfig({ API_PORT: '70000', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud', RUN_API: 'maybe' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const key of ['API_PORT', 'DATABASE_URL', 'LOG_LEVEL', 'RUN_API']) expect(message).toContain(key);
    expect((error as ConfigError).problems).toHaveLength(4);
  });

  it('checks settings that only make sense together', () => {
    expect(() => loadConfig({ TEMPORAL_TLS_CERT_PATH: '/c.pem' })).toThrow(/TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH/);
    expect(() => loadConfig({ RUN_API: 'false', RUN_WORKER: 'false' })).toThrow(/cannot both be false/);
  });

  it('turns on TLS when an API key is given', () => {
    const c = loadConfig({ TEMPORAL_ADDRESS: 'ns.tmprl.cloud:7233', TEMPORAL_API_KEY: 'k' });
    expect(c.temporal.tls).not.toBe(false);
    expect(c.temporal.apiKey).toBe('k');
  });

  it('is the only reader of settings from process.env in application code', () => {
    // Handing the whole environment to a child process and searching PATH are not settings.
    const readsSetting = /process\.env\.(?!PATH\b)\w+|process\.env\[/;
    const root = path.join(__dirname, '..');
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (/\.(ts|js)$/.test(entry.name) && readsSetting.test(fs.readFileSync(full, 'utf8'))) offenders.push(path.relative(root, full));
      }
    };
    for (const dir of ['api', 'activities', 'workflows', 'workers', 'lib', 'scripts']) walk(path.join(root, dir));
    expect(offenders).toEqual([]);
  });

  it('is documented in the README, key for key', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    for (const key of Object.keys(configKeys)) expect(readme).toContain(`\`${key}\``);
    expect(readme).toContain(configTable());
  });
});

describe('error taxonomy', () => {
  it('maps user errors to 4xx and non-retryable failures', () => {
    expect(toHttpError(new ValidationError('bad')).statusCode).toBe(400);
    expect(toHttpError(new NotFoundError('Ticket 1')).statusCode).toBe(404);
    expect(toHttpError(new ConflictError('dup')).statusCode).toBe(409);
    const failure = toTemporalFailure(new ValidationError('bad')) as ApplicationFailure;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure.nonRetryable).toBe(true);
  });

  it('maps operational errors to 503 and retryable failures', () => {
    const err = new OperationalError('db down', 'postgresql');
    expect(toHttpError(err).statusCode).toBe(503);
    expect((toTemporalFailure(err) as ApplicationFailure).nonRetryable).toBe(false);
  });

  it('maps unexpected errors to 500 without leaking their message, and lets Temporal retry them', () => {
    const body = toHttpError(new TypeError('secret internals'));
    expect(body.statusCode).toBe(500);
    expect(body.message).not.toContain('secret');
    expect((toTemporalFailure(new TypeError('x')) as ApplicationFailure).nonRetryable).toBe(false);
  });
});
