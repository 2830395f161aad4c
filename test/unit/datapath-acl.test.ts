// Security groups through the WASM pipeline (BEHAVIOUR.md "Security groups"): real entries, real frames from
// the packet builder, verdicts read back. A rule allows, none denies, replies pass, removing a rule stops the
// connection both ways and re-adding resumes it, stateless ports need rules both ways, no acl_port = no
// enforcement, remote prefixes and groups, and malformed rules are refused before they reach the datapath.
import t from 'tap'
import { ENTRY_ERR_BAD_VALUE } from '../../datapath/spec/entry-kinds.js'
import { createDatapath, type Datapath, type Entry } from '../../datapath/host/index.js'
import { ndNs, udp } from '../../datapath/host/packet-builder.js'
import { ipv6, mac } from '../../datapath/host/addresses.js'
import {
  A,
  B,
  GROUP_A,
  GROUP_B,
  TCP_ACK,
  TCP_SYN,
  base,
  ping,
  tcpFrom,
  udpFrom,
  unreachable,
  v4,
  v6,
  verdict,
} from './datapath-acl-fixture.js'

const ssh: Entry = { stage: 'acl_rule', group: GROUP_B, rule: 1, direction: 'ingress', family: 4, protocol: 6, port_min: 22, port_max: 22 }
const egressAll: Entry = { stage: 'acl_rule', group: GROUP_A, rule: 1, direction: 'egress', family: 4 }

async function loaded(extra: Entry[], backend: 'core' | 'component' = 'core'): Promise<Datapath> {
  const dp = await createDatapath({ backend })
  dp.load({ entries: [...base, ...extra] })
  return dp
}

const stateful = (port: number, groups: number[]): Entry => ({ stage: 'acl_port', port, stateful: true, groups })

t.test('a rule allows a new connection, none denies it, and its replies pass without a rule', async t => {
  const dp = await loaded([stateful(A.port, [GROUP_A]), stateful(B.port, [GROUP_B]), ssh, egressAll])
  t.equal(
    verdict(dp, tcpFrom(A, B, { sport: 40000, dport: 22, flags: TCP_SYN, seq: 1000 })),
    'output 2',
    "SYN to 22: allowed by B's ingress rule",
  )
  t.equal(
    verdict(dp, tcpFrom(B, A, { sport: 22, dport: 40000, flags: TCP_SYN | TCP_ACK, seq: 5000, ack: 1001 })),
    'output 1',
    'SYN|ACK back: B has no egress rule and A no ingress rule, but it is a reply',
  )
  t.equal(verdict(dp, tcpFrom(A, B, { sport: 40000, dport: 22, flags: TCP_ACK, seq: 1001, ack: 5001 })), 'output 2', 'ACK: established')
  t.equal(verdict(dp, tcpFrom(A, B, { sport: 40001, dport: 80, flags: TCP_SYN, seq: 7 })), 'drop acl_deny', 'SYN to 80: no rule')
  t.equal(verdict(dp, udpFrom(B, A, 5000, 6000)), 'drop acl_deny', 'B has no egress rule for a new flow')
  // A's egress rule committed both of A's connections before B's ingress rules refused the one to 80 (which is
  // now marked blocked); B's refused flow was never committed. One zone for the network: one record each.
  t.equal(dp.conntrack.count(), 2, 'the SSH connection and the refused one to 80')
  const c = dp.counters()
  t.equal(c.reasons.acl_deny, 2)
  t.equal(c.perPort[B.ofport]?.acl_deny, 1, 'counted on the port the packet came in on')
  t.equal(c.conntrack.commits, 2)
})

