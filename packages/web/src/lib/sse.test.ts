import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseParser } from './sse.ts';

/** Feeds the chunks one by one and collects every event. */
function parse(chunks: string[], parser = new SseParser()) {
  return chunks.flatMap((c) => parser.feed(c));
}

describe('SseParser', () => {
  it('dispatches an event at a blank line with its type, data and id', () => {
    assert.deepEqual(parse(['id: b.1\nevent: results\ndata: {"results":[]}\n\n']), [
      { type: 'results', data: '{"results":[]}', id: 'b.1' },
    ]);
  });

  it('joins data lines with \\n and defaults the type to message', () => {
    assert.deepEqual(parse(['data: a\ndata: b\ndata\n\n']), [{ type: 'message', data: 'a\nb\n', id: '' }]);
  });

  const text = 'retry: 2000\n: ping\n\nid: x.1\nevent: config\ndata: {"checks":3}\n\nevent: reset\ndata: {}\n\n';
  const expected = [
    { type: 'config', data: '{"checks":3}', id: 'x.1' },
    { type: 'reset', data: '{}', id: 'x.1' },
  ];

  for (const [name, ending] of [
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ] as const) {
    it(`reads ${name} line ends, whatever the chunk boundaries`, () => {
      const stream = text.replaceAll('\n', ending);
      for (let size = 1; size <= 7; size++) {
        const chunks: string[] = [];
        for (let i = 0; i < stream.length; i += size) chunks.push(stream.slice(i, i + size));
        const parser = new SseParser();
        assert.deepEqual(parse(chunks, parser), expected, `chunks of ${size}`);
        assert.equal(parser.retryMs, 2000);
        assert.equal(parser.lastEventId, 'x.1');
      }
    });
  }

  it('a CR at the end of one chunk and an LF at the start of the next are one line end', () => {
    assert.deepEqual(parse(['data: a\r', '\n\r', '\n']), [{ type: 'message', data: 'a', id: '' }]);
  });

  it('drops a leading BOM, once', () => {
    assert.deepEqual(parse(['\uFEFFdata: x\n\n']), [{ type: 'message', data: 'x', id: '' }]);
    assert.deepEqual(parse(['', '\uFEFFdata: x\n\n']), [{ type: 'message', data: 'x', id: '' }]);
  });

  it('ignores comments, unknown fields, a bad retry and an id with NUL; an event without data is not dispatched', () => {
    const parser = new SseParser();
    assert.deepEqual(parse([': hi\nfoo: bar\nretry: 12a\nid: a\0b\nevent: x\n\n'], parser), []);
    assert.equal(parser.retryMs, undefined);
    assert.equal(parser.lastEventId, '');
    // The type of the undispatched event does not leak into the next one.
    assert.deepEqual(parse(['data: y\n\n'], parser), [{ type: 'message', data: 'y', id: '' }]);
  });

  it('an id-only block still moves lastEventId (what a reconnect sends)', () => {
    const parser = new SseParser();
    parse(['id: b.7\n\n'], parser);
    assert.equal(parser.lastEventId, 'b.7');
  });

  it('keeps the id of the stream before a reconnect until the server sends a new one', () => {
    const parser = new SseParser('b.9');
    assert.deepEqual(parse(['data: z\n\n'], parser), [{ type: 'message', data: 'z', id: 'b.9' }]);
  });

  it('only a single space after the colon is dropped; a field without colon has an empty value', () => {
    assert.deepEqual(parse(['data:  two\ndata:none\n\n']), [{ type: 'message', data: ' two\nnone', id: '' }]);
  });

  it('holds an incomplete event until it is finished', () => {
    const parser = new SseParser();
    assert.deepEqual(parser.feed('event: results\ndata: {"a"'), []);
    assert.deepEqual(parser.feed(':1}\n'), []);
    assert.deepEqual(parser.feed('\n'), [{ type: 'results', data: '{"a":1}', id: '' }]);
  });
});
