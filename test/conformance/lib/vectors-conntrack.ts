// Connection tracking on the `security-groups` topology: the table both ct stages read (one zone per network),
// written from BEHAVIOUR.md "Security groups" (Conntrack: OVS's userspace conntrack, lib/conntrack*.c), RFC 9293
// (TCP), RFC 792 / RFC 4443 (ICMP). Most vectors are sequences: vm4 (group clients: no ingress rule for any of
// these) talks to a server that allows it, so every packet back to vm4 passes only as a reply of a tracked
// connection, and a drop there says what conntrack decided.
//
// TCP numbers: client ISN 1000, server ISN 5000, windows 64240 / 65160 without window scaling unless a vector
// says so. "Far" means a million bytes off: outside any window, whatever the tracker's slack (OVS allows one
// window back and MAXACKWINDOW = 65535 + 1500 of ack skew).
import { STAGE_IN_CT } from '../../../datapath/spec/stages.js'
import type { Expectation, SequenceStep, Vector } from '../vector-format.js'
import { ACK, FIN, PSH, RST, SYN, TcpSession, URG, echoHop, icmpError, udpHop, windowScale, type Hop, type Side } from './conversation.js'
import { GW, SG_CLIENTS, VM1, VM4, VM5, VMB1, VMB2 } from './topologies.js'
import { bothModes, drop, linkLocalOf, sequence, sequenceBothModes, stageName, vector, type VectorSpec } from './vector-kit.js'

const TOPOLOGY = 'security-groups'
const stage = stageName(STAGE_IN_CT)
const CT = 'BEHAVIOUR.md Security groups, Conntrack'
const STATEFUL = 'BEHAVIOUR.md Security groups, Stateful'
const STATELESS = 'BEHAVIOUR.md Security groups, Stateless'
const FAR = 1_000_000

const vm1: Side = { host: VM1 }
const vm4: Side = { host: VM4 }
const vm5: Side = { host: VM5 }
const vmb1: Side = { host: VMB1 }
const vmb2v6: Side = { host: VMB2, ip: VMB2.ip6 }
const vm1v6: Side = { host: VM1, ip: VM1.ip6 }
const vm4ll: Side = { host: VM4, ip: linkLocalOf(VM4.mac) }
const vm5ll: Side = { host: VM5, ip: linkLocalOf(VM5.mac) }

const one = (spec: Omit<VectorSpec, 'topology' | 'stage'>): Vector => vector({ topology: TOPOLOGY, stage, ...spec })
const seq = (name: string, intent: string, steps: SequenceStep[], o: { ct_limit?: number } = {}): Vector =>
  sequence({ name, intent, stage, topology: TOPOLOGY, steps, ...o })
const invalid = (because: string): Expectation => drop('ct_invalid', because)

/** A step delivering `h`; `t` is the clock. */
const pass = (t: number, note: string, h: Hop, because: string): SequenceStep => ({
  now_ms: t,
  note,
  input: h.input,
  expect: h.deliver(because),
})
const stop = (t: number, note: string, h: Hop, expect: Expectation): SequenceStep => ({ now_ms: t, note, input: h.input, expect })

/** vm4 -> vm1 TCP 80 (web allows it); vm4 has no ingress rule, so vm1's segments pass only as replies. */
const web = (): TcpSession => new TcpSession(vm4, vm1, { sport: 40000, dport: 80 })

/** The three-way handshake (RFC 9293 3.5) at t, t+1, t+2. */
function handshake(s: TcpSession, t = 1000): SequenceStep[] {
  return [
    pass(t, 'SYN', s.c(SYN), `${STATEFUL} 4: new, allowed, committed`),
    pass(t + 1, 'SYN+ACK', s.s(SYN | ACK), `${STATEFUL} 2: a reply of the connection`),
    pass(t + 2, 'ACK', s.c(ACK), `${STATEFUL} 4: established, original direction, allowed`),
  ]
}

