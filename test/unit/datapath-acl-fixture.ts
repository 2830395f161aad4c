// Two ports on network 1 (A: in_port 1, 10.0.0.5; B: in_port 2, 10.0.0.6), both local, with port security,
// and the frames the security-group tests send between them. Not a test file (no .test.ts): the
// datapath-acl*.test.ts and datapath-conntrack*.test.ts files share it.
import { createDatapath, type Datapath, type Entry, type PacketInput } from '../../datapath/host/index.js'
import { ipv4, ipv6, mac } from '../../datapath/host/addresses.js'
import { buildFrame, echo4, ethernet, icmp4, ip4, ip6, tcp, udp, type Layer } from '../../datapath/host/packet-builder.js'

export const A = { port: 1, ofport: 1, mac: 'fa:16:3e:00:00:01', ip: '10.0.0.5', ip6: '2001:db8::5' }
export const B = { port: 2, ofport: 2, mac: 'fa:16:3e:00:00:02', ip: '10.0.0.6', ip6: '2001:db8::6' }
export const NETWORK = 1
export const GROUP_A = 10
export const GROUP_B = 20

export const TCP_SYN = 0x02
export const TCP_ACK = 0x10
export const TCP_RST = 0x04

/** The forwarding part: classify, port security, l2 and egress for A and B. */
export const base: Entry[] = [A, B].flatMap((p): Entry[] => [
  { stage: 'classify', in_port: p.ofport, network: NETWORK, port: p.port },
  { stage: 'port_sec', port: p.port, mac: p.mac, ips: [`${p.ip}/32`, `${p.ip6}/128`] },
  { stage: 'l2', network: NETWORK, mac: p.mac, port: p.port },
  { stage: 'egress', port: p.port, local: p.ofport },
])

type Side = typeof A

/** A core-backend datapath loaded with `entries`. */
export async function loaded(entries: Entry[]): Promise<Datapath> {
  const dp = await createDatapath()
  dp.load({ entries })
  return dp
}

/** An IPv4 frame from `from` to `to` with the given L4 layers, entering on `from`'s port. */
export function v4(from: Side, to: Side, ...l4: Layer[]): PacketInput {
  return {
    in_port: from.ofport,
    data: buildFrame([ethernet({ src: mac(from.mac), dst: mac(to.mac) }), ip4({ src: ipv4(from.ip), dst: ipv4(to.ip) }), ...l4]),
  }
}

export function v6(from: Side, to: Side, ...l4: Layer[]): PacketInput {
  return {
    in_port: from.ofport,
    data: buildFrame([ethernet({ src: mac(from.mac), dst: mac(to.mac) }), ip6({ src: ipv6(from.ip6), dst: ipv6(to.ip6) }), ...l4]),
  }
}

export const udpFrom = (from: Side, to: Side, sport: number, dport: number): PacketInput => v4(from, to, udp({ sport, dport }))
export const tcpFrom = (from: Side, to: Side, o: { sport: number; dport: number; flags: number; seq: number; ack?: number }): PacketInput =>
  v4(from, to, tcp({ window: 65535, ...o }))
export const ping = (from: Side, to: Side, id: number, reply = false): PacketInput => v4(from, to, echo4({ id, seq: 1, reply }))

/** ICMP destination unreachable (port unreachable) from `from` to `to`, quoting `quoted` (an IPv4 frame). */
export function unreachable(from: Side, to: Side, quoted: PacketInput): PacketInput {
  const ipAndMore = quoted.data.subarray(14, 14 + 28)
  return v4(from, to, icmp4({ type: 3, code: 3, rest: new Uint8Array(4), payload: ipAndMore }))
}

/** "output 2", "drop acl_deny": one word per verdict, for readable assertions. */
export function verdict(dp: Datapath, p: PacketInput, nowMs = 0): string {
  const [v] = dp.process([p], { nowMs })
  if (!v) return 'none'
  return v.action === 'output' ? `output ${v.ofport}` : `${v.action} ${v.reason}`
}
