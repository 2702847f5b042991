import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CHANNEL_TYPES } from '../../config/alerting-schema.js';
import type { ChannelConfig } from '../../config/resolved.js';
import { channelBase, makePayload, type Recorder, startRecorder } from '../../testing/channels.js';
import { createChannel } from './index.js';

let receiver: Recorder;
before(async () => {
  receiver = await startRecorder();
});
after(() => receiver.close());

function configs(url: string): ChannelConfig[] {
  return [
    { ...channelBase('am', url), type: 'alertmanager', url, headers: {} },
    { ...channelBase('hook', url), type: 'webhook', url, headers: {} },
    { ...channelBase('slack', url), type: 'slack', url },
    { ...channelBase('pd', url), type: 'pagerduty', url, routingKey: 'key' },
    {
      ...channelBase('mail', 'smtp://127.0.0.1:1'),
      type: 'email',
      url: 'smtp://127.0.0.1:1',
      from: 'a@example.com',
      to: ['b@example.com'],
    },
  ];
}

describe('createChannel', () => {
  it('one channel per type, named and typed by its config', async () => {
    const channels = configs(receiver.url).map((config) => createChannel(config));
    assert.deepEqual(
      channels.map((c) => [c.name, c.type]),
      [
        ['am', 'alertmanager'],
        ['hook', 'webhook'],
        ['slack', 'slack'],
        ['pd', 'pagerduty'],
        ['mail', 'email'],
      ],
    );
    assert.deepEqual(
      channels.map((c) => c.type),
      [...CHANNEL_TYPES],
    );
    assert.deepEqual(
      channels.filter((c) => c.refresh).map((c) => c.type),
      ['alertmanager'],
    );
    for (const channel of channels) await channel.close?.();
  });

  it('a payload no channel can format (a date out of range) is a final outcome, never a rejection', async () => {
    const base = makePayload();
    const broken = { ...base, incident: { ...base.incident, startedAt: Number.NaN } };
    for (const config of configs(receiver.url)) {
      const channel = createChannel(config);
      const outcome = await channel.send(broken);
      assert.equal(outcome.ok, false, config.type);
      assert.equal(outcome.retryable, false, config.type);
      assert.match(outcome.message, /^cannot send this notification: /, config.type);
      await channel.close?.();
    }
    assert.equal(receiver.received.length, 0);
  });
});
