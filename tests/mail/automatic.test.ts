import fs from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { classifyAutomatic } from '../../lib/mail/automatic';
import { headersFromLines, headersFromRecord, parseHeaderBlock } from '../../lib/mail/headers';

const base = { From: 'Jean Dupont <jean@client.test>', To: 'support@example.test', Subject: 'Printer on fire' };
const classify = (extra: Record<string, string>, subject?: string) =>
  classifyAutomatic({ headers: headersFromRecord({ ...base, ...extra }), subject });

describe('automatic mail', () => {
  it('lets a person\'s mail through', () => {
    expect(classify({})).toEqual({ automatic: false, reason: null });
    expect(classify({ 'Auto-Submitted': 'no' })).toEqual({ automatic: false, reason: null });
    expect(classify({ 'X-Autoreply': 'no' })).toEqual({ automatic: false, reason: null });
    expect(classify({ Precedence: 'first-class' })).toEqual({ automatic: false, reason: null });
    // Outlook sets this on ordinary mail too (meeting requests...): it asks us not to auto-answer, it is not a robot's mark
    expect(classify({ 'X-Auto-Response-Suppress': 'OOF' })).toEqual({ automatic: false, reason: null });
    expect(classify({}, 'Automatic backups stopped')).toEqual({ automatic: false, reason: null });
  });

  it.each([
    [{ 'Auto-Submitted': 'auto-replied' }, 'auto-submitted'],
    [{ 'Auto-Submitted': 'auto-generated; owner-email="x@y"' }, 'auto-submitted'],
    [{ 'Auto-Submitted': 'auto-notified' }, 'auto-submitted'],
    [{ Precedence: 'bulk' }, 'precedence'],
    [{ Precedence: 'list' }, 'precedence'],
    [{ Precedence: 'JUNK' }, 'precedence'],
    [{ Precedence: 'auto_reply' }, 'precedence'],
    [{ 'X-Auto-Reply': 'true' }, 'x-autoreply'],
    [{ 'Content-Type': 'message/delivery-status' }, 'delivery-report'],
    [{ 'X-Autoreply': 'yes' }, 'x-autoreply'],
    [{ 'X-Autorespond': 'Out of office' }, 'x-autoreply'],
    [{ 'X-MS-Exchange-Generated-Message-Source': 'Mailbox Rules Agent' }, 'x-autoreply'],
    [{ 'X-MS-Exchange-Inbox-Rules-Loop': 'jean@client.test' }, 'x-autoreply'],
    [{ 'List-Id': '<news.client.test>' }, 'mailing-list'],
    [{ 'List-Unsubscribe': '<mailto:unsub@client.test>' }, 'mailing-list'],
    [{ 'Return-Path': '<>' }, 'null-return-path'],
    [{ 'Return-Path': '< >' }, 'null-return-path'],
    [{ 'Content-Type': 'multipart/report; report-type=delivery-status; boundary=x' }, 'delivery-report'],
    [{ 'Content-Type': 'multipart/report; report-type=disposition-notification; boundary=x' }, 'delivery-report'],
    [{ 'Content-Type': 'multipart/report; report-type=feedback-report; boundary=x' }, 'feedback-report'],
    [{ From: 'MAILER-DAEMON@mx.client.test' }, 'robot-sender'],
    [{ From: 'No Reply <no-reply@saas.test>' }, 'robot-sender'],
    [{ From: 'noreply@saas.test' }, 'robot-sender'],
    [{ From: 'owner-staff@lists.client.test' }, 'robot-sender'],
    [{ From: 'staff-request@lists.client.test' }, 'robot-sender'],
    [{ From: 'news-bounces@lists.client.test' }, 'robot-sender'],
  ])('%j → %s', (extra, reason) => {
    const v = classify(extra);
    expect(v.automatic).toBe(true);
    expect(v.reason).toBe(reason);
  });

  it.each([
    'Automatic reply: Printer on fire',
    'Auto-Reply: Printer',
    'Out of Office: Printer',
    'Réponse automatique : Imprimante',
    "Message d'absence",
    'Absent du bureau jusqu\'au 12',
    'Undeliverable: Printer',
    'Non remis : Imprimante',
    'Delivery Status Notification (Failure)',
  ])('subject %s is an auto-reply', (subject) => {
    expect(classify({}, subject)).toMatchObject({ automatic: true, reason: 'auto-reply-subject' });
  });

  it('works from real parsed messages and from a raw header block', async () => {
    const raw = fs.readFileSync(path.join(__dirname, 'fixtures', 'dsn-postfix.eml'));
    const parsed = await simpleParser(raw);
    expect(classifyAutomatic({ headers: headersFromLines(parsed.headerLines), subject: parsed.subject })).toMatchObject({
      automatic: true,
      reason: 'delivery-report',
    });
    const ooo = 'From: jean@client.test\r\nSubject: =?utf-8?q?R=C3=A9ponse_automatique?=\r\nAuto-Submitted:\r\n auto-replied\r\n\r\nbody';
    expect(classifyAutomatic({ headers: parseHeaderBlock(ooo) })).toMatchObject({ automatic: true, reason: 'auto-submitted' });
    const parsedOoo = await simpleParser(ooo.replace('Auto-Submitted:\r\n auto-replied\r\n', ''));
    expect(classifyAutomatic({ headers: headersFromLines(parsedOoo.headerLines), subject: parsedOoo.subject })).toMatchObject({
      automatic: true,
      reason: 'auto-reply-subject',
    });
  });
});
