import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { channelBase, makePayload } from '../../testing/channels.js';
import { startSilentPeer } from '../../testing/faults.js';
import type { Channel, DeliveryOutcome } from '../channel.js';
import { emailSubject } from './email.js';
import { createChannel } from './index.js';

interface Mail {
  readonly from: string;
  readonly to: string[];
  readonly user: string | undefined;
  readonly raw: string;
}

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A real SMTP server on loopback (no STARTTLS: plain text between two loopback ends). */
async function startSmtp(options: Partial<SMTPServerOptions> = {}): Promise<{ port: number; mails: Mail[] }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: true,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          user: session.user as string | undefined,
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
    ...options,
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.server.address() as AddressInfo).port, mails };
}

function email(url: string, timeoutMs = 5_000): Channel {
  const channel = createChannel({
    ...channelBase('mail', url, []),
    timeoutMs,
    type: 'email',
    url,
    from: 'Lifeline <lifeline@example.com>',
    to: ['oncall@example.com', 'team@example.com'],
  });
  cleanups.push(async () => channel.close?.());
  return channel;
}

/** Headers (unfolded) and the decoded text of a simple message. */
function parse(raw: string): { headers: Record<string, string>; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const headers: Record<string, string> = {};
  for (const line of raw
    .slice(0, split)
    .replace(/\r\n[ \t]+/g, ' ')
    .split('\r\n')) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  let text = raw.slice(split + 4);
  if (/quoted-printable/i.test(headers['content-transfer-encoding'] ?? ''))
    text = text
      .replace(/=\r\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_all, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return { headers, text: text.replace(/\r\n/g, '\n') };
}

describe('email channel', () => {
  it('delivers to a real SMTP server without AUTH: subject, from, to, the plain-text body', async () => {
    const smtp = await startSmtp();
    const outcome = await email(`smtp://127.0.0.1:${smtp.port}`).send(makePayload());
    assert.equal(outcome.ok, true, outcome.message);
    assert.equal(outcome.status, 250);
    assert.equal(smtp.mails.length, 1);
    const mail = smtp.mails[0] as Mail;
    assert.equal(mail.from, 'lifeline@example.com');
    assert.deepEqual(mail.to, ['oncall@example.com', 'team@example.com']);
    assert.equal(mail.user, undefined);
    const { headers, text } = parse(mail.raw);
    assert.equal(headers.subject, '[FIRING] api: timeout');
    assert.equal(headers.from, 'Lifeline <lifeline@example.com>');
    assert.equal(headers.to, 'oncall@example.com, team@example.com');
    assert.match(headers['content-type'] ?? '', /^text\/plain/);
    assert.equal(
      text,
      [
        'api is failing: timeout',
        '',
        'Check:    api',
        'URL:      http://api.shop.svc:3000/healthz',
        'Error:    timeout: no complete response within the timeout (stopped in ttfb)',
        'Started:  2026-01-02T03:04:05.000Z',
        'Ended:    -',
        'Failures: 3',
        'Incident: api:1767323045000',
        'Link:     http://lifeline.monitoring:8080/api/checks/api',
        '',
        '-- ',
        'Sent by Lifeline (notification api:1767323045000:firing)',
        '',
      ].join('\n'),
    );
  });

  it('logs in with the user and password of the URL (escaped characters decoded)', async () => {
    const smtp = await startSmtp({
      authOptional: false,
      authMethods: ['PLAIN', 'LOGIN'],
      onAuth(auth, _session, callback) {
        if (auth.username === 'alerts@example.com' && auth.password === 'p@ss:w/rd')
          return callback(null, { user: auth.username });
        return callback(new Error('Invalid username or password'));
      },
    });
    const good = await email(`smtp://alerts%40example.com:p%40ss%3Aw%2Frd@127.0.0.1:${smtp.port}`).send(
      makePayload({ kind: 'resolved' }),
    );
    assert.equal(good.ok, true, good.message);
    assert.equal(smtp.mails[0]?.user, 'alerts@example.com');
    assert.equal(parse(smtp.mails[0]?.raw ?? '').headers.subject, '[RESOLVED] api');
    const bad = await email(`smtp://alerts%40example.com:wrong-pass-123@127.0.0.1:${smtp.port}`).send(makePayload());
    assert.deepEqual([bad.ok, bad.status, bad.retryable], [false, 535, false]);
    assert.doesNotMatch(bad.message, /wrong-pass-123/);
  });

  it('550 for the recipients: final; 451: retryable', async () => {
    const reject = (code: number) =>
      startSmtp({
        onRcptTo(_address, _session, callback) {
          callback(Object.assign(new Error(code === 550 ? 'no such user' : 'try later'), { responseCode: code }));
        },
      });
    const permanent = await email(`smtp://127.0.0.1:${(await reject(550)).port}`).send(makePayload());
    assert.deepEqual([permanent.ok, permanent.status, permanent.retryable], [false, 550, false]);
    assert.match(permanent.message, /no such user/);
    const temporary = await email(`smtp://127.0.0.1:${(await reject(451)).port}`).send(makePayload());
    assert.deepEqual([temporary.ok, temporary.status, temporary.retryable], [false, 451, true]);
  });

  it('a peer that accepts and never greets: a retryable timeout, and the connection closed', async () => {
    const peer = await startSilentPeer('tcp');
    cleanups.push(() => peer.close());
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      email(`smtp://127.0.0.1:${peer.port}`, 300)
        .send(makePayload())
        .finally(() => clearTimeout(timer)),
      new Promise<DeliveryOutcome>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error('send did not settle within 15 s')), 15_000);
      }),
    ]);
    assert.deepEqual([outcome.ok, outcome.retryable, outcome.status], [false, true, undefined]);
    assert.match(outcome.message, /^timeout/);
    await peer.settled(1, 10_000);
  });

  it('nothing from the payload can add a header: CR and LF are gone from the subject', () => {
    const base = makePayload();
    const subject = emailSubject({
      ...base,
      check: { ...base.check, name: 'api\r\nBcc: victim@example.com' },
    });
    assert.equal(subject, '[FIRING] api Bcc: victim@example.com: timeout');
    assert.doesNotMatch(subject, /[\r\n]/);
  });
});
