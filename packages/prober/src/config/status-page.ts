import * as z from '../bundled/zod.js';
import { suggestKey } from './problems.js';
import type { Report } from './references.js';
import type { ResolvedStatusPage } from './resolved.js';

/**
 * `statusPage:` (the public page at /status) and a check's `group:`. What
 * these say is shown to anyone who can read the page, so the texts are
 * checked to be printable: no control character, line separator or bidi
 * override (which could make a label read as something else). References to
 * checks are checked on the whole document by statusPageProblems.
 */

/** Longest check `group`, group name and public label, in characters. */
export const MAX_LABEL_CHARS = 64;
export const MAX_TITLE_CHARS = 100;
export const MAX_DESCRIPTION_CHARS = 1_000;
export const MAX_STATUS_GROUPS = 100;

// C0/C1 controls, lone surrogates, U+2028/2029 and the bidi embeddings, overrides and isolates.
const UNPRINTABLE = /[\p{Cc}\p{Cs}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
// The same, but a description may have line breaks (and tabs).
const UNPRINTABLE_IN_TEXT = /[\p{Cs}\u2028\u2029\u202a-\u202e\u2066-\u2069]|(?![\n\r\t])\p{Cc}/u;

/**
 * Why a public text cannot be used, or undefined. Characters are counted as
 * code points, so an emoji counts as one. The text is never echoed: it is
 * short and visible anyway, but a control character in a message would garble it.
 */
export function publicTextProblem(text: string, what: string, max: number, lines = false): string | undefined {
  if (text.trim() === '') return `${what} is empty`;
  const length = [...text].length;
  if (length > max) return `${what} has ${length} characters, over the limit of ${max}`;
  if ((lines ? UNPRINTABLE_IN_TEXT : UNPRINTABLE).test(text)) {
    return `${what} may not contain control characters${lines ? ' (other than line breaks)' : ', line breaks'} or bidirectional overrides`;
  }
  return undefined;
}

export function publicText(what: string, max: number, lines = false, required = `${what} is required`) {
  const error = (issue: { input?: unknown }) => (issue.input === undefined ? required : `${what} must be a string`);
  return z.string({ error }).superRefine((text, ctx) => {
    const message = publicTextProblem(text, what, max, lines);
    if (message) ctx.addIssue({ code: 'custom', message });
  });
}

const ENTRY_SHAPE = 'a status page entry is a check name or {check: <name>, label: <public name>}';

/** `- api` or `- {check: api, label: API}`: a bare name is read as `{check: api}`. */
const entrySchema = z.preprocess(
  (value) => (typeof value === 'string' ? { check: value } : value),
  z.strictObject(
    {
      check: z
        .string({ error: (issue) => (issue.input === undefined ? 'check is required' : 'check is a check name') })
        .min(1, 'check is empty'),
      label: publicText('label', MAX_LABEL_CHARS).optional(),
    },
    { error: ENTRY_SHAPE },
  ),
);

const groupSchema = z.strictObject(
  {
    name: publicText('name', MAX_LABEL_CHARS, false, 'name is required: the heading of the group'),
    checks: z
      .array(entrySchema, {
        error: (issue) =>
          issue.input === undefined
            ? 'checks is required: the checks this group shows'
            : 'checks must be a list of check names or {check, label} entries',
      })
      .min(1, 'checks lists no check'),
  },
  { error: 'a status page group takes name and checks' },
);

export const statusPageSchema = z.strictObject(
  {
    title: publicText(
      'title',
      MAX_TITLE_CHARS,
      false,
      'title is required: the heading of the page, e.g. "Acme status"',
    ),
    description: publicText('description', MAX_DESCRIPTION_CHARS, true).optional(),
    groups: z
      .array(groupSchema, {
        error: (issue) =>
          issue.input === undefined
            ? 'groups is required: the page shows only the checks its groups list, e.g. [{name: Core, checks: [api]}]'
            : 'statusPage.groups must be a list of groups, each with name and checks',
      })
      .min(1, 'statusPage.groups lists no group: the page shows only the checks listed in its groups')
      .max(MAX_STATUS_GROUPS, `statusPage.groups may list at most ${MAX_STATUS_GROUPS} groups`),
  },
  { error: 'statusPage takes title, description and groups' },
);

export type StatusPageInput = z.infer<typeof statusPageSchema>;

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** "Did you mean" looks among at most this many names: a hostile file has 100,000 checks. */
const SUGGESTED_AMONG = 1_000;

/**
 * Reports each check the status page lists that does not exist (with "did
 * you mean"), a check listed twice and a group name used twice. Anything
 * missing or of the wrong type is the schema's to report.
 */
export function statusPageProblems(expanded: unknown, report: Report): void {
  if (!isObject(expanded) || !isObject(expanded.statusPage)) return;
  const page = expanded.statusPage;
  const checkNames = asList(expanded.checks)
    .map((check) => (isObject(check) ? check.name : undefined))
    .filter((name): name is string => typeof name === 'string');
  const known = new Set(checkNames);
  const listed = new Map<string, string>();
  const groupNames = new Map<string, number>();
  asList(page.groups).forEach((group, g) => {
    if (!isObject(group)) return;
    const path = ['statusPage', 'groups', g];
    if (typeof group.name === 'string') {
      const first = groupNames.get(group.name);
      if (first === undefined) groupNames.set(group.name, g);
      else
        report([...path, 'name'], `duplicate group name "${group.name}" (first used by statusPage.groups[${first}])`);
    }
    asList(group.checks).forEach((entry, e) => {
      const name = typeof entry === 'string' ? entry : isObject(entry) ? entry.check : undefined;
      if (typeof name !== 'string' || name === '') return;
      const where = typeof entry === 'string' ? [...path, 'checks', e] : [...path, 'checks', e, 'check'];
      const first = listed.get(name);
      if (!known.has(name)) {
        report(where, () => {
          const suggestion = suggestKey(name, checkNames.slice(0, SUGGESTED_AMONG));
          return `unknown check "${name}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`;
        });
      } else if (first !== undefined) {
        report(where, `check "${name}" is listed twice on the status page (first at ${first})`);
      } else listed.set(name, `statusPage.groups[${g}].checks[${e}]`);
    });
  });
}

/** Resolves a validated `statusPage:` (schema and statusPageProblems found nothing). */
export function resolveStatusPage(input: StatusPageInput): ResolvedStatusPage {
  return {
    title: input.title,
    description: input.description ?? null,
    groups: input.groups.map((group) => ({
      name: group.name,
      checks: group.checks.map((entry) => ({ check: entry.check, label: entry.label ?? entry.check })),
    })),
  };
}
