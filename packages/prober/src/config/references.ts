import { suggestKey } from './problems.js';

/**
 * Names one part of the config gives and another refers to: channels (named
 * by `alerting.defaults.channels` and each check's `alerts.channels`) and
 * checks (named by each maintenance window's `checks`). Read from the raw
 * document, so these problems come with every other one, not only once the
 * rest is valid; anything of the wrong shape is the schema's to report.
 */

type Path = readonly (string | number)[];
export type Report = (path: Path, message: string | (() => string)) => void;

/** At most this many names are listed in a message. */
const LISTED = 20;
/** "Did you mean" looks among at most this many names: a hostile file has 100,000 checks. */
const SUGGESTED_AMONG = 1_000;

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const field = (value: unknown, key: string): unknown =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)[key]
    : undefined;

/** The string `name` of each entry, reporting a name used twice. */
function uniqueNames(entries: unknown[], where: string, what: string, report: Report): string[] {
  const seen = new Map<string, number>();
  entries.forEach((entry, index) => {
    const name = field(entry, 'name');
    if (typeof name !== 'string') return;
    const first = seen.get(name);
    if (first === undefined) seen.set(name, index);
    else
      report(
        [...where.split('.'), index, 'name'],
        `duplicate ${what} name "${name}" (first used by ${where}[${first}])`,
      );
  });
  return [...seen.keys()];
}

function listed(names: readonly string[]): string {
  const shown = names.slice(0, LISTED).join(', ');
  return names.length > LISTED ? `${shown}, ... ${names.length - LISTED} more` : shown;
}

function unknownChannel(name: string, channels: readonly string[]): string {
  if (channels.length === 0)
    return `unknown channel "${name}" (no channels are configured: add them under alerting.channels)`;
  const suggestion = suggestKey(name, channels.slice(0, SUGGESTED_AMONG));
  return `unknown channel "${name}" (channels: ${listed(channels)})${suggestion ? `; did you mean "${suggestion}"?` : ''}`;
}

function checkChannelList(list: unknown, path: Path, channels: ReadonlySet<string>, report: Report): void {
  asList(list).forEach((name, index) => {
    if (typeof name === 'string' && name !== '' && !channels.has(name)) {
      report([...path, index], () => unknownChannel(name, [...channels]));
    }
  });
}

/** Reports duplicate channel and window names and every reference to a channel or check that does not exist. */
export function referenceProblems(expanded: unknown, report: Report): void {
  const alerting = field(expanded, 'alerting');
  const channels = new Set(uniqueNames(asList(field(alerting, 'channels')), 'alerting.channels', 'channel', report));
  checkChannelList(
    field(field(alerting, 'defaults'), 'channels'),
    ['alerting', 'defaults', 'channels'],
    channels,
    report,
  );
  const checks = asList(field(expanded, 'checks'));
  checks.forEach((check, index) => {
    checkChannelList(
      field(field(check, 'alerts'), 'channels'),
      ['checks', index, 'alerts', 'channels'],
      channels,
      report,
    );
  });

  const windows = asList(field(expanded, 'maintenance'));
  uniqueNames(windows, 'maintenance', 'maintenance window', report);
  const checkNames = checks.map((check) => field(check, 'name')).filter((n): n is string => typeof n === 'string');
  const known = new Set(checkNames);
  windows.forEach((window, index) => {
    asList(field(window, 'checks')).forEach((name, at) => {
      if (typeof name !== 'string' || name === '' || known.has(name)) return;
      report(['maintenance', index, 'checks', at], () => {
        const suggestion = suggestKey(name, checkNames.slice(0, SUGGESTED_AMONG));
        return `unknown check "${name}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`;
      });
    });
  });
}
