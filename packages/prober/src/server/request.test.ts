import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from './errors.js';
import { parseTarget } from './request.js';

const refused = (target: string) => {
  try {
    parseTarget(target);
  } catch (error) {
    assert.ok(error instanceof ApiError, `${target}: ${String(error)}`);
    return `${error.status} ${error.code}: ${error.message}`;
  }
  assert.fail(`${target} was accepted`);
};

describe('parseTarget: the one place that reads a request target', () => {
  it('reads origin form and absolute form into a path, decoded segments and a query', () => {
    const t = parseTarget('/api/v1/checks/a%20b/results/?limit=5&ok=false&x=a+b%2Bc&flag');
    assert.equal(t.path, '/api/v1/checks/a%20b/results');
    assert.deepEqual(t.segments, ['api', 'v1', 'checks', 'a b', 'results']);
    assert.equal(t.query.get('limit'), '5');
    assert.equal(t.query.get('x'), 'a b+c');
    assert.equal(t.query.get('flag'), '');
    assert.equal(t.query.get('absent'), undefined);
    const abs = parseTarget('http://monitor:8080/readyz/store?verbose');
    assert.deepEqual([abs.path, abs.originForm], ['/readyz/store', '/readyz/store?verbose']);
    assert.deepEqual(parseTarget('/').segments, []);
    assert.deepEqual(parseTarget(undefined as unknown as string).path, '/');
  });

  it('answers every malformed target with a 400 that says what is wrong, never an exception of its own', () => {
    const cases: [string, RegExp][] = [
      ['/api/v1/checks/%ZZ', /400 bad_request: the path has a malformed percent-escape: "%ZZ"/],
      ['/livez/%E0%A4%A', /400 bad_request: the path has a malformed percent-escape/],
      ['/readyz/%', /malformed percent-escape: "%"/],
      ['/api/v1/checks?limit=%ZZ', /400 bad_request: the query string has a malformed percent-escape: "%ZZ"/],
      ['/api/v1/checks?%E0=1', /the query string has a malformed percent-escape/],
      ['http://[/x', /400 bad_request: the request target "http:\/\/\[\/x" is not a valid absolute URL/],
      ['*', /400 bad_request: the request target "\*" is not a path/],
      ['monitor:8080', /is not a path/],
      ['', /is not a path/],
      [`/${'%'.repeat(5000)}`, /malformed percent-escape: "%{80}…"/],
    ];
    for (const [target, message] of cases) assert.match(refused(target), message, target);
  });

  it('refuses unknown and repeated query parameters, naming them and the known ones', () => {
    const { query } = parseTarget('/x?limit=5&limt=6');
    assert.throws(
      () => query.allow(['since', 'until', 'limit']),
      (e: ApiError) =>
        e.status === 400 &&
        e.code === 'unknown_parameter' &&
        e.message === 'unknown query parameter "limt": this route takes since, until, limit',
    );
    assert.throws(() => parseTarget('/x?a=1').query.allow([]), /unknown query parameter "a": this route takes none/);
    assert.throws(
      () => parseTarget('/x?limit=5&limit=6').query.get('limit'),
      (e: ApiError) => e.status === 400 && e.message === 'limit is given 2 times; give it once',
    );
  });
});
