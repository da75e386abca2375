import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadConfig } from '../../lib/config';
import { harnessFile, type HarnessInfo } from '../support/paths';
import { probeSlaClock, slaProbeWorkflow, type SlaProbeInput } from './fixtures/sla-probe.workflow';

/**
 * The SLA clock must run inside workflow code: no Node built-ins, no clock, no randomness.
 * Checked twice: by reading the sources, and by running it in a real worker's sandbox.
 */
const slaDir = path.join(__dirname, '..', '..', 'workflows', 'sla');

describe('SLA clock inside Temporal workflows', () => {
  it('uses nothing a workflow may not: no Node modules, clock, randomness or environment', () => {
    const forbidden = [/from ['"](node:|fs|path|crypto|os)/, /require\(/, /Date\.now/, /new Date\(\)/, /Math\.random/, /process\./, /performance\./, /setTimeout|setInterval/];
    const files = fs.readdirSync(slaDir).filter((f) => f.endsWith('.ts'));
    expect(files.sort()).toEqual(['calendar.ts', 'clock.ts', 'ical.ts', 'index.ts']);
    for (const file of files) {
      const source = fs.readFileSync(path.join(slaDir, file), 'utf8');
      for (const pattern of forbidden) expect({ file, found: pattern.test(source) ? String(pattern) : null }).toEqual({ file, found: null });
      // Imports stay within the module, plus lib/errors (which imports nothing).
      for (const [, from] of source.matchAll(/from '([^']+)'/g)) expect(from).toMatch(/^(\.\/\w+|\.\.\/\.\.\/lib\/errors)$/);
    }
    expect(fs.readFileSync(path.join(slaDir, '..', '..', 'lib', 'errors.ts'), 'utf8')).not.toMatch(/^import /m);
  });

  it('gives the same answers in the workflow sandbox as in Node', async () => {
    const harness = JSON.parse(fs.readFileSync(harnessFile(), 'utf8')) as HarnessInfo;
    const namespace = loadConfig({ ...process.env, TEMPORAL_ADDRESS: harness.temporalAddress }).temporal.namespace;
    try {
      Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
    } catch {
      // Already installed by another test in this process.
    }
    const input: SlaProbeInput = {
      calendar: {
        timezone: 'Europe/Paris',
        weekly: { mon: [['09:00', '12:00'], ['14:00', '18:00']], tue: [['09:00', '18:00']], wed: [], thu: [], fri: [['09:00', '18:00']], sat: [], sun: [] },
        holidays: [],
      },
      ics: 'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20200401\r\nRRULE:FREQ=YEARLY\r\nSUMMARY:Company day\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n',
      // Friday 2024-03-29 17:30 CET, across the spring-forward weekend and a holiday Monday.
      startAt: Date.parse('2024-03-29T17:30:00+01:00'),
      targetMinutes: 120,
      pauses: [{ from: Date.parse('2024-04-02T09:30:00+02:00'), to: Date.parse('2024-04-02T10:00:00+02:00'), reason: 'waiting for customer' }],
    };
    const inNode = probeSlaClock(input);
    // 30 min on Friday; Monday April 1st is the company day; Tuesday 09:00-09:30, paused to 10:00, then 60 more.
    expect(new Date(inNode.deadlineAt!).toISOString()).toBe('2024-04-02T09:00:00.000Z');

    const taskQueue = `sla-probe-${crypto.randomBytes(4).toString('hex')}`;
    const nativeConnection = await NativeConnection.connect({ address: harness.temporalAddress });
    const connection = await Connection.connect({ address: harness.temporalAddress });
    try {
      const worker = await Worker.create({
        connection: nativeConnection,
        namespace,
        taskQueue,
        workflowsPath: require.resolve('./fixtures/sla-probe.workflow'),
      });
      const client = new Client({ connection, namespace });
      const inSandbox = await worker.runUntil(
        client.workflow.execute(slaProbeWorkflow, { taskQueue, workflowId: `sla-probe-${crypto.randomUUID()}`, args: [input] }),
      );
      expect(inSandbox).toEqual(inNode);
    } finally {
      await connection.close();
      await nativeConnection.close();
    }
  });
});
