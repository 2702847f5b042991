/**
 * Slack incoming webhooks: a one-line `text` (what notifications and old
 * clients show) and Block Kit `blocks` with the details. Slack answers 200
 * "ok"; 400 invalid_payload, 403, 404 no_service and 410 are final; 429 (with
 * Retry-After) and 5xx are worth another try, which is the shared rule.
 * Reference: docs/alerting.md.
 */
import type { NotificationPayload } from '../../domain/alerts.js';
import type { Channel } from '../channel.js';
import { errorCode, errorMessage, iso, kindWord, oneLine, summary, truncate } from './format.js';
import { createHttpSender, mergeHeaders } from './http-send.js';
import type { ChannelDeps, ChannelOf } from './types.js';

/** Slack's mrkdwn control characters (https://api.slack.com/reference/surfaces/formatting#escaping). */
export const escapeMrkdwn = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const EMOJI: Readonly<Record<NotificationPayload['kind'], string>> = {
  firing: ':red_circle:',
  reminder: ':red_circle:',
  resolved: ':large_green_circle:',
  test: ':large_blue_circle:',
};

/** Characters of the error message in the one-line text; the block shows more. */
const LINE_ERROR_CHARS = 300;
/** Slack refuses a field text over 2000 characters. */
const FIELD_CHARS = 1900;

/** ":red_circle: [FIRING] api is failing: timeout — no complete response within the timeout". */
export function slackText(payload: NotificationPayload): string {
  const head = `${EMOJI[payload.kind]} [${kindWord(payload)}] ${summary(payload)}`;
  const message = errorMessage(payload);
  const withError = (payload.kind === 'firing' || payload.kind === 'reminder') && message !== '';
  return escapeMrkdwn(withError ? `${head} — ${truncate(message, LINE_ERROR_CHARS)}` : head);
}

const field = (title: string, value: string) => ({
  type: 'mrkdwn',
  text: `*${title}*\n${truncate(value, FIELD_CHARS)}`,
});

/** The body of one Slack message. */
export function slackBody(payload: NotificationPayload) {
  const { incident } = payload;
  const code = errorCode(payload);
  const error = code ? `${code}: ${errorMessage(payload)}` : 'none';
  const fields = [
    field('Check', `${escapeMrkdwn(oneLine(payload.check.name))} (${escapeMrkdwn(oneLine(payload.check.url))})`),
    field('Error', escapeMrkdwn(error)),
    field('Started', iso(incident.startedAt)),
    ...(incident.endedAt !== null ? [field('Ended', iso(incident.endedAt))] : []),
    field('Failures', String(incident.failures)),
    // Slack's link syntax breaks on | and >: a link with one is shown as text.
    ...(payload.link
      ? [field('Link', /[|<>]/.test(payload.link) ? escapeMrkdwn(payload.link) : `<${payload.link}|open>`)]
      : []),
  ];
  return {
    text: slackText(payload),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: slackText(payload) }, fields }],
  };
}

export function createSlackChannel(config: ChannelOf<'slack'>, deps: ChannelDeps = {}): Channel {
  const sender = createHttpSender({ ...config, ...deps });
  const headers = mergeHeaders({}, { 'content-type': 'application/json' });
  return {
    name: config.name,
    type: 'slack',
    send: (payload, signal) => sender.post(config.url, JSON.stringify(slackBody(payload)), headers, signal),
    close: () => sender.close(),
  };
}