t.test('removing the rule stops the open connection both ways; re-adding it resumes it', async t => {
  const dp = await loaded([
    stateful(A.port, [GROUP_A]),
    stateful(B.port, [GROUP_B]),
    egressAll,
    { stage: 'acl_rule', group: GROUP_B, rule: 2, direction: 'ingress', family: 4, protocol: 17, port_min: 53, port_max: 53 },
  ])
  const query = udpFrom(A, B, 3333, 53)
  const answer = udpFrom(B, A, 53, 3333)
  t.equal(verdict(dp, query), 'output 2')
  t.equal(verdict(dp, answer), 'output 1', 'the answer is a reply')
  dp.remove({ stage: 'acl_rule', group: GROUP_B, rule: 2, direction: 'ingress', family: 4 })
  t.equal(verdict(dp, query), 'drop acl_deny', 'the next query: no rule any more')
  t.equal(verdict(dp, answer), 'drop ct_blocked', 'and the answers of the now blocked connection drop too')
  dp.add({ stage: 'acl_rule', group: GROUP_B, rule: 2, direction: 'ingress', family: 4, protocol: 17, port_min: 53, port_max: 53 })
  t.equal(verdict(dp, query), 'output 2', 'allowed again: the connection is unblocked')
  t.equal(verdict(dp, answer), 'output 1')
  t.equal(dp.conntrack.count(), 1, 'the same connection throughout: no flush needed')
})

t.test('two rules with the same interval: removing one keeps the other', async t => {
  const rule = (n: number): Entry => ({
    stage: 'acl_rule',
    group: GROUP_B,
    rule: n,
    direction: 'ingress',
    family: 4,
    protocol: 17,
    port_min: 50,
    port_max: 60,
  })
  const dp = await loaded([stateful(B.port, [GROUP_B]), rule(1), rule(2)])
  dp.remove(rule(1))
  t.equal(verdict(dp, udpFrom(A, B, 1, 55)), 'output 2', 'rule 2 still allows 55')
  dp.remove(rule(2))
  t.equal(verdict(dp, udpFrom(A, B, 2, 55)), 'drop acl_deny')
  dp.remove(rule(2))
  t.pass('removing a rule that is gone is not an error')
  dp.add({ ...rule(3), port_min: 1, port_max: 100 } as Entry)
  dp.add({ ...rule(3), port_min: 200, port_max: 300 } as Entry)
  t.equal(verdict(dp, udpFrom(A, B, 3, 55)), 'drop acl_deny', 'adding rule 3 again replaced it: 1-100 is gone')
  t.equal(verdict(dp, udpFrom(A, B, 4, 250)), 'output 2')
})

t.test('a stateless port checks every packet in its own direction', async t => {
  const dp = await loaded([
    { stage: 'acl_port', port: B.port, stateful: false, groups: [GROUP_B] },
    { stage: 'acl_rule', group: GROUP_B, rule: 1, direction: 'ingress', family: 4, protocol: 17, port_min: 53, port_max: 53 },
  ])
  t.equal(verdict(dp, udpFrom(A, B, 3333, 53)), 'output 2')
  t.equal(verdict(dp, udpFrom(B, A, 53, 3333)), 'drop acl_deny', 'the answer needs an egress rule of its own')
  dp.add({ stage: 'acl_rule', group: GROUP_B, rule: 2, direction: 'egress', family: 4, protocol: 17 })
  t.equal(verdict(dp, udpFrom(B, A, 53, 3333)), 'output 1')
  t.equal(dp.conntrack.count(), 0, 'nothing was committed')
})

t.test(
  'no acl_port entry (port security off, or remote): nothing is enforced; an empty group list passes only the always-allowed',
  async t => {
    const dp = await loaded([])
    t.equal(verdict(dp, udpFrom(A, B, 1, 2)), 'output 2')
    dp.add(stateful(B.port, []))
    t.equal(verdict(dp, udpFrom(A, B, 1, 2)), 'drop acl_deny')
    const dhcpReply = v4(A, B, udp({ sport: 67, dport: 68 }))
    t.equal(verdict(dp, dhcpReply), 'output 2', 'DHCP server to client is always allowed ingress')
    const ns = v6(A, B, ndNs({ target: ipv6(B.ip6), sll: mac(A.mac) }))
    ns.data[14 + 7] = 255 // hop limit of an ND message
    t.equal(verdict(dp, ns), 'output 2', 'neighbour solicitation is always allowed')
    t.equal(dp.conntrack.count(), 0, 'always-allowed traffic is not tracked')
    dp.remove({ stage: 'acl_port', port: B.port, stateful: true, groups: [] })
    t.equal(verdict(dp, udpFrom(A, B, 1, 2)), 'output 2', 'the entry removed: not enforced again')
  },
)

