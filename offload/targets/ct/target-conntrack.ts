// What a target MODEL needs for security groups: its connection table (which may outlive one program: rules
// change, connections stay, as on a NIC), the feed that teaches it the software's decisions, and the per-packet
// ct state a `ct` action leaves for the rules after it (ct_state trk/est/rpl, ct_mark).
import type { PacketInput, Verdict } from '../../../datapath/host/api.js'
import type { Entry } from '../../../datapath/host/entries.js'
import type { Profile } from '../../profile.js'
import type { FrameKey } from '../frame-dissector.js'
import type { TargetOutcome } from '../target-outcome.js'
import { ConnFeed } from './conn-feed.js'
import { ConnTable } from './conn-table.js'

export interface PacketCt {
  trk: boolean
  est: boolean
  rpl: boolean
  mark: number
}

export class TargetConntrack {
  readonly feed: ConnFeed
  /** whether the packet being run hit a connection the target holds (the software's state must follow it) */
  hit = false

  constructor(
    entries: Entry[],
    readonly table: ConnTable,
  ) {
    this.feed = new ConnFeed(entries, table)
  }

  /** A table sized and scoped by the profile (conntrack.protocols, maxConnections). */
  static forProfile(entries: Entry[], profile: Profile, table?: ConnTable): TargetConntrack {
    const ct = profile.conntrack
    const capacity = ct.maxConnections?.value
    return new TargetConntrack(
      entries,
      table ?? new ConnTable({ protocols: ct.protocols ?? [], ...(capacity !== undefined ? { capacity } : {}) }),
    )
  }

  /** A `ct zone Z` action: the packet's state after the lookup. */
  lookup(zone: number, key: FrameKey, nowMs: number): PacketCt {
    const hit = this.table.holds(key) ? this.table.lookup(zone, key, nowMs) : undefined
    if (hit === undefined) return { trk: true, est: false, rpl: false, mark: 0 }
    this.hit = true
    return { trk: true, est: true, rpl: hit.rpl, mark: hit.blocked ? 1 : 0 }
  }

  softwareDecided(input: PacketInput, v: Verdict, nowMs: number): void {
    this.feed.softwareDecided(input, v, nowMs)
  }
}

/**
 * One packet through a model's `walk` with conntrack: the hit flag starts clear, and an outcome the target decided
 * on a connection it holds carries `sync` (the software's state must follow it).
 */
export function runTracked(ct: TargetConntrack | undefined, walk: () => TargetOutcome): TargetOutcome {
  if (ct !== undefined) ct.hit = false
  const out = walk()
  return out.verdict !== undefined && ct?.hit === true ? { ...out, sync: true } : out
}

/** ct_state / ct_mark of a rule against the packet's (no ct action yet = untracked). */
export function ctMatches(
  want: { ct_state?: { trk?: boolean; est?: boolean; rpl?: boolean }; ct_mark?: { value: number; mask: number } },
  have: PacketCt | undefined,
): boolean {
  const s = have ?? { trk: false, est: false, rpl: false, mark: 0 }
  const w = want.ct_state
  if (
    w !== undefined &&
    ((w.trk !== undefined && w.trk !== s.trk) || (w.est !== undefined && w.est !== s.est) || (w.rpl !== undefined && w.rpl !== s.rpl))
  )
    return false
  return want.ct_mark === undefined || (s.mark & want.ct_mark.mask) === want.ct_mark.value
}
