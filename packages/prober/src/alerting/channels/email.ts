/**
 * E-mail over SMTP with nodemailer: a short subject and a plain-text body.
 * The outcome's status is the SMTP reply code: 5xx is a permanent refusal,
 * 4xx and a connection that failed or timed out are worth another try.
 * Reference: docs/alerting.md.
 */
import type { NotificationPayload } from '../../domain/alerts.js';
import type { Channel, DeliveryOutcome } from '../channel.js';
import { errorCode, errorMessage, iso, kindWord, oneLine, summary, truncate } from './format.js';
import { cleanMessage, withSecrets } from './http-send.js';
import type { ChannelOf } from './types.js';

/** Characters of a subject at most; the body has the rest. */
const SUBJECT_CHARS = 200;

/** "[FIRING] api: timeout", "[RESOLVED] api", "[REMINDER] api: timeout", "[TEST] api". One line whatever the payload holds. */
export function emailSubject(payload: NotificationPayload): string {
  const code = errorCode(payload);
  const reason = code && (payload.kind === 'firing' || payload.kind === 'reminder') ? `: ${oneLine(code)}` : '';
  return truncate(`[${kindWord(payload)}] ${oneLine(payload.check.name)}${reason}`, SUBJECT_CHARS);
}

/** The plain-text body: one field a line; every value from the payload on one line. */
export function emailText(payload: NotificationPayload): string {
  const { incident } = payload;
  const code = errorCode(payload);
  const rows: [string, string][] = [
    ['Check', oneLine(payload.check.name)],
    ['URL', oneLine(payload.check.url)],
    ['Error', code ? `${code}: ${errorMessage(payload)}` : 'none'],
    ['Started', iso(incident.startedAt)],
    ['Ended', incident.endedAt === null ? '-' : iso(incident.endedAt)],
    ['Failures', String(incident.failures)],
    ['Incident', oneLine(incident.id)],
  ];
  if (payload.link) rows.push(['Link', oneLine(payload.link)]);
  const width = Math.max(...rows.map(([name]) => name.length)) + 2;
  return [
    summary(payload),
    '',
    ...rows.map(([name, value]) => `${`${name}:`.padEnd(width)}${value}`),
    '',
    '-- ',
    `Sent by Lifeline (notification ${oneLine(payload.key)})`,
    '',
  ].join('\n');
}

/** Transport options from the channel's URL: smtps:// is TLS from the start, smtp:// upgrades with STARTTLS when offered. */
export function transportOptions(config: ChannelOf<'email'>) {
  const url = new URL(config.url);
  const secure = url.protocol === 'smtps:';
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      return text;
    }
  };
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    ...(url.username ? { auth: { user: decode(url.username), pass: decode(url.password) } } : {}),
    // One connection per notification (see docs/alerting.md): nothing stays open between them.
    pool: false as const,
    connectionTimeout: config.timeoutMs,
    greetingTimeout: config.timeoutMs,
    socketTimeout: config.timeoutMs,
    dnsTimeout: config.timeoutMs,
    socketCloseTimeout: config.timeoutMs,
    logger: false,
  };
}

interface SmtpError {
  readonly code?: string;
  readonly responseCode?: number;
  readonly message?: string;
}

/** SMTP reply code -> outcome: 5xx is final (RFC 5321, 4.2.1), anything else may pass later. */
export function smtpOutcome(error: unknown, secrets: readonly string[]): DeliveryOutcome {
  const err = (error ?? {}) as SmtpError;
  const status = typeof err.responseCode === 'number' ? err.responseCode : undefined;
  const timedOut = err.code === 'ETIMEDOUT' || err.code === 'EABORT' || /timeout|timed out/i.test(err.message ?? '');
  const code = status === undefined && timedOut ? 'timeout' : (err.code ?? 'error');
  const message = cleanMessage(`${code}: ${err.message ?? String(error)}`, secrets);
  if (status === undefined) return { ok: false, retryable: true, message };
  return { ok: false, status, message, retryable: status < 500 };
}

type Mailer = {
  sendMail(data: Record<string, unknown>): Promise<{ response?: string }>;
  close(): void;
};

export function createEmailChannel(config: ChannelOf<'email'>): Channel {
  const secrets = withSecrets(config.secrets, ...urlPassword(config.url));
  let mailer: Promise<Mailer> | undefined;
  // nodemailer loads only when a channel first sends: a monitor without e-mail never pays for it.
  const getMailer = () => {
    mailer ??= import('nodemailer').then(
      ({ default: nodemailer }) => nodemailer.createTransport(transportOptions(config)) as unknown as Mailer,
    );
    return mailer;
  };

  async function send(payload: NotificationPayload, signal?: AbortSignal): Promise<DeliveryOutcome> {
    // Formatted first: a payload that cannot be formatted is the caller's final failure (index.ts), not SMTP's.
    const message = {
      from: config.from,
      to: [...config.to],
      subject: emailSubject(payload),
      text: emailText(payload),
      headers: { 'X-Lifeline-Key': oneLine(payload.key) },
      disableFileAccess: true,
      disableUrlAccess: true,
    };
    if (signal?.aborted) return { ok: false, retryable: true, message: 'cancelled: the send was stopped' };
    const deadline = AbortSignal.timeout(config.timeoutMs);
    const both = new AbortController();
    const stop = () => both.abort();
    deadline.addEventListener('abort', stop, { once: true });
    signal?.addEventListener('abort', stop, { once: true });
    try {
      const info = await (await getMailer()).sendMail({ ...message, signal: both.signal });
      const response = info.response ?? '250';
      const status = Number(/^\d{3}/.exec(response)?.[0] ?? 250);
      return { ok: true, status, message: cleanMessage(response, secrets), retryable: false };
    } catch (error) {
      if (signal?.aborted) return { ok: false, retryable: true, message: 'cancelled: the send was stopped' };
      if (deadline.aborted)
        return { ok: false, retryable: true, message: `timeout: no answer within ${config.timeoutMs} ms` };
      return smtpOutcome(error, secrets);
    } finally {
      deadline.removeEventListener('abort', stop);
      signal?.removeEventListener('abort', stop);
    }
  }

  return {
    name: config.name,
    type: 'email',
    send,
    async close() {
      const pending = mailer;
      mailer = undefined;
      if (pending) (await pending.catch(() => undefined))?.close();
    },
  };
}

/** The URL's password as written and decoded: either may reach a message. */
function urlPassword(url: string): string[] {
  try {
    const password = new URL(url).password;
    return password ? [password, decodeURIComponent(password)] : [];
  } catch {
    return [];
  }
}
