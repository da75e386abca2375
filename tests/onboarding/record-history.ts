/**
 * Records tests/histories/onboarding-workflow.json, which tests/workflows/replay.test.ts replays
 * against the current onboarding workflow code (a change that breaks it would break onboardings
 * already running). Run it when a change is meant to change histories, and ship that change
 * with patching/versioning:
 *   node --import tsx tests/onboarding/record-history.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { recordClientReplyForItem } from '../../activities/onboarding/onboarding-service';
import globalSetup from '../support/global-setup';
import globalTeardown from '../support/global-teardown';
import { createTestContext } from '../support/context';
import { eventually } from '../support/eventually';
import { DEFAULT_MAIL_USERS, startMailServers } from '../support/mail-servers';
import { onboardingViewQuery } from '../../workflows/onboarding/definitions';
import { inbox, mailEnv, itemIdOf, stepOneFields } from './support';

const outFile = path.join(__dirname, '..', 'histories', 'onboarding-workflow.json');

async function main() {
  await globalSetup();
  const servers = await startMailServers({ users: [...DEFAULT_MAIL_USERS, 'it@history.test'] });
  const ctx = await createTestContext({ worker: true, env: mailEnv(servers) });
  try {
    const { token } = await ctx.userWithToken('ONBOARDING_MANAGER');
    const post = async (url: string, payload: object) => {
      const res = await ctx.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}` }, payload });
      if (res.statusCode >= 300) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
    };
    const code = 'history';
    const contact = 'it@history.test';
    await post('/onboardings', { clientCode: code, clientName: 'History Co', contactName: 'IT', contactEmail: contact, locale: 'en' });
    const handle = ctx.temporal.client.workflow.getHandle(`onboarding-${code}`);
    const requests = await eventually(async () => {
      const m = await inbox(servers, contact);
      if (m.length < 3) throw new Error('requests not sent yet');
      return m;
    });
    // A representative life: form items, a client reply, a skip, a gate refused then opened,
    // the step-7 automations, a reopen.
    for (const [key, fields] of Object.entries(stepOneFields('history.test', contact))) await post(`/onboardings/${code}/items/${key}/complete`, { fields });
    const doc = requests.find((m) => /network diagrams/.test(m.subject ?? ''))!;
    await recordClientReplyForItem(
      { prisma: ctx.prisma, dispatch: (key) => ctx.dispatcher.dispatchKey(key) },
      { itemId: itemIdOf(doc)!, from: contact, messageId: '<history-reply@history.test>', text: 'diagram attached' },
    );
    await post(`/onboardings/${code}/items/emergency-instructions/complete`, { evidence: { kind: 'NOTE', text: 'call' } });
    await post(`/onboardings/${code}/items/third-parties/skip`, { reason: 'none' });
    await post(`/onboardings/${code}/items/credentials-vaulted/complete`, { evidence: { kind: 'LINK', url: 'https://vault.example/h' } });
    await eventually(async () => {
      const v = await handle.query(onboardingViewQuery);
      if (v.items.find((i) => i.key === 'network-documentation')!.status !== 'DONE') throw new Error('reply not applied yet');
    });
    await post(`/onboardings/${code}/items/sla-signed/complete`, { evidence: { kind: 'FILE', file: { name: 'sla.pdf', base64: 'eA==' } } });
    await eventually(async () => {
      const v = await handle.query(onboardingViewQuery);
      if (v.items.find((i) => i.key === 'rmm-group')!.status !== 'DONE') throw new Error('automations not done yet');
    });
    await post(`/onboardings/${code}/items/team-meeting/complete`, { evidence: { kind: 'NOTE', text: 'held' } });
    await post(`/onboardings/${code}/items/team-meeting/reopen`, { reason: 'minutes missing' });
    await handle.terminate('recorded');
    const history = await handle.fetchHistory();
    fs.writeFileSync(outFile, historyToJSON(history));
    console.log(`wrote ${path.relative(process.cwd(), outFile)} (${history.events?.length} events)`);
  } finally {
    await ctx.close();
    await servers.stop();
    await globalTeardown();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
