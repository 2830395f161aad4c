// bench:ovs's north-south setup (the NAT cases of ovs-forwarding.ts), made as a user makes it, through the API:
//
//   outside 203.0.113.1 ── br-ex ── patch (bridge mapping extnet:br-ex) ── br-int: bench-ext (flat, extnet)
//                                                                          │ gateway port of bench-r (enable_snat)
//                       bench-a 10.201.1.0/24: a1 (floating IP), a2 (none) ┘
//
// The outside host is a namespace plugged into br-ex with `dragonflow plug --bridge br-ex`, holding the external
// subnet's gateway address, with no route to the inside networks: a frame it receives from inside came through
// NAT (the floating IP as source, or the router's gateway IP with port translation). Before anything is measured
// the outside host has resolved the floating IP and the gateway IP over ARP (pings), and the router has resolved
// the outside host (neighbours.ts): the generators then send to MACs already known on both sides.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import type { LocalController } from '../agent/controller/local-controller.js'
import type { PrivateOvs } from '../agent/controller/private-ovs.js'
import { REPO } from '../test/northbound/helpers/api-process.js'
import { call, poll, sh, type Json } from './ovs-shell.js'

export const NAT_PHYSNET = 'extnet'
export const NAT_BRIDGE = 'br-ex'
/** RFC 5737 TEST-NET-3: the external subnet; its first address is the outside host (the subnet's gateway). */
const EXT_CIDR = '203.0.113.0/24'
const OUTSIDE_IP = '203.0.113.1'

export interface Workload {
  name: string
  ns: string
  portId: string
  mac: string
  ip: string
  ofport: number
}

/** What of the bench the setup uses (Bench in ovs-forwarding.ts). */
export interface NatHost {
  readonly dir: string
  readonly tag: string
  readonly ovs: PrivateOvs
  readonly namespaces: string[]
  readonly workloads: Map<string, Workload>
  readonly log: (line: string) => void
}

export interface NatSetup {
  gatewayIp: string
  floatingIp: string
  /** the MAC the outside host resolved for the floating IP: the destination of fip-dnat's frames */
  floatingMac: string
  /** the inside port holding the floating IP, and the one without */
  fipPort: string
  snatPort: string
}

const ipv4At = (frame: Uint8Array, offset: number): string => [...frame.subarray(offset, offset + 4)].join('.')
/** Source and destination address and UDP port of an untagged Ethernet/IPv4 (no options)/UDP frame. */
export function udpAddresses(frame: Uint8Array): { src: string; dst: string; sport: number; dport: number } {
  const l4 = 14 + ((frame[14] ?? 0x45) & 0x0f) * 4
  return {
    src: ipv4At(frame, 26),
    dst: ipv4At(frame, 30),
    sport: ((frame[l4] ?? 0) << 8) | (frame[l4 + 1] ?? 0),
    dport: ((frame[l4 + 2] ?? 0) << 8) | (frame[l4 + 3] ?? 0),
  }
}

const pingFrom = async (ns: string, ip: string): Promise<boolean> => {
  await sh('ip', ['netns', 'exec', ns, 'ping', '-c', '1', '-W', '1', ip])
  return true
}

/**
 * The external network, the router's gateway, a floating IP on `fipPort` and the outside host; returns once
 * each NAT path answered a ping. The workload `outside` is added to h.workloads with the br-int ofport it is
 * reached by (the patch port of extnet), which is what the WASM pipeline's verdict names.
 */
