import type { MemberInfo } from '../store/cluster.js';

/** One member as GET /api/v1/cluster shows it. */
export interface MemberView extends MemberInfo {
  readonly self: boolean;
  /** Its lease has not ended (by the database clock, as last read). */
  readonly live: boolean;
  /** Live and past its activeAt: it owns checks. */
  readonly active: boolean;
  /** How many configured checks rendezvous hashing gives it now. */
  readonly checksOwned: number;
}

/** What this monitor knows of its cluster, for the API, the metrics and readiness. */
export interface ClusterView {
  /** 'cluster' on PostgreSQL; 'single' on SQLite or without a store (this process owns every check). */
  readonly mode: 'cluster' | 'single';
  readonly self: string;
  /** This member's epoch while its lease is valid, else null. */
  readonly epoch: number | null;
  readonly leaseTtlMs: number | null;
  readonly renewMs: number | null;
  readonly members: readonly MemberView[];
  /** The checks a member owns now (names, sorted); [] for an unknown member. */
  checksOf(member: string): string[];
}
