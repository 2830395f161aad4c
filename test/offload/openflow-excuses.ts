// Excuses for conformance vectors on which OVS (with the emitted OpenFlow flows) cannot do what the WASM pipeline
// does: each names its vectors exactly and says why. The book checks itself at the end of a run: an excuse
// naming a vector the run did not judge, or a vector that agreed on every step while excused, fails the test,
// so that excuses cannot outlive the gap they explain. (Before, whole groups were excused by pattern.)
import type { Test } from 'tap'

export interface Excuse {
  /** vector names, exactly as in test/conformance/vectors/ */
  vectors: string[]
  /** why OpenFlow or OVS cannot do it, with the file or clause that says so */
  reason: string
}

/** Reasons shared by the trace test and the replay test. */
export const REASONS = {
  malformed: "malformed-frame validation (BEHAVIOUR.md §1) is OVS's own parser: OpenFlow cannot match lengths or checksums",
  ndPunted: 'neighbour solicitations for known targets are punted; the slow path answers',
  icmpChecksum: 'OpenFlow cannot verify an ICMP checksum: the echo is answered',
  ndTargetMask:
    'OpenFlow cannot mask nd_target: NAs of a row with an IPv6 prefix pair are not checked (port-sec-flows.ts ndAdvertFlows; BEHAVIOUR.md §4)',
  icmpErrorDnat:
    'an ICMP error about a floating IP is punted unsupported: OpenFlow cannot rewrite the quoted header or fix its checksums (nat-flows.ts)',
  icmpErrorSnat:
    'an ICMP error leaving through SNAT is punted unsupported: OpenFlow cannot rewrite the quoted header or fix its checksums (nat-flows.ts)',
  hairpinSource: 'the hairpin source rewrite (fixed -> floating IP) is not in the OpenFlow NAT flows: only the destination is translated',
  ctFull: "ct_full: OVS's conntrack refuses the commit of a connection past its limit and the packet goes on (acl-flows.ts gaps)",
} as const

/** Malformed frames both OVS tests excuse (REASONS.malformed); each test adds the ones only it judges. */
export const MALFORMED_FRAMES: readonly string[] = [
  'parse/arp-hlen-8',
  'parse/arp-htype-6',
  'parse/arp-op-0',
  'parse/arp-op-3',
  'parse/arp-plen-16',
  'parse/arp-ptype-ipv6',
  'parse/arp-truncated',
  'parse/icmp-header-truncated',
  'parse/ipv4-bad-checksum-port-security-off',
  'parse/ipv4-bad-checksum/batch',
  'parse/ipv4-header-19-bytes',
  'parse/ipv4-ihl-4',
  'parse/ipv4-ihl-beyond-total-length',
  'parse/ipv4-total-length-below-header',
  'parse/ipv4-total-length-beyond-frame',
  'parse/ipv4-version-6',
  'parse/ipv6-extension-past-payload',
  'parse/ipv6-header-39-bytes',
  'parse/ipv6-nine-extension-headers/batch',
  'parse/ipv6-payload-length-beyond-frame',
  'parse/ipv6-version-4',
  'parse/tcp-header-truncated',
  'parse/udp-header-truncated',
  'parse/vlan-tag-truncated',
]

/** Excuses both OVS tests share: what OpenFlow leaves to the slow path or cannot check, whichever way a vector runs. */
export const SLOW_PATH_EXCUSES: readonly Excuse[] = [
  { reason: REASONS.icmpErrorDnat, vectors: ['dnat/icmp-error-from-outside/batch'] },
  { reason: REASONS.icmpChecksum, vectors: ['route/echo-to-router-bad-checksum/batch', 'route/ipv6-echo-to-router-bad-checksum'] },
  { reason: REASONS.icmpErrorSnat, vectors: ['snat/icmp-error-from-vm1/batch'] },
  {
    reason: REASONS.ndPunted,
    vectors: [
      'nd/ns-bad-checksum/batch',
      'nd/ns-code-not-zero',
      'nd/ns-dad-answered-to-all-nodes',
      'nd/ns-dad-to-unicast',
      'nd/ns-dad-with-source-lla',
      'nd/ns-for-router-address/batch',
      'nd/ns-for-vm-address',
      'nd/ns-from-link-local',
      'nd/ns-hop-limit-not-255/batch',
      'nd/ns-on-second-network',
      'nd/ns-shorter-than-24-bytes',
      'nd/ns-unicast-to-router',
      'nd/ns-without-source-lla',
      'nd/ns-zero-length-option',
    ],
  },
]

export class ExcuseBook {
  private readonly byVector = new Map<string, Excuse>()
  /** per judged vector: did any of its steps disagree? */
  private readonly judged = new Map<string, boolean>()

  constructor(excuses: Excuse[]) {
    for (const e of excuses) {
      for (const name of e.vectors) {
        if (this.byVector.has(name)) throw new Error(`${name} is excused twice`)
        this.byVector.set(name, e)
      }
    }
  }

  /** Records a step of `vector` that agreed. */
  agreed(vector: string): void {
    if (!this.judged.has(vector)) this.judged.set(vector, false)
  }

  /** Records a step of `vector` that disagreed; returns its excuse, or undefined (then the caller fails). */
  disagreed(vector: string): Excuse | undefined {
    this.judged.set(vector, true)
    return this.byVector.get(vector)
  }

  /** Every excuse that no longer excuses anything, in words ([] when the book is current). */
  stale(): string[] {
    const out: string[] = []
    for (const [name, e] of this.byVector) {
      const disagreed = this.judged.get(name)
      if (disagreed === undefined)
        out.push(
          `${name} is excused (${e.reason}) but was not judged here: no such vector, or one this test does not run; remove it from the excuses`,
        )
      else if (!disagreed) out.push(`${name} is excused (${e.reason}) but agrees with OVS now: remove its excuse`)
    }
    return out
  }

  /** Fails `t` once per stale excuse, and passes when there is none. */
  check(t: Test): void {
    const stale = this.stale()
    for (const s of stale) t.fail(s)
    t.equal(stale.length, 0, `every excuse (${this.byVector.size} vectors) names a vector judged here that still disagrees`)
  }
}