function tcpVectors(): Vector[] {
  const life = web()
  const lifecycle: SequenceStep[] = [
    ...handshake(life),
    pass(1003, 'data from the client', life.c(PSH | ACK, { data: 100 }), `${CT}: inside the window`),
    pass(1004, 'data from the server', life.s(PSH | ACK, { data: 200 }), `${STATEFUL} 2: a reply`),
    pass(1005, 'FIN from the client', life.c(FIN | ACK), `${CT}: FIN inside the window (RFC 9293 3.6)`),
    pass(1006, 'ACK of it', life.s(ACK), `${STATEFUL} 2`),
    pass(1007, 'FIN from the server', life.s(FIN | ACK), `${STATEFUL} 2`),
    pass(1008, 'last ACK', life.c(ACK), `${CT}: closing`),
  ]
  const flagVector = (name: string, flags: number, what: string): Vector =>
    one({
      name: `ct/tcp-invalid-flags-${name}`,
      intent: `A first segment with ${what} is invalid, even to an allowed port.`,
      input: new TcpSession(vm4, vm1, { sport: 40000, dport: 80 }).c(flags).input,
      expect: invalid(`${CT}: a bad flag combination is invalid (OVS tcp_invalid_flags: ${what})`),
    })
  return [
    ...sequenceBothModes({
      name: 'ct/tcp-handshake-data-teardown',
      stage,
      topology: TOPOLOGY,
      intent: "A whole TCP connection, handshake to the last ACK of the FIN exchange: every segment passes, vm1's only as replies.",
      steps: lifecycle,
    }),
    ...bothModes({
      name: 'ct/tcp-syn-ack-without-connection',
      stage,
      topology: TOPOLOGY,
      intent: 'A SYN+ACK that answers no SYN cannot start a connection: invalid at the sender (vm1 is stateful).',
      input: new TcpSession(vm4, vm1, { sport: 40000, dport: 80 }).s(SYN | ACK).input,
      expect: invalid(`${CT}: a SYN with ACK on a new connection is invalid`),
    }),
    one({
      name: 'ct/tcp-syn-ack-to-stateful-port',
      intent: "vm5 (not tracked) sends vm1 an unsolicited SYN+ACK: invalid at vm1's ct stage.",
      input: new TcpSession(vm1, vm5, { sport: 80, dport: 40000 }).s(SYN | ACK).input,
      expect: invalid(`${CT}: a SYN with ACK on a new connection is invalid`),
    }),
    flagVector('syn-fin', SYN | FIN, 'SYN and FIN'),
    flagVector('syn-rst', SYN | RST, 'SYN and RST'),
    flagVector('fin-alone', FIN, 'FIN without ACK'),
    flagVector('none', 0, 'no flag at all'),
    flagVector('psh-alone', PSH, 'PSH without ACK'),
    flagVector('xmas', FIN | PSH | URG, 'FIN, PSH and URG without ACK'),
    flagVector('urg-alone', URG, 'URG without ACK'),
    (() => {
      const s = web()
      const ack = s.c(ACK, { seq: 1001, ack: 5001 })
      const reply = s.s(PSH | ACK, { data: 10, seq: 5001, ack: 1001 })
      return seq(
        'ct/tcp-bare-ack-picks-up-connection',
        'A bare ACK as the first packet is a connection picked up mid-stream (not invalid): the rules decide, and the reply passes.',
        [
          pass(
            1000,
            'bare ACK',
            ack,
            `${CT}: only SYN+ACK or no SYN/ACK/RST are invalid on a new connection; ${STATEFUL} 4: allowed, committed`,
          ),
          pass(1001, 'data back', reply, `${STATEFUL} 2: a reply of the connection`),
        ],
      )
    })(),
    one({
      name: 'ct/tcp-bare-ack-closed-port',
      intent: 'A bare ACK to a port no rule allows is a new connection the rules refuse.',
      input: new TcpSession(vm4, vm1, { sport: 40000, dport: 22 }).c(ACK, { seq: 1001, ack: 5001 }).input,
      expect: drop('acl_deny', `${STATEFUL} 4: new, not allowed`),
    }),
    (() => {
      const s = web()
      return seq('ct/tcp-data-far-ahead', 'A segment a million bytes past the window is invalid; the connection goes on.', [
        ...handshake(s),
        stop(
          1003,
          'data far ahead',
          s.c(PSH | ACK, { data: 10, seq: 1001 + FAR }),
          invalid(`${CT}: a segment outside the window is invalid`),
        ),
        pass(1004, 'data in the window', s.c(PSH | ACK, { data: 10 }), `${CT}: an invalid segment does not end the connection`),
      ])
    })(),
    (() => {
      const s = web()
      return seq('ct/tcp-data-far-behind', 'A segment far behind what was already sent (more than a window back) is invalid.', [
        ...handshake(s),
        pass(1003, 'data', s.c(PSH | ACK, { data: 100 }), `${CT}: inside the window`),
        stop(
          1004,
          'data far behind',
          s.c(PSH | ACK, { data: 10, seq: (1001 - FAR) >>> 0 }),
          invalid(`${CT}: outside the window (more than one window back)`),
        ),
      ])
    })(),
    (() => {
      const s = web()
      return seq('ct/tcp-ack-far-ahead', 'An acknowledgment of data the server never sent is invalid.', [
        ...handshake(s),
        stop(
          1003,
          'ACK a million bytes ahead',
          s.c(PSH | ACK, { data: 10, ack: 5001 + FAR }),
          invalid(`${CT}: sequence windows (pf's ack skew check)`),
        ),
      ])
    })(),
    (() => {
      const s = web()
      return seq('ct/tcp-reply-far-ahead', "The server's segment far past the client's window is invalid at the server's own ct stage.", [
        ...handshake(s),
        stop(
          1003,
          'server data far ahead',
          s.s(PSH | ACK, { data: 10, seq: 5001 + FAR }),
          invalid(`${CT}: tracked per direction; ${STATEFUL} 1 before 2`),
        ),
      ])
    })(),
    (() => {
      const s = web()
      return seq('ct/tcp-rst-in-window', 'A RST at exactly the next sequence number is accepted and passes.', [
        ...handshake(s),
        pass(1003, 'data', s.c(PSH | ACK, { data: 100 }), `${CT}: inside the window`),
        pass(
          1004,
          'RST from the server',
          s.s(RST | ACK),
          `${CT}: RST accepted inside the window (RFC 9293 3.10.7.4: its sequence number is the expected one)`,
        ),
      ])
    })(),
    (() => {
      const s = web()
      return seq('ct/tcp-rst-out-of-window', 'A RST far outside the window is invalid and does not tear the connection down.', [
        ...handshake(s),
        stop(1003, 'RST far ahead', s.s(RST | ACK, { seq: 5001 + FAR }), invalid(`${CT}: RST accepted only inside the window`)),
        pass(1004, 'server data', s.s(PSH | ACK, { data: 10 }), `${STATEFUL} 2: the connection is still there`),
      ])
    })(),
    (() => {
      // RFC 7323 2.2-2.3: both SYNs carry shift 7; windows in later segments are << 7. The server's ACK announces
      // 1000 << 7 = 128000 bytes; the client's segment 100000 bytes ahead is inside it (unscaled it would be 1000).
      const s = web()
      return seq(
        'ct/tcp-window-scaling',
        'With window scaling, a segment inside the scaled window but far outside the unscaled one passes.',
        [
          pass(1000, 'SYN, wscale 7', s.c(SYN, { options: windowScale(7) }), `${STATEFUL} 4`),
          pass(1001, 'SYN+ACK, wscale 7', s.s(SYN | ACK, { options: windowScale(7) }), `${STATEFUL} 2`),
          pass(1002, 'ACK, window 501 << 7', s.c(ACK, { window: 501 }), `${CT}: established`),
          pass(1003, 'server window 1000 << 7', s.s(ACK, { window: 1000 }), `${STATEFUL} 2`),
          pass(
            1004,
            'data 100000 bytes ahead',
            s.c(PSH | ACK, { data: 100, seq: 1001 + 100_000, window: 501 }),
            `${CT}: sequence windows with window scaling`,
          ),
        ],
      )
    })(),
    (() => {
      const s = web()
      return seq('ct/tcp-fin-without-ack-established', 'A FIN without ACK inside an established connection is a bad flag combination.', [
        ...handshake(s),
        stop(1003, 'FIN alone', s.c(FIN), invalid(`${CT}: a bad flag combination is invalid`)),
      ])
    })(),
    one({
      name: 'ct/tcp-stateless-source-invalid-at-destination',
      intent: "vmb1 is stateless, so its SYN+FIN leaves unchecked; vm1's conntrack finds it invalid after routing.",
      input: new TcpSession(vmb1, vm1, { sport: 40000, dport: 80 }).c(SYN | FIN).input,
      expect: invalid(`${STATELESS} for the source; ${CT} at the destination (ls_out_ct)`),
    }),
    (() => {
      const s = web()
      return seq('ct/tcp-opening-within-30s', 'The SYN+ACK 29.5 s after the SYN still finds the opening connection.', [
        pass(1000, 'SYN', s.c(SYN), `${STATEFUL} 4`),
        pass(30_500, 'SYN+ACK 29.5 s later', s.s(SYN | ACK), `${CT}: TCP opening 30 s`),
      ])
    })(),
    (() => {
      const s = web()
      return seq('ct/tcp-opening-expires', 'The SYN+ACK 30.5 s after the SYN finds no connection, and a SYN+ACK cannot start one.', [
        pass(1000, 'SYN', s.c(SYN), `${STATEFUL} 4`),
        stop(
          31_500,
          'SYN+ACK 30.5 s later',
          s.s(SYN | ACK),
          invalid(`${CT}: TCP opening 30 s; an expired connection is gone; a SYN with ACK on a new connection is invalid`),
        ),
      ])
    })(),
    (() => {
      const s = web()
      const hour = 3_600_000
      return seq('ct/tcp-established-idle-hour', 'An established connection idle for an hour is still there (24 h).', [
        ...handshake(s),
        pass(1002 + hour, 'client data an hour later', s.c(PSH | ACK, { data: 10 }), `${CT}: established 24 h`),
        pass(1003 + hour, 'server data', s.s(PSH | ACK, { data: 10 }), `${STATEFUL} 2`),
      ])
    })(),
    (() => {
      const s = web()
      const steps = [
        ...handshake(s),
        pass(1003, 'FIN from the client', s.c(FIN | ACK), `${CT}`),
        pass(1004, 'ACK', s.s(ACK), `${STATEFUL} 2`),
        pass(1005, 'FIN from the server', s.s(FIN | ACK), `${STATEFUL} 2`),
        pass(1006, 'last ACK', s.c(ACK), `${CT}: both FINs acknowledged: closed`),
      ]
      const lateAck = () => s.s(ACK)
      return seq(
        'ct/tcp-closed-expires',
        "After both FINs are acknowledged the connection lives 30 s from its last packet; then vm1's ACK is a new connection vm4 refuses.",
        [
          ...steps,
          pass(30_000, 'server ACK 29 s later', lateAck(), `${CT}: closed 30 s`),
          stop(
            60_500,
            'server ACK 30.5 s after that',
            lateAck(),
            drop('acl_deny', `${CT}: expired = gone; ${STATEFUL} 4: new from vm1, vm4 has no ingress rule`),
          ),
        ],
      )
    })(),
    (() => {
      const s = new TcpSession(vmb2v6, vm1v6, { sport: 40000, dport: 80 })
      return seq(
        'ct/tcp-ipv6-routed-from-tunnel',
        "An IPv6 TCP connection from vmb2 (remote, routed on its chassis) to vm1; vm1's segments are routed back into the tunnel as replies.",
        [
          pass(1000, 'SYN from the tunnel', s.c(SYN), `${STATEFUL} 4: web allows IPv6 TCP 80`),
          pass(1001, 'SYN+ACK, routed to the tunnel', s.s(SYN | ACK), `${STATEFUL} 2`),
          pass(1002, 'ACK', s.c(ACK), `${CT}: established`),
          pass(1003, 'server data', s.s(PSH | ACK, { data: 40 }), `${STATEFUL} 2`),
        ],
      )
    })(),
    (() => {
      // The gateway joins clients for this vector: it may connect out, and nothing may connect to it, so its
      // replies pass only through the connection committed in net-b's zone.
      const gw: Side = { host: GW }
      const s = new TcpSession(gw, vm1, { sport: 40000, dport: 80 })
      return sequence({
        name: 'ct/tcp-routed-two-zones',
        stage,
        topology: TOPOLOGY,
        intent: "A TCP connection across router 1 between two stateful ports: each side passes through its own network's zone.",
        entries: [{ stage: 'acl_port', port: GW.key, stateful: true, groups: [SG_CLIENTS] }],
        steps: [
          pass(1000, 'SYN net-b -> net-a', s.c(SYN), `${STATEFUL}: egress 10.0.0.0/8 (zone 200), web TCP 80 (zone 100)`),
          pass(1001, 'SYN+ACK net-a -> net-b', s.s(SYN | ACK), `${STATEFUL}: a routed packet is looked up in each network's zone`),
          pass(1002, 'ACK', s.c(ACK), `${CT}`),
          pass(1003, 'server data', s.s(PSH | ACK, { data: 50 }), `${STATEFUL} 2 in both zones`),
        ],
      })
    })(),
  ]
}

