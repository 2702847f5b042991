import type { ChannelConfig } from '../../config/resolved.js';

/** The config of one channel type. */
export type ChannelOf<T extends ChannelConfig['type']> = Extract<ChannelConfig, { readonly type: T }>;

/** What a channel may be given besides its config; tests inject these. */
export interface ChannelDeps {
  /** Clock for Retry-After dates; Date.now by default. */
  readonly now?: () => number;
}
