import * as z from '../bundled/zod.js';
import { MAX_TIMER_MS, parseDuration } from '../domain/duration.js';
import {
  CHECK_NAME,
  cronProblem,
  durationField,
  intField,
  problemField,
  secretField,
  timeZoneProblem,
} from './fields.js';

/**
 * The schema of `alerting:`, `maintenance:` and a check's `labels:` and
 * `alerts:`. Channel URLs, tokens and header values may hold secrets, so no
 * message here echoes them; cross-references (channel and check names) are
 * checked by references.ts on the whole document.
 */

export const CHANNEL_TYPES = ['alertmanager', 'webhook', 'slack', 'pagerduty', 'email'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/** PagerDuty's Events API v2 severities, sent as the Alertmanager `severity` label too. */
export const SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;

/** Labels every alert carries already; a check's `labels:` may not set them. */
export const RESERVED_LABELS = ['alertname', 'check', 'severity'] as const;
/** Prometheus label names (https://prometheus.io/docs/concepts/data_model/). */
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
export const MAX_LABEL_VALUE = 1024;

/** A reminder shorter than this would flood the receivers. */
export const MIN_REMINDER_MS = 60_000;
/** The longest channel timeout: a receiver slower than this is down. */
export const MAX_CHANNEL_TIMEOUT_MS = 120_000;
/**
 * The longest maintenance window. Whether a window is open is found by
 * looking back `duration` for its start, so this bounds that look-back; a
 * week covers a weekly window, and a longer silence is better written as a
 * change of channels.
 */
export const MAX_MAINTENANCE_MS = 7 * 86_400_000;

const TYPE_LIST = 'alertmanager, webhook, slack, pagerduty or email';
const aType = (type: string) => `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;

const reminderField = z
  .string({ error: 'reminder must be a duration such as "1h", or "off"' })
  .superRefine((text, ctx) => {
    if (text === 'off') return;
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `"${text}" is not a duration: reminder is a duration such as "1h", or "off"`,
      });
    } else if (ms < MIN_REMINDER_MS) {
      ctx.addIssue({ code: 'custom', message: `reminder "${text}" is below the minimum of 1m` });
    } else if (ms > MAX_TIMER_MS) {
      ctx.addIssue({
        code: 'custom',
        message: `reminder "${text}" is above the maximum of ${MAX_TIMER_MS}ms (about 24d)`,
      });
    }
  });

const nameList = (what: string) =>
  z.array(z.string({ error: `${what} entries are names (strings)` }).min(1, `${what} entries may not be empty`), {
    error: `${what} must be a list of names`,
  });

/** `alerting.defaults` and a check's `alerts:`: every field optional, merged field by field. */
const policySchema = (what: string) =>
  z.strictObject(
    {
      failureThreshold: intField('failureThreshold', 1, 1000).optional(),
      successThreshold: intField('successThreshold', 1, 1000).optional(),
      reminder: reminderField.optional(),
      sendResolved: z.boolean({ error: 'sendResolved must be true or false' }).optional(),
      severity: z.enum(SEVERITIES, { error: `severity must be one of ${SEVERITIES.join(', ')}` }).optional(),
      channels: nameList('channels').optional(),
    },
    { error: `${what} takes failureThreshold, successThreshold, reminder, sendResolved, severity and channels` },
  );
export const alertsSchema = policySchema('alerts');

export const labelsSchema = z
  .record(z.string(), z.string({ error: 'label values must be strings (quote a number or a boolean: "1")' }), {
    error: 'labels must be a mapping of label names to values, e.g. {team: payments}',
  })
  .superRefine(
    (labels, ctx) => {
      for (const [name, value] of Object.entries(labels)) {
        const message = !LABEL_NAME.test(name)
          ? `label name "${name}" must match ${LABEL_NAME.source} (letters, digits and _, not starting with a digit)`
          : name.startsWith('__')
            ? `label name "${name}" may not start with "__" (reserved by Prometheus)`
            : (RESERVED_LABELS as readonly string[]).includes(name)
              ? `label "${name}" is set by Lifeline on every alert (reserved: ${RESERVED_LABELS.join(', ')})`
              : typeof value === 'string' && value.length > MAX_LABEL_VALUE
                ? `label "${name}" has a value of ${value.length} characters, over the limit of ${MAX_LABEL_VALUE}`
                : undefined;
        if (message) ctx.addIssue({ code: 'custom', message, path: [name] });
      }
    },
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value) },
  );

/** An absolute URL; its text is never echoed (it may carry a password or a token). */
const channelUrl = z
  .string({ error: 'url must be a string' })
  .min(1, 'url is empty: is its variable set?')
  .refine((text) => URL.canParse(text), 'url is not an absolute URL (expected e.g. "https://host:port/path")');

/** One mailbox: `a@b` or `Name <a@b>`. Loose on purpose, but no whitespace, control character or list separator in the address, so nothing can add a header or a recipient. */
const ADDRESS = /^[^\s\p{Cc}<>,;@"]+@[^\s\p{Cc}<>,;@"]+$/u;
const MAILBOX = /^(?:[^\p{Cc}<>,;"]*<([^<>]*)>|([^<>]*))$/u;

export function mailboxProblem(text: string): string | undefined {
  const shown = JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}...` : text);
  const match = /\p{Cc}/u.test(text) ? null : MAILBOX.exec(text);
  const address = match?.[1] ?? match?.[2];
  if (address === undefined || !ADDRESS.test(address)) {
    return `${shown} is not an email address (expected "sre@example.com" or "SRE <sre@example.com>": one @, no spaces, line breaks, commas or semicolons)`;
  }
  return undefined;
}