function udpVectors(): Vector[] {
  const req = (sport = 40000) => udpHop(vm4, vm1, sport, 53)
  const rep = (dport = 40000) => udpHop(vm1, vm4, 53, dport)
  return [
    ...sequenceBothModes({
      name: 'ct/udp-reply-without-ingress-rule',
      stage,
      topology: TOPOLOGY,
      intent: 'vm4 asks vm1 on UDP 53; the answer passes although vm4 has no ingress rule, an answer to another port does not.',
      steps: [
        pass(1000, 'request', req(), `${STATEFUL} 4: remote_group member, committed`),
        pass(1001, 'reply', rep(), `${STATEFUL} 2: a reply, no rule looked at`),
        stop(
          1002,
          'to another port',
          rep(40001),
          drop('acl_deny', `${CT}: UDP connections are keyed by the 5-tuple; new from vm1, vm4 has no rule`),
        ),
      ],
    }),
    one({
      name: 'ct/udp-reply-without-request',
      intent: 'A "reply" with no request before it is a new connection.',
      input: rep().input,
      expect: drop('acl_deny', `${STATEFUL} 4: new, vm4 has no ingress rule`),
    }),
    seq('ct/udp-first-within-60s', 'A one-way UDP connection lives 60 s: the reply 59.5 s later passes.', [
      pass(1000, 'request', req(), `${STATEFUL} 4`),
      pass(60_500, 'reply 59.5 s later', rep(), `${CT}: UDP first 60 s`),
    ]),
    seq('ct/udp-first-expires', 'The reply 60.5 s after the only request finds no connection.', [
      pass(1000, 'request', req(), `${STATEFUL} 4`),
      stop(61_500, 'reply 60.5 s later', rep(), drop('acl_deny', `${CT}: UDP first 60 s; expired = gone`)),
    ]),
    seq('ct/udp-bidirectional-30s', 'Once both directions were seen, a UDP connection lives 30 s from its last packet.', [
      pass(1000, 'request', req(), `${STATEFUL} 4`),
      pass(2000, 'reply', rep(), `${STATEFUL} 2`),
      pass(31_500, 'reply 29.5 s later', rep(), `${CT}: UDP bidirectional 30 s`),
      stop(62_000, 'reply 30.5 s after that', rep(), drop('acl_deny', `${CT}: UDP bidirectional 30 s; expired = gone`)),
    ]),
    seq('ct/udp-multiple-60s', 'Several requests and no reply yet: still 60 s, not the 30 s of a bidirectional flow.', [
      pass(1000, 'request', req(), `${STATEFUL} 4`),
      pass(2000, 'request again', req(), `${STATEFUL} 4: established, original direction, allowed`),
      pass(61_000, 'reply 59 s later', rep(), `${CT}: UDP multiple 60 s`),
    ]),
    seq(
      'ct/table-full',
      'With room for two connections a third new one is dropped ct_full while known ones go on; when one expires there is room for one more.',
      [
        pass(1000, 'connection 1', req(40001), `${STATEFUL} 4: committed`),
        pass(1001, 'connection 2', req(40002), `${STATEFUL} 4: committed`),
        stop(
          1002,
          'connection 3',
          req(40003),
          drop('ct_full', `${STATEFUL}: the table full, a new connection that would be committed is dropped`),
        ),
        pass(1003, 'connection 1 again', req(40001), `${STATEFUL} 4: not a new connection (UDP multiple: 60 s from here)`),
        pass(1004, 'reply on connection 2', rep(40002), `${STATEFUL} 2 (UDP bidirectional: 30 s from here)`),
        pass(
          40_000,
          'connection 3 once connection 2 expired',
          req(40003),
          `${CT}: an expired connection is gone, so it no longer fills the table`,
        ),
        stop(40_001, 'connection 4', req(40004), drop('ct_full', `${STATEFUL}: connections 1 and 3 fill the table`)),
      ],
      { ct_limit: 2 },
    ),
  ]
}