export async function setupNat(
  h: NatHost,
  o: { api: string; routerId: string; controller: LocalController; fipPort: string; snatPort: string },
): Promise<NatSetup> {
  const { api } = o
  const ext = (
    await call(api, 'POST', '/v2.0/networks', {
      network: { name: 'bench-ext', 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': NAT_PHYSNET },
    })
  ).network as Json
  await call(api, 'POST', '/v2.0/subnets', {
    subnet: { network_id: ext.id, ip_version: 4, cidr: EXT_CIDR, gateway_ip: OUTSIDE_IP, enable_dhcp: false },
  })
  const router = (
    await call(api, 'PUT', `/v2.0/routers/${o.routerId}`, { router: { external_gateway_info: { network_id: ext.id, enable_snat: true } } })
  ).router as Json
  const gatewayIp = router.external_gateway_info?.external_fixed_ips?.[0]?.ip_address as string | undefined
  if (gatewayIp === undefined) throw new Error(`the router got no gateway address: ${JSON.stringify(router.external_gateway_info)}`)
  const fipPort = h.workloads.get(o.fipPort)
  if (fipPort === undefined) throw new Error(`no workload ${o.fipPort}`)
  // the default group lets in only its own members: the outside host's UDP and pings to the floating IP need a rule
  const groups = (await call(api, 'GET', '/v2.0/security-groups?name=default')).security_groups as Json[]
  for (const protocol of ['udp', 'icmp']) {
    await call(api, 'POST', '/v2.0/security-group-rules', {
      security_group_rule: {
        security_group_id: groups[0]?.id,
        direction: 'ingress',
        ethertype: 'IPv4',
        protocol,
        remote_ip_prefix: EXT_CIDR,
      },
    })
  }
  const fip = (await call(api, 'POST', '/v2.0/floatingips', { floatingip: { floating_network_id: ext.id, port_id: fipPort.portId } }))
    .floatingip as Json
  const floatingIp = fip.floating_ip_address as string
  await poll(
    'the floating IP ACTIVE',
    async () => ((await call(api, 'GET', `/v2.0/floatingips/${fip.id as string}`)).floatingip as Json).status === 'ACTIVE',
    30_000,
  )

  const ns = `dfo${h.tag}out`
  await sh('ip', ['netns', 'add', ns])
  h.namespaces.push(ns)
  await sh('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'])
  await sh(process.execPath, [join(REPO, 'bin/dragonflow.js'), 'plug', '--data-dir', h.dir, '--bridge', NAT_BRIDGE, '--netns', ns])
  await sh('ip', ['-n', ns, 'addr', 'add', `${OUTSIDE_IP}/24`, 'dev', 'eth0'])
  const link = JSON.parse(await sh('ip', ['-n', ns, '-j', 'link', 'show', 'eth0'])) as Json[]
  let uplink: number | undefined
  await poll(`the patch port of ${NAT_PHYSNET}`, () => (uplink = o.controller.uplinkOfport(NAT_PHYSNET)) !== undefined, 30_000)
  h.workloads.set('outside', { name: 'outside', ns, portId: '', mac: link[0]?.address as string, ip: OUTSIDE_IP, ofport: uplink as number })

  // ARP both ways before any blast: the outside host for the gateway and the floating IP, the router for the outside host
  await poll(`ping outside -> gateway IP ${gatewayIp}`, () => pingFrom(ns, gatewayIp), 30_000)
  await poll(`ping outside -> floating IP ${floatingIp}`, () => pingFrom(ns, floatingIp), 30_000)
  await poll(`ping ${o.fipPort} -> outside (SNAT 1:1)`, () => pingFrom(fipPort.ns, OUTSIDE_IP), 30_000)
  const snatPort = h.workloads.get(o.snatPort)
  if (snatPort === undefined) throw new Error(`no workload ${o.snatPort}`)
  await poll(`ping ${o.snatPort} -> outside (SNAT with port translation)`, () => pingFrom(snatPort.ns, OUTSIDE_IP), 30_000)
  const neigh = await sh('ip', ['-n', ns, 'neigh', 'show', floatingIp])
  const floatingMac = /lladdr ([0-9a-f:]{17})/.exec(neigh)?.[1]
  if (floatingMac === undefined) throw new Error(`the outside host did not resolve the floating IP ${floatingIp}: ${neigh.trim()}`)
  h.log(
    `setup: external network on ${NAT_PHYSNET}:${NAT_BRIDGE}, router gateway ${gatewayIp} (SNAT on), floating IP ${floatingIp} (${floatingMac}) on ${o.fipPort}; outside host ${OUTSIDE_IP}`,
  )
  return { gatewayIp, floatingIp, floatingMac, fipPort: o.fipPort, snatPort: o.snatPort }
}

/** A UDP datagram as tcpdump printed it (`IP a.b.c.d.p > e.f.g.h.q: UDP`). */
export interface CapturedUdp {
  src: string
  sport: number
  dst: string
  dport: number
  line: string
}

/**
 * The first UDP frame to `dport` that `ns`'s eth0 receives while `send` runs (tcpdump -c 1): where the bench
 * checks that a NAT case's frames really arrive, and with which addresses. Undefined: none within `ms`.
 */
export async function captureFirstUdp(ns: string, dport: number, send: () => Promise<void>, ms = 10_000): Promise<CapturedUdp | undefined> {
  const tcpdump = spawn(
    'ip',
    ['netns', 'exec', ns, 'tcpdump', '-i', 'eth0', '-nn', '-l', '-c', '1', '--immediate-mode', '-Q', 'in', `udp dst port ${dport}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let out = ''
  let err = ''
  tcpdump.stdout.on('data', (d: Buffer) => {
    out += d.toString()
  })
  tcpdump.stderr.on('data', (d: Buffer) => {
    err += d.toString()
  })
  const exited = new Promise<void>(resolve =>
    tcpdump.once('exit', () => {
      resolve()
    }),
  )
  try {
    await poll(`tcpdump listening in ${ns}`, () => err.includes('listening on'), 10_000)
    await send()
    await Promise.race([exited, new Promise(resolve => setTimeout(resolve, ms))])
  } finally {
    if (tcpdump.exitCode === null) tcpdump.kill('SIGTERM')
    await exited
  }
  const m = /IP (\d+\.\d+\.\d+\.\d+)\.(\d+) > (\d+\.\d+\.\d+\.\d+)\.(\d+): UDP/.exec(out)
  if (m === null) return undefined
  return { src: m[1] as string, sport: Number(m[2]), dst: m[3] as string, dport: Number(m[4]), line: out.trim() }
}

/**
 * Answer the first datagram to UDP `port` in `ns` once, then close: the reply turns the sender's connection
 * into an established one in OVS's conntrack (snat-pt measures the established path); later datagrams get the
 * kernel's rate-limited port unreachable, as in the other cases. Resolves when it is listening.
 */
export async function answerOnce(ns: string, port: number): Promise<{ answered: Promise<boolean>; stop: () => void }> {
  const script = `const s = require('node:dgram').createSocket('udp4')
    s.on('message', (m, r) => { s.send('ok', r.port, r.address, () => { s.close(); process.exit(0) }) })
    s.bind(${port}, () => { console.log('listening') }); setTimeout(() => process.exit(1), 20000)`
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString()
  })
  const answered = new Promise<boolean>(resolve =>
    child.once('exit', code => {
      resolve(code === 0)
    }),
  )
  const stop = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  try {
    await poll(`a UDP answerer in ${ns}`, () => out.includes('listening'), 10_000)
  } catch (err) {
    stop()
    throw err
  }
  return { answered, stop }
}