t.test('ICMP: a ping is a connection, an unsolicited echo reply is invalid, errors are related', async t => {
  const dp = await loaded([
    stateful(A.port, [GROUP_A]),
    stateful(B.port, [GROUP_B]),
    egressAll,
    { stage: 'acl_rule', group: GROUP_B, rule: 1, direction: 'ingress', family: 4, protocol: 1, icmp_type: 8 },
    { stage: 'acl_rule', group: GROUP_B, rule: 2, direction: 'ingress', family: 4, protocol: 17 },
  ])
  t.equal(verdict(dp, ping(A, B, 7)), 'output 2')
  t.equal(verdict(dp, ping(B, A, 7, true)), 'output 1', 'the echo reply matches the request by identifier')
  t.equal(verdict(dp, ping(B, A, 8, true)), 'drop ct_invalid', 'an echo reply with no request cannot start a connection')
  const query = udpFrom(A, B, 4000, 4001)
  t.equal(verdict(dp, query), 'output 2')
  t.equal(verdict(dp, unreachable(B, A, query)), 'output 1', 'port unreachable quoting the query: related')
  t.equal(verdict(dp, unreachable(B, A, udpFrom(A, B, 4000, 9999))), 'drop ct_invalid', 'an error quoting no connection')
})

t.test('remote groups and remote prefixes', async t => {
  const dp = await loaded([
    stateful(B.port, [GROUP_B]),
    {
      stage: 'acl_rule',
      group: GROUP_B,
      rule: 1,
      direction: 'ingress',
      family: 4,
      protocol: 17,
      port_min: 100,
      port_max: 100,
      remote_group: GROUP_A,
    },
    {
      stage: 'acl_rule',
      group: GROUP_B,
      rule: 2,
      direction: 'ingress',
      family: 4,
      protocol: 17,
      port_min: 200,
      port_max: 200,
      remote_prefix: '10.0.0.0/8',
    },
    {
      stage: 'acl_rule',
      group: GROUP_B,
      rule: 3,
      direction: 'ingress',
      family: 4,
      protocol: 17,
      port_min: 300,
      port_max: 300,
      remote_prefix: '10.0.0.4/30',
    },
    {
      stage: 'acl_rule',
      group: GROUP_B,
      rule: 4,
      direction: 'ingress',
      family: 4,
      protocol: 17,
      port_min: 400,
      port_max: 400,
      remote_prefix: '192.168.0.0/16',
    },
  ])
  t.equal(verdict(dp, udpFrom(A, B, 1, 100)), 'drop acl_deny', 'group A has no members yet')
  dp.add({ stage: 'acl_member', group: GROUP_A, prefix: '10.0.0.5/32' })
  t.equal(verdict(dp, udpFrom(A, B, 2, 100)), 'output 2', 'A is a member now')
  t.equal(verdict(dp, udpFrom(A, B, 3, 200)), 'output 2', 'inside 10.0.0.0/8')
  t.equal(verdict(dp, udpFrom(A, B, 4, 300)), 'output 2', 'inside 10.0.0.4/30 too: every containing prefix counts, not only the longest')
  t.equal(verdict(dp, udpFrom(A, B, 5, 400)), 'drop acl_deny', 'not inside 192.168.0.0/16')
  dp.remove({ stage: 'acl_member', group: GROUP_A, prefix: '10.0.0.5/32' })
  t.equal(verdict(dp, udpFrom(A, B, 6, 100)), 'drop acl_deny', 'A left the group')
  dp.add({ stage: 'acl_member', group: GROUP_A, prefix: '10.0.0.0/29' })
  t.equal(verdict(dp, udpFrom(A, B, 7, 100)), 'output 2', 'an allowed-address-pair prefix as a member')
})