function icmpVectors(): Vector[] {
  const ping = (id = 0x0e0e) => echoHop(vm4, vm5, { id })
  const pong = (id = 0x0e0e) => echoHop(vm5, vm4, { id, reply: true })
  const probe = () => udpHop(vm4, vm5, 40000, 9999)
  const unreachable = icmpError(vm5, vm4, probe(), { type: 3, code: 3 })
  const unseen = udpHop(vm4, vm5, 40123, 9999)
  const orphanFromStateful = icmpError(vm1, vm4, udpHop(vm4, vm1, 40123, 9999), { type: 3, code: 3 })
  const vmb2: Side = { host: VMB2 }
  const farProbe = () => udpHop(vm4, vmb2, 40000, 9999)
  const v6probe = () => udpHop(vm4ll, vm5ll, 40000, 9999)
  const vmb1Ping = echoHop(vmb1, vm1, { id: 0x0b0b })
  const vm1Pong = echoHop(vm1, vmb1, { id: 0x0b0b, reply: true })
  return [
    ...sequenceBothModes({
      name: 'ct/icmp-echo-reply-without-ingress-rule',
      stage,
      topology: TOPOLOGY,
      intent: 'vm4 pings vm5; the echo reply passes although vm4 allows no echo reply in.',
      steps: [
        pass(1000, 'echo request', ping(), `${STATEFUL} 4: egress to 10.0.0.0/8`),
        pass(1001, 'echo reply', pong(), `${CT}: ICMP echo keyed by its identifier; ${STATEFUL} 2`),
      ],
    }),
    seq('ct/icmp-echo-reply-other-identifier', 'An echo reply with another identifier answers no request: invalid.', [
      pass(1000, 'echo request', ping(), `${STATEFUL} 4`),
      stop(
        1001,
        'reply with another identifier',
        pong(0x0f0f),
        invalid(`${CT}: keyed by the identifier; an echo reply cannot start a connection (OVS icmp4_valid_new)`),
      ),
    ]),
    one({
      name: 'ct/icmp-orphan-echo-reply',
      intent: 'An echo reply that answers nothing is invalid.',
      input: pong().input,
      expect: invalid(`${CT}: follows OVS's conntrack, where only echo, timestamp and information requests start ICMP connections`),
    }),
    seq('ct/icmp-timeouts', 'An echo connection lives 60 s before its reply and 30 s after each reply.', [
      pass(1000, 'echo request', ping(), `${STATEFUL} 4`),
      pass(60_500, 'reply 59.5 s later', pong(), `${CT}: ICMP first 60 s`),
      pass(90_000, 'reply 29.5 s later', pong(), `${CT}: ICMP reply 30 s`),
      stop(121_000, 'reply 31 s later', pong(), invalid(`${CT}: ICMP reply 30 s; expired; an echo reply cannot start a connection`)),
    ]),
    seq('ct/icmp-error-related', "vm5 answers vm4's UDP probe with port unreachable: the error is related to the connection and passes.", [
      pass(1000, 'UDP probe', probe(), `${STATEFUL} 4`),
      pass(
        1001,
        'ICMP port unreachable about it',
        unreachable,
        `${CT}: related when the inner header names a connection (RFC 792: IP header + 8 bytes); ${STATEFUL} 2`,
      ),
    ]),
    one({
      name: 'ct/icmp-error-orphan',
      intent: 'A port unreachable about a UDP packet vm4 never sent is invalid.',
      input: icmpError(vm5, vm4, unseen, { type: 3, code: 3 }).input,
      expect: invalid(`${CT}: an ICMP error whose inner header names no connection is invalid`),
    }),
    one({
      name: 'ct/icmp-error-orphan-from-stateful-sender',
      intent: 'vm1 sending an error about nothing is stopped at its own ct stage.',
      input: orphanFromStateful.input,
      expect: invalid(`${CT}: orphan ICMP error; ${STATEFUL} 1 in ls_in_acl`),
    }),
    seq(
      'ct/icmp-error-related-routed',
      "vmb2's chassis answers vm4's routed UDP probe with an ICMP error that comes back through the tunnel.",
      [
        pass(1000, 'UDP probe to net-b', farProbe(), `${STATEFUL} 4: egress to 10.0.0.0/8; vmb2 is remote`),
        pass(
          1001,
          'port unreachable from the tunnel',
          icmpError(vmb2, vm4, farProbe(), { type: 3, code: 3 }),
          `${CT}: related; ${STATEFUL} 2`,
        ),
      ],
    ),
    seq('ct/icmpv6-error-related', "An ICMPv6 port unreachable (RFC 4443 3.1, code 4) about vm4's link-local UDP probe passes.", [
      pass(1000, 'UDP probe', v6probe(), `${STATEFUL} 4: egress IPv6 any`),
      pass(
        1001,
        'ICMPv6 destination unreachable',
        icmpError(vm5ll, vm4ll, v6probe(), { type: 1, code: 4 }),
        `${CT}: related (RFC 4443 2.4 (c): the invoking packet)`,
      ),
    ]),
    one({
      name: 'ct/icmpv6-error-orphan',
      intent: 'An ICMPv6 error about nothing vm4 sent is invalid.',
      input: icmpError(vm5ll, vm4ll, udpHop(vm4ll, vm5ll, 40123, 9999), { type: 1, code: 4 }).input,
      expect: invalid(`${CT}: an orphan ICMP error is invalid`),
    }),
    seq('ct/icmpv6-echo-reply-without-ingress-rule', 'vm4 pings vm5 over IPv6 link-local; the reply passes as a reply.', [
      pass(1000, 'echo request', echoHop(vm4ll, vm5ll), `${STATEFUL} 4`),
      pass(1001, 'echo reply', echoHop(vm5ll, vm4ll, { reply: true }), `${STATEFUL} 2`),
    ]),
    seq(
      'ct/stateless-echo-round-trip',
      'vmb1 (stateless) pings vm1 over the router: vm1 answers as a reply, vmb1 takes it by its echo-reply rule.',
      [
        pass(1000, 'echo request', vmb1Ping, `${STATELESS}: egress type 8; web: echo from 10.1.0.0/24`),
        pass(1001, 'echo reply', vm1Pong, `${STATEFUL} 2 at vm1; ${STATELESS}: ingress type 0 at vmb1`),
      ],
    ),
  ]
}

export function conntrackVectors(): Vector[] {
  return [...tcpVectors(), ...udpVectors(), ...icmpVectors()]
}
