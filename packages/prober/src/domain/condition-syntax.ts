/**
 * The shape of a parsed condition: its placeholders, operators and operands,
 * and the error a condition that does not parse throws. PURE.
 */

export const PLACEHOLDERS = [
  'STATUS',
  'RESPONSE_TIME',
  'BODY',
  'CONNECTED',
  'IP',
  'CERTIFICATE_EXPIRATION',
  'DNS_RCODE',
  'DNS_TIME',
  'CONNECT_TIME',
  'TLS_TIME',
  'TTFB',
  'HEADER',
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export const OPERATORS = ['==', '!=', '<=', '>=', '<', '>'] as const;
export type Operator = (typeof OPERATORS)[number];

export type PathSegment = { readonly key: string } | { readonly index: number } | { readonly wildcard: true };

export type Operand =
  | {
      readonly kind: 'placeholder';
      readonly name: Placeholder;
      readonly path: readonly PathSegment[];
      readonly text: string;
    }
  | { readonly kind: 'len' | 'has'; readonly arg: Operand & { kind: 'placeholder' }; readonly text: string }
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'pat'; readonly pattern: string; readonly text: string }
  | { readonly kind: 'any'; readonly values: readonly string[]; readonly text: string };

export interface Condition {
  readonly text: string;
  readonly left: Operand;
  readonly operator: Operator;
  readonly right: Operand;
  /** Written with the pat()/any() function on the left; `left` and `right` are swapped back for evaluation. */
  readonly reversed?: boolean;
}

/** A condition that does not parse, with the 0-based column where the problem starts. */
export class ConditionSyntaxError extends Error {
  constructor(
    message: string,
    readonly condition: string,
    readonly column: number,
  ) {
    super(`${message} at column ${column + 1} of "${condition}"`);
    this.name = 'ConditionSyntaxError';
  }
}