const mailbox = (what: string) =>
  z.string({ error: `${what} must be an email address such as "sre@example.com"` }).superRefine((text, ctx) => {
    const message = mailboxProblem(text);
    if (message) ctx.addIssue({ code: 'custom', message: `${what}: ${message}` });
  });

/** An HTTP header name (RFC 9110 token); values without line breaks or NUL, which Node would refuse at send time. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const channelHeaders = z
  .record(z.string(), z.string({ error: 'header values must be strings' }), {
    error: 'headers must be a mapping of header names to values',
  })
  .superRefine((headers, ctx) => {
    for (const [name, value] of Object.entries(headers)) {
      if (!HEADER_NAME.test(name)) {
        ctx.addIssue({ code: 'custom', message: `"${name}" is not a valid header name`, path: [name] });
      } else if (typeof value === 'string' && /[\r\n\0]/.test(value)) {
        ctx.addIssue({
          code: 'custom',
          message: `the value of header "${name}" has a line break or NUL`,
          path: [name],
        });
      }
    }
  });

/** A PagerDuty routing key: printable, no spaces; never echoed. */
const routingKeyField = z
  .string({ error: `routingKey must be a string, e.g. \${PD_ROUTING_KEY}` })
  .superRefine((value, ctx) => {
    if (value === '') ctx.addIssue({ code: 'custom', message: 'routingKey is empty: is its variable set?' });
    else if (value.length > 256 || !/^[\x21-\x7e]+$/.test(value))
      ctx.addIssue({
        code: 'custom',
        message: 'routingKey must be the 32-character integration key of a PagerDuty service (no spaces)',
      });
  });

/** The keys each channel type takes besides name, type, timeout, concurrency and maxAttempts. */
export const CHANNEL_KEYS: Readonly<Record<ChannelType, { required: readonly string[]; optional: readonly string[] }>> =
  {
    alertmanager: { required: ['url'], optional: ['headers'] },
    webhook: { required: ['url'], optional: ['secret', 'headers'] },
    slack: { required: ['url'], optional: [] },
    pagerduty: { required: ['routingKey'], optional: ['url'] },
    email: { required: ['url', 'from', 'to'], optional: [] },
  };
const SPECIFIC_KEYS = ['url', 'secret', 'headers', 'routingKey', 'from', 'to'] as const;

/** The schemes each type's url may use. */
const URL_SCHEMES: Readonly<Record<ChannelType, readonly string[]>> = {
  alertmanager: ['http:', 'https:'],
  webhook: ['http:', 'https:'],
  slack: ['http:', 'https:'],
  pagerduty: ['http:', 'https:'],
  email: ['smtp:', 'smtps:'],
};

/**
 * One entry of `alerting.channels`. A flat object, so an unknown key gets a
 * "did you mean"; what each type takes is checked below, with messages that
 * name the type.
 */