t.test('IPv6 rules and the trace', async t => {
  const dp = await loaded([
    stateful(B.port, [GROUP_B]),
    {
      stage: 'acl_rule',
      group: GROUP_B,
      rule: 9,
      direction: 'ingress',
      family: 6,
      protocol: 58,
      icmp_type: 128,
      remote_prefix: '2001:db8::/64',
    },
  ])
  const echo = v6(A, B, { kind: 'icmp6', type: 128, code: 0, body: new Uint8Array(4) })
  const tr = dp.trace(echo, 0)
  t.equal(tr.verdict.action, 'output')
  const ct = tr.steps.find(s => s.stage === 'ls_out_ct')
  const acl = tr.steps.find(s => s.stage === 'ls_out_acl')
  t.match(ct, { outcome: 'hit', detail: 'zone 1, state +trk+new' })
  t.match(acl, { outcome: 'hit', detail: 'port 2 ingress rules, from 2001:db8::5, allowed by rule 9' })
  t.notOk(
    tr.steps.some(s => s.stage === 'ls_in_ct'),
    'A has no acl_port: its pair leaves no step',
  )
  t.equal(verdict(dp, udpFrom(A, B, 1, 2)), 'drop acl_deny', 'an IPv6 rule does not allow IPv4')
  const denied = dp.trace(v6(A, B, udp({ sport: 1, dport: 2 })), 0)
  t.match(denied.steps.at(-1), { stage: 'ls_out_acl', outcome: 'drop', detail: 'port 2 ingress rules, from 2001:db8::5, acl_deny' })
})

t.test('malformed security-group entries are refused with an EntryError, never a crash', async t => {
  const dp = await loaded([])
  const rule = { stage: 'acl_rule', group: 1, rule: 1, direction: 'ingress', family: 4 } as const
  const refused: [Entry, string][] = [
    [{ ...rule, protocol: 6, port_min: 80, port_max: 22 }, 'bad_rule'],
    [{ ...rule, port_min: 80, port_max: 80 }, 'bad_rule'],
    [{ ...rule, protocol: 1, port_min: 1, port_max: 2 }, 'bad_rule'],
    [{ ...rule, protocol: 6, icmp_type: 8 }, 'bad_rule'],
    [{ ...rule, protocol: 1, icmp_code: 0 }, 'bad_rule'],
    [{ ...rule, protocol: 256 }, 'bad_number'],
    [{ ...rule, protocol: 17, port_min: 70000, port_max: 70000 }, 'bad_number'],
    [{ ...rule, remote_prefix: '2001:db8::/64' }, 'bad_family'],
    [{ ...rule, remote_prefix: '10.0.0.0/33' }, 'bad_prefix_len'],
    [{ ...rule, remote_prefix: '10.0.0.0/8', remote_group: 3 }, 'bad_rule'],
    [{ ...rule, direction: 'sideways' } as unknown as Entry, 'missing_field'], // a wrong enum reads as absent
    [{ ...rule, family: 5 } as unknown as Entry, 'bad_family'],
    [{ stage: 'acl_port', port: 1, stateful: true, groups: Array.from({ length: 17 }, (_, i) => i) }, 'too_many'],
    [{ stage: 'acl_member', group: 1, prefix: 'not-an-ip' }, 'bad_ip'],
  ]
  for (const [entry, code] of refused) t.throws(() => dp.add(entry), { name: 'EntryError', code }, JSON.stringify(entry))
  t.equal(verdict(dp, udpFrom(A, B, 1, 2)), 'output 2', 'nothing refused was loaded')
})

