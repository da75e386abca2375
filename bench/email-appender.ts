/**
 * The mail arriving in bench:email, in its own process as in real life (an MTA delivers it, not
 * the intake's process): APPENDs `--count` messages to the mailbox, at `--rate` msg/s (0: as fast
 * as one IMAP connection takes them). Prints one line per message, `A <message-id> <epoch ms>`
 * (when its APPEND returned), then `DONE <ms spent appending>`.
 */
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import { ImapFlow } from 'imapflow';

const { values } = parseArgs({
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    user: { type: 'string' },
    pass: { type: 'string' },
    to: { type: 'string' },
    offset: { type: 'string', default: '0' },
    count: { type: 'string' },
    rate: { type: 'string', default: '0' },
    replies: { type: 'string', default: '0' },
  },
});

function body(bytes: number, i: number): string {
  const line = `Message ${i}: the printer on floor ${i % 7} shows error ${crypto.randomBytes(6).toString('hex')}.\n`;
  return line.repeat(Math.max(1, Math.ceil(bytes / line.length)));
}

/** 70 % ~2 KB, 25 % ~30 KB, 5 % ~300 KB. */
function sizeFor(i: number): number {
  const r = (i * 7919) % 100;
  return r < 70 ? 2_000 : r < 95 ? 30_000 : 300_000;
}

async function main(): Promise<void> {
  const offset = Number(values.offset);
  const count = Number(values.count);
  const rate = Number(values.rate);
  const replies = Number(values.replies);
  const ids: string[] = [];
  const messages = Array.from({ length: count }, (_, k) => {
    const i = offset + k;
    const id = `<bench-${i}-${crypto.randomUUID()}@bench.test>`;
    ids.push(id);
    const back = 20 + ((i * 7) % 41);
    const isReply = k >= back && ((i * 2654435761) % 1000) / 1000 < replies;
    const answered = isReply ? k - back : -1;
    const raw = [
      `From: User ${isReply ? (i * 13) % 200 : i % 200} <user${isReply ? (i * 13) % 200 : i % 200}@bench.test>`,
      `To: ${values.to}`,
      `Subject: ${isReply ? `Re: Bench issue ${offset + answered}` : `Bench issue ${i}`}`,
      `Date: ${new Date().toUTCString()}`,
      `Message-ID: ${id}`,
      ...(isReply ? [`In-Reply-To: ${ids[answered]}`, `References: ${ids[answered]}`] : []),
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      isReply ? `Still broken on my side too.\n\nOn Monday, User wrote:\n> ${body(200, i)}` : body(sizeFor(i), i),
    ].join('\r\n');
    return { id, raw, kind: isReply ? 'reply' : 'new' };
  });
  const imap = new ImapFlow({ host: values.host!, port: Number(values.port), secure: false, auth: { user: values.user!, pass: values.pass! }, logger: false });
  await imap.connect();
  const out: string[] = [];
  const t0 = Date.now();
  for (const [k, m] of messages.entries()) {
    if (rate > 0) {
      const due = t0 + (k * 1000) / rate;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    }
    await imap.append('INBOX', m.raw);
    out.push(`A ${m.id} ${Date.now()} ${m.kind}`);
  }
  const appendMs = Date.now() - t0;
  await imap.logout();
  process.stdout.write(`${out.join('\n')}\nDONE ${appendMs}\n`);
}

void main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
