import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authorizationHeader, challengeSchemes, loadCredentials, preferredScheme, saveCredentials } from './auth.ts';

describe('challengeSchemes', () => {
  const cases: [string | null, string[]][] = [
    [null, []],
    ['', []],
    ['Bearer realm="lifeline"', ['bearer']],
    ['Basic realm="lifeline", charset="UTF-8"', ['basic']],
    // What the monitor sends with both configured, joined by fetch into one value.
    ['Bearer realm="lifeline", error="invalid_token", Basic realm="lifeline", charset="UTF-8"', ['bearer', 'basic']],
    ['Basic realm="a, Bearer b", charset="UTF-8"', ['basic']],
    ['Negotiate abc==, Basic', ['negotiate', 'basic']],
    ['Basic realm = "x" , Bearer', ['basic', 'bearer']],
    ['Basic realm="say \\"hi\\", Bearer"', ['basic']],
  ];
  for (const [header, schemes] of cases) {
    it(`${JSON.stringify(header)} -> ${schemes.join(', ') || 'none'}`, () => {
      assert.deepEqual(challengeSchemes(header), schemes);
    });
  }

  it('prefers bearer (one field) over basic', () => {
    assert.equal(preferredScheme(['basic', 'bearer']), 'bearer');
    assert.equal(preferredScheme(['basic']), 'basic');
    assert.equal(preferredScheme(['negotiate']), undefined);
  });
});

describe('authorizationHeader', () => {
  it('sends the token as Bearer', () => {
    assert.equal(authorizationHeader({ scheme: 'bearer', token: 'abc.def' }), 'Bearer abc.def');
  });

  it('sends basic credentials as base64 of their UTF-8 bytes', () => {
    assert.equal(
      authorizationHeader({ scheme: 'basic', username: 'Aladdin', password: 'open sesame' }),
      'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==',
    );
    const header = authorizationHeader({ scheme: 'basic', username: 'zoë', password: 'pä:ss' });
    assert.equal(Buffer.from(header.slice(6), 'base64').toString('utf8'), 'zoë:pä:ss');
  });
});

describe('credentials in sessionStorage', () => {
  const memory = () => {
    const map = new Map<string, string>();
    return {
      map,
      getItem: (k: string) => map.get(k) ?? null,
      setItem: (k: string, v: string) => void map.set(k, v),
      removeItem: (k: string) => void map.delete(k),
    };
  };

  it('round-trips and forgets', () => {
    const storage = memory();
    saveCredentials(storage, { scheme: 'basic', username: 'u', password: 'p' });
    assert.deepEqual(loadCredentials(storage), { scheme: 'basic', username: 'u', password: 'p' });
    saveCredentials(storage, { scheme: 'bearer', token: 't' });
    assert.deepEqual(loadCredentials(storage), { scheme: 'bearer', token: 't' });
    saveCredentials(storage, undefined);
    assert.equal(loadCredentials(storage), undefined);
    assert.equal(storage.map.size, 0);
  });

  it('treats a damaged value, a wrong shape or a throwing storage as no credentials', () => {
    const storage = memory();
    storage.map.set('lifeline.credentials', '{nope');
    assert.equal(loadCredentials(storage), undefined);
    storage.map.set('lifeline.credentials', '{"scheme":"bearer","token":5}');
    assert.equal(loadCredentials(storage), undefined);
    const broken = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
      removeItem: () => {},
    };
    assert.equal(loadCredentials(broken), undefined);
    assert.doesNotThrow(() => saveCredentials(broken, { scheme: 'bearer', token: 't' }));
    assert.equal(loadCredentials(undefined), undefined);
  });
});