t.test('the datapath checks the bytes again: hand-made entries are refused with a code', async t => {
  const dp = await createDatapath()
  const abi = (dp as unknown as { abi: { addEntry(b: Uint8Array): number } }).abi // the raw ABI, for malformed bytes
  const ruleBytes = (patch: (b: DataView) => void): Uint8Array => {
    const b = new Uint8Array(4 + 38)
    b[0] = 12 // ENTRY_ACL_RULE
    b[2] = 38
    const v = new DataView(b.buffer, 4)
    v.setUint8(9, 4)
    v.setUint16(10, 17, true)
    v.setUint16(14, 0xffff, true)
    patch(v)
    return b
  }
  t.equal(abi.addEntry(ruleBytes(() => {})), 0, 'a well-formed rule')
  t.equal(abi.addEntry(ruleBytes(v => v.setUint8(8, 7))), ENTRY_ERR_BAD_VALUE, 'a direction it does not know')
  t.equal(abi.addEntry(ruleBytes(v => v.setUint8(9, 5))), 3, 'a family it does not know')
  t.equal(
    abi.addEntry(
      ruleBytes(v => {
        v.setUint16(12, 9, true)
        v.setUint16(14, 8, true)
      }),
    ),
    ENTRY_ERR_BAD_VALUE,
    'min above max',
  )
  t.equal(
    abi.addEntry(
      ruleBytes(v => {
        v.setUint8(16, 1)
        v.setUint8(17, 40)
      }),
    ),
    4,
    'a /40 IPv4 prefix',
  )
  t.equal(abi.addEntry(ruleBytes(v => v.setUint16(10, 300, true))), ENTRY_ERR_BAD_VALUE, 'protocol 300')
  t.equal(abi.addEntry(Uint8Array.of(12, 0, 38, 0, 1, 2, 3)), 1, 'truncated')
  t.equal(abi.addEntry(Uint8Array.of(11, 0, 6, 0, 1, 0, 0, 0, 1, 17)), 5, 'an acl_port with 17 groups')
  t.equal(abi.addEntry(Uint8Array.of(11, 0, 6, 0, 1, 0, 0, 0, 1, 2)), 1, 'an acl_port whose groups run past the end')
  t.equal(
    abi.addEntry(Uint8Array.of(13, 0, 22, 0, ...new Array<number>(4).fill(0), 4, 33, ...new Array<number>(16).fill(0))),
    4,
    'a /33 member',
  )
})

t.test('the component runs the same security groups and conntrack accessors', async t => {
  const entries = [
    stateful(A.port, [GROUP_A]),
    stateful(B.port, [GROUP_B]),
    egressAll,
    { stage: 'acl_rule', group: GROUP_B, rule: 2, direction: 'ingress', family: 4, protocol: 17 } as Entry,
  ]
  const core = await loaded(entries)
  const component = await loaded(entries, 'component')
  const frames = [
    udpFrom(A, B, 1, 2),
    udpFrom(B, A, 2, 1),
    udpFrom(B, A, 7, 7),
    ping(A, B, 1),
    tcpFrom(A, B, { sport: 1, dport: 2, flags: TCP_SYN, seq: 1 }),
  ]
  t.same(component.process(frames, { nowMs: 5 }), core.process(frames, { nowMs: 5 }))
  t.same(component.trace(frames[1]!, 5), core.trace(frames[1]!, 5), 'a trace of a reply')
  t.same(component.counters(), core.counters())
  t.equal(component.conntrack.count(), 3, "A committed three flows (B refused two of them); B's own flow was refused")
  t.equal(component.conntrack.flush(2), 0, 'nothing in zone 2')
  t.equal(component.conntrack.flush(1), 3, 'the connections of zone 1')
  t.equal(component.conntrack.count(), 0)
  t.equal(component.conntrack.setLimit(10), 10)
  t.equal(component.conntrack.setLimit(0), 262144, '0: back to the capacity')
  t.equal(component.conntrack.flush(), 0)
})