export const channelSchema = z
  .strictObject(
    {
      name: z.string({ error: 'name is required' }).regex(CHECK_NAME, {
        message: 'name must start with a letter or digit and use only letters, digits, ".", "_" and "-" (at most 100)',
      }),
      type: z.enum(CHANNEL_TYPES, {
        error: (issue) =>
          issue.input === undefined
            ? `type is required: ${TYPE_LIST}`
            : `unknown channel type${typeof issue.input === 'string' ? ` "${issue.input.slice(0, 100)}"` : ''} (use ${TYPE_LIST})`,
      }),
      url: channelUrl.optional(),
      secret: secretField('secret', false, 'WEBHOOK_SECRET').optional(),
      headers: channelHeaders.optional(),
      routingKey: routingKeyField.optional(),
      from: mailbox('from').optional(),
      to: z
        .union([mailbox('to'), z.array(mailbox('to')).min(1, 'to must list at least one address')], {
          error: 'to is an email address or a list of them',
        })
        .optional(),
      timeout: durationField('timeout', 1, MAX_CHANNEL_TIMEOUT_MS).optional(),
      concurrency: intField('concurrency', 1, 64).optional(),
      maxAttempts: intField('maxAttempts', 1, 100).optional(),
    },
    { error: 'a channel is a mapping with name, type and the settings of its type' },
  )
  // Runs even when a field failed, so it checks types itself.
  .superRefine(
    (channel, ctx) => {
      const type = channel.type as unknown;
      if (typeof type !== 'string' || !(CHANNEL_TYPES as readonly string[]).includes(type)) return;
      const keys = CHANNEL_KEYS[type as ChannelType];
      for (const key of SPECIFIC_KEYS) {
        const given = channel[key] !== undefined;
        if (!given && keys.required.includes(key)) {
          ctx.addIssue({ code: 'custom', message: `${key} is required for ${aType(type)} channel` });
        } else if (given && !keys.required.includes(key) && !keys.optional.includes(key)) {
          const takers = CHANNEL_TYPES.filter((t) =>
            [...CHANNEL_KEYS[t].required, ...CHANNEL_KEYS[t].optional].includes(key),
          );
          ctx.addIssue({
            code: 'custom',
            message: `${key} does not apply to ${aType(type)} channel (only to ${takers.join(', ')})`,
            path: [key],
          });
        }
      }
      if (typeof channel.url === 'string' && URL.canParse(channel.url)) {
        const url = new URL(channel.url);
        const schemes = URL_SCHEMES[type as ChannelType];
        if (!schemes.includes(url.protocol)) {
          ctx.addIssue({
            code: 'custom',
            message: `${aType(type)} channel's url must use ${schemes.join(' or ')}, not ${url.protocol.slice(0, 20)}`,
            path: ['url'],
          });
        } else if (!url.hostname) {
          ctx.addIssue({ code: 'custom', message: 'url has no host', path: ['url'] });
        }
      }
    },
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  );

const httpUrl = z.string({ error: 'alerting.externalUrl must be a string' }).refine((text) => {
  if (!URL.canParse(text)) return false;
  const url = new URL(text);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
}, 'alerting.externalUrl must be an http(s) URL such as "http://lifeline-monitor:8080"');

export const alertingSchema = z.strictObject(
  {
    externalUrl: httpUrl.optional(),
    defaults: policySchema('alerting.defaults').optional(),
    channels: z.array(channelSchema, { error: 'alerting.channels must be a list of channels' }).optional(),
  },
  { error: 'alerting takes externalUrl, defaults and channels' },
);

export const maintenanceSchema = z.strictObject(
  {
    name: z.string({ error: 'name is required' }).regex(CHECK_NAME, {
      message: 'name must start with a letter or digit and use only letters, digits, ".", "_" and "-" (at most 100)',
    }),
    schedule: problemField(cronProblem, 'schedule'),
    duration: durationField('duration', 60_000, MAX_MAINTENANCE_MS),
    timezone: problemField(timeZoneProblem, 'timezone').optional(),
    checks: nameList('checks').min(1, 'checks lists no check: leave it out to cover every check').optional(),
  },
  { error: 'a maintenance window takes name, schedule, duration, timezone and checks' },
);

export type AlertsInput = z.infer<typeof alertsSchema>;
export type ChannelInput = z.infer<typeof channelSchema>;
export type AlertingInput = z.infer<typeof alertingSchema>;
export type MaintenanceInput = z.infer<typeof maintenanceSchema>;
