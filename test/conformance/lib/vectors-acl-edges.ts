// Sequences on the security-groups topology for what the OpenFlow security-group flows found hard and the
// conformance vectors do not (yet) exercise: a connection that exists but is still +new in OVS's eyes (UDP
// before its first reply; the destination's lookup of a connection the source's egress rules committed in the
// same pass) refused by the rules must be marked blocked, and a related ICMP error of a blocked connection drops
// ct_blocked in either direction. Expectations are BEHAVIOUR.md's; found while holding OVS to the replayed vectors.
import type { SequenceVector } from '../vector-format.js'
import { icmpError, udpHop, type Side } from './conversation.js'
import { VM1, VM4, VM4_IN_CLIENTS } from './topologies.js'
import { drop, sequence } from './vector-kit.js'

const STATEFUL = 'BEHAVIOUR.md Security groups, Stateful'
const vm1: Side = { host: VM1 }
const vm4: Side = { host: VM4 }

export function aclEdgeSequences(): SequenceVector[] {
  // vm4 may send any IPv4 to 10.0.0.0/8 (clients); vm1 takes UDP 53 from the clients' members (web), nothing
  // else from vm4 (vm4 is no member of default)
  const dns = () => udpHop(vm4, vm1, 40000, 53)
  const dnsReply = () => udpHop(vm1, vm4, 53, 40000)
  const other = () => udpHop(vm4, vm1, 40001, 54)
  const otherReply = () => udpHop(vm1, vm4, 54, 40001)
  return [
    sequence({
      name: 'sg-edge/refused-before-any-reply',
      stage: 'ls_out_acl',
      topology: 'security-groups',
      intent:
        "vm4 leaves clients while its UDP 53 flow to vm1 has had no reply yet (OVS still says +new): the next request is refused and marks the connection blocked, so vm1's reply drops too.",
      steps: [
        { now_ms: 1000, note: 'request', input: dns().input, expect: dns().deliver(`${STATEFUL} 4: allowed and committed`) },
        {
          now_ms: 1001,
          note: 'request after vm4 left',
          remove: [VM4_IN_CLIENTS],
          input: dns().input,
          expect: drop('acl_deny', `${STATEFUL} 4: not allowed now; an existing connection is marked blocked`),
        },
        {
          now_ms: 1002,
          note: 'the first reply',
          input: dnsReply().input,
          expect: drop('ct_blocked', `${STATEFUL} 3: a reply of a blocked connection`),
        },
        {
          now_ms: 1003,
          note: 'request after vm4 is back',
          entries: [VM4_IN_CLIENTS],
          input: dns().input,
          expect: dns().deliver(`${STATEFUL} 4: allowed: a blocked one is unblocked`),
        },
        { now_ms: 1004, note: 'reply', input: dnsReply().input, expect: dnsReply().deliver(`${STATEFUL} 2`) },
      ],
    }),
    sequence({
      name: 'sg-edge/committed-by-source-refused-by-destination',
      stage: 'ls_out_acl',
      topology: 'security-groups',
      intent:
        "vm4's egress rules commit UDP 54 to vm1, vm1's ingress rules refuse it: the connection exists, blocked, and a reply from vm1 drops ct_blocked.",
      steps: [
        {
          now_ms: 1000,
          note: 'request',
          input: other().input,
          expect: drop(
            'acl_deny',
            `${STATEFUL}: a connection committed by the source's egress rules exists even when the destination's ingress rules refuse the packet (it is marked blocked)`,
          ),
        },
        {
          now_ms: 1001,
          note: 'a reply from vm1',
          input: otherReply().input,
          expect: drop('ct_blocked', `${STATEFUL} 3: a reply of a blocked connection`),
        },
      ],
    }),
    sequence({
      name: 'sg-edge/related-errors-of-blocked',
      stage: 'ls_in_acl',
      topology: 'security-groups',
      intent:
        "ICMP errors about a blocked connection drop ct_blocked whichever way they go, although vm4's egress rules would allow the one it sends.",
      steps: [
        {
          now_ms: 1000,
          note: 'request (blocks the connection at vm1)',
          input: other().input,
          expect: drop('acl_deny', `${STATEFUL}: marked blocked`),
        },
        {
          now_ms: 1001,
          note: "vm4 reports vm1's reply unreachable (original direction)",
          input: icmpError(vm4, vm1, otherReply(), { type: 3, code: 3 }).input,
          expect: drop('ct_blocked', `${STATEFUL}: a related error of a blocked connection is dropped ct_blocked, as a reply is`),
        },
        {
          now_ms: 1002,
          note: "vm1 reports vm4's request unreachable (reply direction)",
          input: icmpError(vm1, vm4, other(), { type: 3, code: 3 }).input,
          expect: drop('ct_blocked', `${STATEFUL}: a related error of a blocked connection is dropped ct_blocked`),
        },
      ],
    }),
  ]
}
