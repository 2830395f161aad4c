// OVS userspace (netdev datapath) forwarding with OUR agent's flows, measured with real frames, next to the WASM
// pipeline's batch rate on the same frames and the same entries.
//
//   npm run build:ts && npm run bench:ovs        (root; writes bench/results/ovs-forwarding.json)
//   node build/bench/ovs-forwarding.js --runs 5 --seconds 3 [--no-tcp] [--sizes 60,1514]
//
// Setup, as `dragonflow serve` composes it: a private OVS (ovsdb-server + ovs-vswitchd in its own netns), the
// embedded store, the Neutron API and the LocalController with profile ovs-userspace. Through the API: networks
// A (10.201.1.0/24) and B (10.201.2.0/24) joined by a router, ports a1, a2 on A and b1 on B, each plugged with
// `dragonflow plug` (netns + veth, TX checksum offload off). So br-int holds exactly what the agent installs.
//
// Cases: l2 = a1 -> a2 (one network, switched), routed = a1 -> b1 (through the router: MAC rewrite, TTL
// decrement), and normal = the BASELINE x1 -> x2 on br-base, a second netdev bridge of the same vswitchd with
// OVS's own NORMAL action and no agent flows (setupBaseline). NAT (ovs-nat-setup.ts; off with --no-nat): an external
// flat network on extnet:br-ex (bridge mappings), the router's gateway with SNAT, a floating IP on a1 and an outside
// host on br-ex: fip-dnat = outside -> the floating IP -> a1, fip-snat = a1 -> outside (the floating IP as
// source), snat-pt = a2 -> outside (the gateway IP as source, port translated, the connection established first);
// each checked on one captured frame to arrive translated before it is measured.
// Per case and frame size, `runs` runs of `seconds`:
//   trafgen (netsniff-ng, AF_PACKET TX ring, one process) blasts one UDP frame, built with the project's packet
//   builder, out of the sender's eth0 as fast as it can (no rate limit: this is the forwarding rate under overload);
//   offered = the sender's eth0 tx_packets + tx_dropped, delivered = the receiver's eth0 rx_packets (read after the
//   generator stopped and the path drained), rate = count / generator run time.
//   Where the loss happens: dpif-netdev's `packets received` (pmd-stats-show) splits it into before OVS read the
//   frames (veth input queue, vswitchd's AF_PACKET receive socket) and after.
// No-loss rate: trafgen's slow path (one sendto per frame, smooth) with the inter-frame gap bisected until the loss
//   is <= 0.1%; the TX ring's bursts overflow vswitchd's receive socket even at low average rates (NoLossSearch).
// Then TCP throughput with iperf3 over the same paths, NAT aside (MTU 1500, no TSO since TX offload is off).
// WASM (every case but normal): the agent's entries (and the next hops its slow path learned) loaded into
// createDatapath() (core backend), the same frames in batches of 1024, after checking the WASM verdict outputs
// them to the receiver's ofport as OVS did (NAT: with the translated addresses).
// Medians are printed; every run is in the JSON. The machine's load (os.loadavg) is recorded with each case.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, release, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { TopologyCompiler } from '../agent/compiler/index.js'
import { LocalController } from '../agent/controller/local-controller.js'
import { PrivateOvs } from '../agent/controller/private-ovs.js'
import { parseFlags } from './bench-flags.js'
import { bridgeEnd } from '../agent/ovsdb/bridge-end.js'
import { SERVE_STATE, type ServeState } from '../agent/node-state.js'
import type { Datapath, PacketInput } from '../datapath/host/api.js'
import { createDatapath } from '../datapath/host/index.js'
import { Ipv4Address, MacAddress } from '../datapath/host/addresses.js'
import { buildFrame, ethernet, ip4, raw, udp } from '../datapath/host/packet-builder.js'
import { startApiServer } from '../northbound/server.js'
import { loadProfile } from '../offload/profile.js'
import { openStore } from '../store/registry.js'
import { REPO } from '../test/northbound/helpers/api-process.js'
import { forwardingRates, median, readLinkCounters, type ForwardingRates } from './link-counters.js'
import { parsePmdStats, type PmdStats } from './pmd-stats.js'
import { measureWasm } from './offload.js'
import { silentLogger } from '../log/logger.js'
import { call, poll, sh, sleep, type Json } from './ovs-shell.js'
import {
  NAT_BRIDGE,
  NAT_PHYSNET,
  answerOnce,
  captureFirstUdp,
  setupNat,
  udpAddresses,
  type NatSetup,
  type Workload,
} from './ovs-nat-setup.js'

export const RESULTS_FILE = join(REPO, 'bench', 'results', 'ovs-forwarding.json')
const PROFILE = 'ovs-userspace'
/** The trafgen flags: one process; leave the host's socket memory sysctls and IRQ affinities alone (shared machine). */
const TRAFGEN_FLAGS = ['--cpus', '1', '--no-sock-mem', '--notouch-irq', '--no-cpu-stats']
/** Time for frames still in sockets and queues to arrive after the generator stopped. */
const DRAIN_MS = 500
const DESCRIPTIONS: Record<PathName, string> = {
  l2: 'a1 -> a2, one network (classify, port security, L2 lookup, egress)',
  routed: 'a1 -> b1 across the router (L3 route, MAC rewrite, TTL decrement)',
  normal: 'x1 -> x2 on br-base: BASELINE, OVS NORMAL (MAC learning), no agent flows',
  'fip-dnat': "outside -> a1's floating IP over br-ex and the flat network: DNAT 1:1, routed to a1",
  'fip-snat': 'a1 (floating IP) -> outside across the router and out of its gateway: SNAT 1:1 to the floating IP',
  'snat-pt': 'a2 (no floating IP) -> outside out of the gateway: SNAT with port translation to the gateway IP, established (one 5-tuple)',
}
/** the NAT cases (ovs-nat-setup.ts): north-south through the router's gateway on the flat external network */
const NAT_PATHS: readonly PathName[] = ['fip-dnat', 'fip-snat', 'snat-pt']
const UDP_DPORT = 9 // RFC 863 discard: nothing listens, the receiver drops them (ICMP errors are rate-limited)

/** l2, routed, NAT: through the agent's flows on br-int; normal: the baseline, a bridge of OVS's own NORMAL action */
export type PathName = 'l2' | 'routed' | 'normal' | 'fip-dnat' | 'fip-snat' | 'snat-pt'

export interface OvsRun extends ForwardingRates {
  seconds: number
  /** trafgen's inter-frame gap (slow path: one sendto per frame), when the run had one */
  gapNs?: number
  /** frames dpif-netdev read (pmd-stats-show, main thread): the sender's, plus a handful of the receiver's ICMP errors */
  ovsReceived?: number
  /** offered - ovsReceived: lost in the veth input queue or vswitchd's receive socket */
  lostBeforeOvs?: number
  /** ovsReceived - delivered: lost in OVS or on the way out */
  lostAfterOvs?: number
  ovsStats?: PmdStats
}

/**
 * The highest offered rate found with loss <= lossPct: trafgen's slow path (one sendto per frame, a smooth stream)
 * with an inter-frame gap found by bisection (geometric, 1 ns .. 1 ms). The unthrottled runs use trafgen's TX
 * ring, which hands the veth bursts of frames; vswitchd's receive socket (212992-byte default buffer) overflows on
 * those bursts even at low average rates, so a rate limit on the TX ring (`trafgen -b`) finds no loss-free rate.
 */
export interface NoLossSearch {
  lossPct: number
  trialSeconds: number
  /** delivered Mpps of the best trial that met the loss bound (0 if none did) */
  deliveredMpps: number
  /** true when even the smallest gap met the bound: the generator, not OVS, set the rate (a lower bound) */
  generatorBound: boolean
  trials: { gapNs: number; offeredMpps: number; deliveredMpps: number; lossPct: number }[]
}

export interface OvsCase {
  name: string
  path: PathName
  description: string
  /** frame length without FCS (60 = "64-byte frames") */
  frameBytes: number
  runs: OvsRun[]
  medianDeliveredMpps: number
  medianOfferedMpps: number
  medianLossPct: number
  medianDeliveredGbps: number
  noLoss?: NoLossSearch
  wasm?: {
    runsMpps: number[]
    medianMpps: number
    verdict: string
    /** NAT cases: the addresses of the frame the WASM verdict outputs */ translated?: string
  }
  /** NAT cases: the first frame of the case the receiver captured before the runs (tcpdump), as it arrived */
  captured?: string
  /** WASM batch Mpps / OVS delivered Mpps */
  wasmOverOvs?: number
  loadavg: { before: number[]; after: number[] }
}

export interface TcpCase {
  name: string
  path: PathName
  runsGbps: number[]
  medianGbps: number
  retransmits: number[]
  loadavg: { before: number[]; after: number[] }
}

export interface OvsForwardingResult {
  date: string
  profile: string
  measured: true
  conditions: string
  machine: { cpus: number; cpu: string; kernel: string; node: string; ovs: string; trafgen: string; iperf3: string | null }
  options: { runs: number; seconds: number; sizes: number[]; tcp: boolean; search: { steps: number; seconds: number; lossPct: number } }
  flowsOnBrInt: number
  /** the agent's pipeline entries per stage: what both OVS (as flows) and the WASM pipeline ran */
  entriesByStage: Record<string, number>
  cases: OvsCase[]
  tcp: TcpCase[]
  /** the 64-byte L2 delivered Mpps, the figure bench:offload shows as ovs-userspace's MEASURED headline */
  headline: { mpps64B: number; case: string; lossPct: number; noLossMpps64B: number | null; noLossGeneratorBound: boolean } | null
}

export interface OvsForwardingOptions {
  runs?: number
  seconds?: number
  /** frame sizes without FCS; default 60 (64-byte frames) and 1514 (1500-byte IP packets) */
  sizes?: number[]
  tcp?: boolean
  /** also measure the baseline path (br-base, OVS's NORMAL action, no agent flows); default true */
  baseline?: boolean
  /** bisection steps of the no-loss search (0 = none), trial length, loss bound in percent */
  search?: { steps: number; seconds: number; lossPct: number }
  /** also measure the NAT paths (external network, router gateway, floating IP); default true */
  nat?: boolean
  /** seconds per WASM run (0 = no WASM measurement) */
  wasmSeconds?: number
  log?: (line: string) => void
}

/** The frame as trafgen's configuration language writes it: one packet, every byte given (no generator fields). */
export function trafgenConfig(frame: Uint8Array): string {
  const bytes = [...frame].map(b => `0x${b.toString(16).padStart(2, '0')}`)
  const lines: string[] = []
  for (let i = 0; i < bytes.length; i += 16) lines.push(`  ${bytes.slice(i, i + 16).join(', ')}`)
  return `{\n${lines.join(',\n')}\n}\n`
}

/** A killable child in its own process group (trafgen may fork), started by us and stopped by its pid. */
function spawnGroup(cmd: string, args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString()
  })
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString()
  })
  const exited = new Promise<number | null>(resolve =>
    child.once('exit', code => {
      resolve(code)
    }),
  )
  return { child, output: () => out, exited }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    /* already gone */
  }
}

const loads = (): number[] => loadavg().map(x => Math.round(x * 100) / 100)
const f2 = (x: number): string => (Number.isFinite(x) ? (x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3)) : '-')

export class Bench {
  readonly dir = mkdtempSync(join(tmpdir(), 'dfe-bench-ovs-'))
  readonly tag = process.pid.toString(36)
  readonly ovs = new PrivateOvs({ dir: join(this.dir, 'ovs'), netns: `dfob${this.tag}` })
  readonly namespaces: string[] = []
  readonly children = new Set<ChildProcess>()
  controller: LocalController | undefined
  compiler: TopologyCompiler | undefined
  closers: (() => Promise<void>)[] = []
  routerMacA = ''
  workloads = new Map<string, Workload>()
  /** the NAT cases' addresses, once setupNat ran */
  nat: NatSetup | undefined

  constructor(readonly log: (line: string) => void) {}

  async setup(o: { nat: boolean }): Promise<void> {
    const quiet = silentLogger
    const store = await openStore({ driver: 'embedded', dir: join(this.dir, 'store') })
    this.closers.push(() => store.close())
    const server = await startApiServer({ store, host: '127.0.0.1', port: 0, auth: 'none', log: quiet })
    this.closers.unshift(() => server.close())
    await this.ovs.ensure()
    // as serve does for its private switch: the operator's bridge of the mapping exists before the agent starts
    if (o.nat) await this.ovs.vsctl('--may-exist', 'add-br', NAT_BRIDGE, '--', 'set', 'Bridge', NAT_BRIDGE, 'datapath_type=netdev')
    // the composition of startAgent (agent/start-agent.ts), holding on to the compiler to read its entries
    const compiler = new TopologyCompiler({ chassisId: 'bench-ovs' })
    this.compiler = compiler
    const ofSocket = join(this.dir, 'ovs', 'of.sock')
    const c = new LocalController({
      store,
      compiler,
      datapath: await createDatapath(),
      chassisId: 'bench-ovs',
      ovsdbTarget: this.ovs.dbTarget,
      ofSocket,
      profile: loadProfile(PROFILE),
      log: quiet,
      ...(o.nat ? { bridgeMappings: new Map([[NAT_PHYSNET, NAT_BRIDGE]]) } : {}),
    })
    this.controller = c
    await c.start()
    this.closers.unshift(() => c.stop())
    await poll('the switch', () => c.inSync, 30_000)

    const base = server.url
    const netA = (await call(base, 'POST', '/v2.0/networks', { network: { name: 'bench-a' } })).network as Json
    const netB = (await call(base, 'POST', '/v2.0/networks', { network: { name: 'bench-b' } })).network as Json
    const subA = (await call(base, 'POST', '/v2.0/subnets', { subnet: { network_id: netA.id, ip_version: 4, cidr: '10.201.1.0/24' } }))
      .subnet as Json
    const subB = (await call(base, 'POST', '/v2.0/subnets', { subnet: { network_id: netB.id, ip_version: 4, cidr: '10.201.2.0/24' } }))
      .subnet as Json
    const router = (await call(base, 'POST', '/v2.0/routers', { router: { name: 'bench-r' } })).router as Json
    const intfA = await call(base, 'PUT', `/v2.0/routers/${router.id as string}/add_router_interface`, { subnet_id: subA.id })
    await call(base, 'PUT', `/v2.0/routers/${router.id as string}/add_router_interface`, { subnet_id: subB.id })
    this.routerMacA = ((await call(base, 'GET', `/v2.0/ports/${intfA.port_id as string}`)).port as Json).mac_address as string

    const state: ServeState = {
      pid: process.pid,
      api: base,
      ovsdb: this.ovs.dbTarget,
      ovsRundir: this.ovs.dir,
      netns: this.ovs.netns,
      ofSocket,
      bridge: 'br-int',
      chassisId: 'bench-ovs',
    }
    writeFileSync(join(this.dir, SERVE_STATE), JSON.stringify(state))
    for (const [name, net, sub] of [
      ['a1', netA, subA],
      ['a2', netA, subA],
      ['b1', netB, subB],
    ] as const) {
      const port = (await call(base, 'POST', '/v2.0/ports', { port: { network_id: net.id, name } })).port as Json
      const ns = `dfo${this.tag}${name}`
      await sh('ip', ['netns', 'add', ns])
      this.namespaces.push(ns)
      // no IPv6 in the workloads: their DAD/MLD/RS frames would be counted with the blast
      await sh('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'])
      await sh(process.execPath, [
        join(REPO, 'bin/dragonflow.js'),
        'plug',
        '--data-dir',
        this.dir,
        '--port',
        port.id as string,
        '--netns',
        ns,
        '--mac',
        port.mac_address as string,
      ])
      const ip = ((port.fixed_ips as Json[])[0] as Json).ip_address as string
      await sh('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0'])
      await sh('ip', ['-n', ns, 'route', 'add', 'default', 'via', sub.gateway_ip as string])
      let ofport = -1
      await poll(`ofport of ${name}`, async () => {
        ofport = Number(
          (
            await sh('ovs-vsctl', [`--db=${this.ovs.dbTarget}`, 'get', 'Interface', bridgeEnd(port.id as string), 'ofport'], this.ovs.env)
          ).trim(),
        )
        return ofport > 0
      })
      this.workloads.set(name, { name, ns, portId: port.id as string, mac: port.mac_address as string, ip, ofport })
    }
    await poll('3 local ports bound', () => c.stats().localPorts >= 3)
    await poll('flows in sync', () => c.inSync)
    // the paths work before they are measured (this also fills the workloads' ARP caches for TCP)
    for (const [from, to] of [
      ['a1', 'a2'],
      ['a1', 'b1'],
    ] as const) {
      const dst = this.w(to).ip
      await poll(
        `ping ${from} -> ${to}`,
        async () => {
          await sh('ip', ['netns', 'exec', this.w(from).ns, 'ping', '-c', '1', '-W', '1', dst])
          return true
        },
        30_000,
      )
    }
    if (o.nat) this.nat = await setupNat(this, { api: base, routerId: router.id as string, controller: c, fipPort: 'a1', snatPort: 'a2' })
    await poll('flows in sync', () => c.inSync)
    this.log(
      `setup: br-int holds ${c.installedFlows().length} flows from the agent; a1 ${this.w('a1').ip} -> a2 ${this.w('a2').ip} (l2), -> b1 ${this.w('b1').ip} (routed, router MAC ${this.routerMacA})`,
    )
  }

  w(name: string): Workload {
    const w = this.workloads.get(name)
    if (w === undefined) throw new Error(`no workload ${name}`)
    return w
  }

  /**
   * The baseline: br-base, a second netdev bridge in the same vswitchd with fail_mode=standalone and no controller,
   * so OVS's own NORMAL action (a MAC-learning switch) forwards between x1 and x2. Same datapath, same veths, no
   * agent flows: what this machine's OVS does without our pipeline.
   */
  async setupBaseline(): Promise<void> {
    await this.ovs.vsctl(
      '--may-exist',
      'add-br',
      'br-base',
      '--',
      'set',
      'Bridge',
      'br-base',
      'datapath_type=netdev',
      'fail_mode=standalone',
    )
    const where = this.ovs.netns === null ? [] : ['-n', this.ovs.netns]
    for (const [i, name] of ['x1', 'x2'].entries()) {
      const ns = `dfo${this.tag}${name}`
      const dev = `dfo${this.tag}${name}b`
      const mac = `02:df:00:00:00:0${i + 1}`
      const ip = `10.202.0.${i + 1}`
      await sh('ip', ['netns', 'add', ns])
      this.namespaces.push(ns)
      await sh('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'])
      await sh('ip', [...where, 'link', 'add', dev, 'type', 'veth', 'peer', 'name', `${dev}t`, 'netns', ns])
      await sh('ip', ['-n', ns, 'link', 'set', `${dev}t`, 'name', 'eth0', 'address', mac])
      await sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up'])
      await sh('ip', [...where, 'link', 'set', dev, 'up'])
      await sh('ip', ['netns', 'exec', ns, 'ethtool', '-K', 'eth0', 'tx', 'off'])
      await sh('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0'])
      await this.ovs.vsctl('add-port', 'br-base', dev)
      this.workloads.set(name, { name, ns, portId: '', mac, ip, ofport: -1 })
    }
    // both MACs learned before the blast (an unknown destination would be flooded, and counted the same)
    await poll(
      'ping x2 -> x1 on br-base',
      async () => {
        await sh('ip', ['netns', 'exec', this.w('x2').ns, 'ping', '-c', '1', '-W', '1', this.w('x1').ip])
        return true
      },
      30_000,
    )
  }

  sender(path: PathName): Workload {
    return this.w(path === 'normal' ? 'x1' : path === 'fip-dnat' ? 'outside' : path === 'snat-pt' ? 'a2' : 'a1')
  }

  /** The UDP frame a path's sender sends, `bytes` long without FCS, built with the typed packet builder. */
  frame(path: PathName, bytes: number): Uint8Array {
    const from = this.sender(path)
    const to = this.receiver(path)
    const nat = this.nat
    // from inside, a frame enters the router by its port's MAC; from outside, it goes to the floating IP's MAC
    const dstMac =
      path === 'routed' || path === 'fip-snat' || path === 'snat-pt'
        ? this.routerMacA
        : path === 'fip-dnat'
          ? (nat as NatSetup).floatingMac
          : to.mac
    const dstIp = path === 'fip-dnat' ? (nat as NatSetup).floatingIp : to.ip
    const payload = Math.max(0, bytes - 14 - 20 - 8)
    return buildFrame(
      [
        ethernet({ src: MacAddress.parse(from.mac), dst: MacAddress.parse(dstMac) }),
        ip4({ src: Ipv4Address.parse(from.ip), dst: Ipv4Address.parse(dstIp), ttl: 64 }),
        udp({ sport: 40000, dport: UDP_DPORT }),
        raw(new Uint8Array(payload)),
      ],
      { padTo: 60 },
    )
  }

  receiver(path: PathName): Workload {
    return this.w(path === 'l2' ? 'a2' : path === 'routed' ? 'b1' : path === 'normal' ? 'x2' : path === 'fip-dnat' ? 'a1' : 'outside')
  }

  /** The source and destination address a NAT case's frames must carry when they arrive (DESCRIPTIONS). */
  translated(path: PathName): { src: string; dst: string } | undefined {
    const nat = this.nat
    if (nat === undefined || !NAT_PATHS.includes(path)) return undefined
    const src = path === 'fip-dnat' ? this.sender(path).ip : path === 'fip-snat' ? nat.floatingIp : nat.gatewayIp
    return { src, dst: this.receiver(path).ip }
  }

  /**
   * Before a NAT case is measured: a few of its frames (trafgen slow path) arrive at the receiver translated,
   * checked on the first one tcpdump captured there. snat-pt: the outside host answers the first one, so the
   * connection is established in OVS's conntrack when the runs start (and dpctl/dump-conntrack shows it).
   */
  async checkTranslated(path: PathName, conf: string): Promise<string> {
    const want = this.translated(path)
    if (want === undefined) throw new Error(`${path} is no NAT case`)
    const rx = this.receiver(path)
    const answer = path === 'snat-pt' ? await answerOnce(rx.ns, UDP_DPORT) : undefined
    let captured: string | undefined
    try {
      const got = await captureFirstUdp(rx.ns, UDP_DPORT, async () => {
        await sh('ip', [
          'netns',
          'exec',
          this.sender(path).ns,
          'trafgen',
          '--dev',
          'eth0',
          '--conf',
          conf,
          ...TRAFGEN_FLAGS,
          '--gap',
          '10ms',
          '--num',
          '20',
        ])
      })
      if (got === undefined) throw new Error(`${path}: none of 20 frames arrived at ${rx.name} (tcpdump on its eth0)`)
      if (got.src !== want.src || got.dst !== want.dst)
        throw new Error(`${path}: the frame arrived as ${got.src} -> ${got.dst}, not ${want.src} -> ${want.dst}: ${got.line}`)
      if (answer !== undefined && !(await Promise.race([answer.answered, sleep(5000).then(() => false)])))
        throw new Error(`${path}: the outside host did not answer the first datagram`)
      captured = `${got.src}:${got.sport} -> ${got.dst}:${got.dport}`
    } finally {
      answer?.stop()
    }
    if (path === 'snat-pt') {
      const ct = (await this.appctl('dpctl/dump-conntrack'))
        .split('\n')
        .filter(l => l.includes(`src=${this.sender(path).ip},`) && l.includes(`dst=${want.dst},`))
      this.log(`  OVS conntrack: ${ct.join(' | ') || 'no entry for the 5-tuple'}`)
    }
    return captured
  }

  /** One trafgen run (TX ring unthrottled, or slow path with `gapNs`): offered at a1's eth0, delivered at the receiver's eth0. */
  async blast(path: PathName, conf: string, o: { seconds: number; frameBytes: number; gapNs?: number }): Promise<OvsRun> {
    const tx = this.sender(path)
    const rx = this.receiver(path)
    await this.appctl('dpif-netdev/pmd-stats-clear')
    const sent0 = await readLinkCounters({ netns: tx.ns, ifname: 'eth0' })
    const got0 = await readLinkCounters({ netns: rx.ns, ifname: 'eth0' })
    const t0 = performance.now()
    const rate = o.gapNs !== undefined ? ['--gap', `${Math.max(1, Math.round(o.gapNs))}ns`] : []
    const g = spawnGroup('ip', ['netns', 'exec', tx.ns, 'trafgen', '--dev', 'eth0', '--conf', conf, ...TRAFGEN_FLAGS, ...rate])
    this.children.add(g.child)
    const stop = setTimeout(() => {
      killGroup(g.child, 'SIGINT')
    }, o.seconds * 1000)
    const code = await g.exited
    const seconds = (performance.now() - t0) / 1000
    clearTimeout(stop)
    this.children.delete(g.child)
    if (code !== 0 && code !== null) throw new Error(`trafgen exited with ${code}: ${g.output().trim().slice(-500)}`)
    await sleep(DRAIN_MS)
    const sent1 = await readLinkCounters({ netns: tx.ns, ifname: 'eth0' })
    const got1 = await readLinkCounters({ netns: rx.ns, ifname: 'eth0' })
    const rates = forwardingRates({
      // a frame the veth could not hand to its peer's input queue counts as offered and lost
      offered: [sent0.txPackets + sent0.txDropped, sent1.txPackets + sent1.txDropped],
      delivered: [got0.rxPackets, got1.rxPackets],
      deliveredBytes: [got0.rxBytes, got1.rxBytes],
      seconds,
      frameBytes: o.frameBytes,
    })
    const run: OvsRun = { ...rates, seconds, ...(o.gapNs !== undefined ? { gapNs: Math.round(o.gapNs) } : {}) }
    const stats = parsePmdStats(await this.appctl('dpif-netdev/pmd-stats-show'))
    if (stats !== undefined) {
      // nearly every frame OVS read came from the sender; the receiver's ICMP port-unreachable errors (rate-limited by its
      // kernel) add a handful, which show up in lostAfterOvs
      run.ovsStats = stats
      run.ovsReceived = stats.packetsReceived
      run.lostBeforeOvs = Math.max(0, rates.offered - stats.packetsReceived)
      run.lostAfterOvs = Math.max(0, stats.packetsReceived - rates.delivered)
    }
    return run
  }

  async appctl(...args: string[]): Promise<string> {
    return await sh('ovs-appctl', ['-t', join(this.ovs.dir, 'ovs-vswitchd.ctl'), ...args], this.ovs.env)
  }

  /** Bisection for the highest smooth rate whose loss stays within the bound (RFC 2544 26.1 in spirit, one flow). */
  async noLoss(
    path: PathName,
    conf: string,
    o: { frameBytes: number; steps: number; seconds: number; lossPct: number },
  ): Promise<NoLossSearch> {
    const out: NoLossSearch = { lossPct: o.lossPct, trialSeconds: o.seconds, deliveredMpps: 0, generatorBound: false, trials: [] }
    const trial = async (gapNs: number): Promise<boolean> => {
      const r = await this.blast(path, conf, { seconds: o.seconds, frameBytes: o.frameBytes, gapNs })
      const ok = r.lossPct <= o.lossPct
      out.trials.push({ gapNs: Math.round(gapNs), offeredMpps: r.offeredMpps, deliveredMpps: r.deliveredMpps, lossPct: r.lossPct })
      if (ok) out.deliveredMpps = Math.max(out.deliveredMpps, r.deliveredMpps)
      this.log(
        `  no-loss search ${out.trials.length}: gap ${(gapNs / 1000).toFixed(3)} us, offered ${f2(r.offeredMpps)} Mpps, delivered ${f2(r.deliveredMpps)}, loss ${r.lossPct.toFixed(2)}% -> ${ok ? 'within the bound' : 'too fast'}`,
      )
      return ok
    }
    let fast = 1
    let slow = 1_000_000
    if (await trial(fast)) {
      out.generatorBound = true
      return out
    }
    if (!(await trial(slow))) return out // lossy even at 1 kpps: no rate meets the bound
    for (let i = 0; i < o.steps; i++) {
      const mid = Math.sqrt(fast * slow)
      if (await trial(mid)) slow = mid
      else fast = mid
    }
    return out
  }

  /** One iperf3 TCP run sender -> receiver: received Gbit/s and retransmits. */
  async tcp(path: PathName, o: { seconds: number; port: number }): Promise<{ gbps: number; retransmits: number }> {
    const { seconds, port } = o
    const rx = this.receiver(path)
    const server = spawnGroup('ip', ['netns', 'exec', rx.ns, 'iperf3', '-s', '-1', '-p', String(port)])
    this.children.add(server.child)
    try {
      // the client once the server listens (a client started earlier is refused, and iperf3 -J may still exit 0)
      await poll(
        'iperf3 server to listen',
        async () => (await sh('ip', ['netns', 'exec', rx.ns, 'ss', '-ltnH'])).includes(`:${port} `),
        20_000,
      )
      let out = ''
      await poll(
        'an iperf3 run',
        async () => {
          out = await sh('ip', [
            'netns',
            'exec',
            this.sender(path).ns,
            'iperf3',
            '-c',
            rx.ip,
            '-p',
            String(port),
            '-t',
            String(seconds),
            '-J',
          ])
          return !/Connection refused/.test(out)
        },
        20_000,
      )
      const j = JSON.parse(out) as Json
      const bps = j.end?.sum_received?.bits_per_second
      if (typeof bps !== 'number') throw new Error(`iperf3 gave no received rate: ${out.slice(0, 300)}`)
      return { gbps: bps / 1e9, retransmits: Number(j.end?.sum_sent?.retransmits ?? 0) }
    } finally {
      killGroup(server.child, 'SIGTERM')
      await Promise.race([server.exited, sleep(2000)])
      this.children.delete(server.child)
    }
  }

  async close(): Promise<void> {
    for (const c of this.children) killGroup(c, 'SIGKILL')
    for (const c of this.closers.splice(0)) await c().catch(() => undefined)
    this.ovs.stopSync({ deleteNetns: true })
    for (const ns of this.namespaces.splice(0)) await sh('ip', ['netns', 'del', ns]).catch(() => undefined)
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** First line of a tool's version output; null when the tool is missing (trafgen -v exits 1 after printing it). */
function version(cmd: string, args: string[]): Promise<string | null> {
  return new Promise(resolve => {
    execFile(cmd, args, (err, out) => {
      const line = out.split('\n')[0]?.trim() ?? ''
      resolve(err !== null && (err as NodeJS.ErrnoException).code === 'ENOENT' ? null : line !== '' ? line : null)
    })
  })
}

/** The whole measurement: setup, OVS runs, TCP runs, WASM runs; returns (does not write) the result. */
export async function measureOvsForwarding(o: OvsForwardingOptions = {}): Promise<OvsForwardingResult> {
  const runs = o.runs ?? 5
  const seconds = o.seconds ?? 3
  const sizes = o.sizes ?? [60, 1514]
  const log = o.log ?? console.log
  if (process.getuid?.() !== 0) throw new Error('bench:ovs needs root (network namespaces, Open vSwitch)')
  const trafgen = await version('trafgen', ['-v'])
  if (trafgen === null) throw new Error('trafgen not found: install netsniff-ng (scripts/install-deps.sh)')
  const iperf3 = await version('iperf3', ['--version'])
  const wantTcp = (o.tcp ?? true) && iperf3 !== null
  if ((o.tcp ?? true) && iperf3 === null) log('iperf3 not found: the TCP cases are left out (scripts/install-deps.sh installs it)')
  const b = new Bench(log)
  const onSignal = (): void => {
    void b.close().finally(() => process.exit(130))
  }
  process.once('SIGINT', onSignal)
  try {
    log(
      `ovs forwarding bench: ${runs} runs x ${seconds} s per case; frame sizes ${sizes.join(', ')} (without FCS); load ${loads().join(' ')}`,
    )
    const wantNat = o.nat ?? true
    await b.setup({ nat: wantNat })
    if (o.baseline ?? true) await b.setupBaseline()
    const c = b.controller as LocalController
    // with the next hops the slow path learned (the outside host): the NAT paths route to it
    const entries = [...(b.compiler as TopologyCompiler).entries(), ...c.learnedEntries()]
    const wasmSeconds = o.wasmSeconds ?? 0.3
    const dp: Datapath | undefined = wasmSeconds > 0 ? await createDatapath({ backend: 'core' }) : undefined
    dp?.load({ entries })
    const cases: OvsCase[] = []
    const paths: PathName[] = [
      ...((o.baseline ?? true) ? (['l2', 'routed', 'normal'] as const) : (['l2', 'routed'] as const)),
      ...(wantNat ? NAT_PATHS : []),
    ]
    const all = sizes.flatMap(size => paths.map(path => ({ path, size })))
    for (const [i, { path, size }] of all.entries()) {
      const name = `${path}-${size === 60 ? 64 : size + 4}B`
      const description = DESCRIPTIONS[path]
      const data = b.frame(path, size)
      const conf = join(b.dir, `${name}.trafgen`)
      writeFileSync(conf, trafgenConfig(data))
      log(`[${i + 1}/${all.length}] ${name}: ${description}; ${data.length}-byte frames from trafgen`)
      // a NAT case measures nothing unless its frames arrive translated: checked on one captured at the receiver
      const captured = b.translated(path) !== undefined ? await b.checkTranslated(path, conf) : undefined
      if (captured !== undefined) log(`  arrives translated at ${b.receiver(path).name}: ${captured}`)
      const before = loads()
      const rs: OvsRun[] = []
      for (let r = 0; r < runs; r++) {
        const run = await b.blast(path, conf, { seconds, frameBytes: data.length })
        rs.push(run)
        const where =
          run.ovsReceived !== undefined ? ` (${run.lostBeforeOvs ?? 0} before OVS read them, ${run.lostAfterOvs ?? 0} after)` : ''
        log(
          `  run ${r + 1}/${runs}: offered ${f2(run.offeredMpps)} Mpps, delivered ${f2(run.deliveredMpps)} Mpps (${f2(run.deliveredGbps)} Gbit/s), loss ${run.lossPct.toFixed(1)}%${where} over ${run.seconds.toFixed(2)} s`,
        )
        const bpf = run.deliveredBytesPerFrame
        // anything else arriving at the receiver (ARP, floods) would inflate "delivered": say so when it did
        if (bpf !== undefined && Math.abs(bpf - data.length) > 0.01 * data.length)
          log(`  note: the receiver got ${bpf.toFixed(1)} bytes per frame on average, not ${data.length}: other frames were counted too`)
      }
      const oc: OvsCase = {
        name,
        path,
        description,
        frameBytes: data.length,
        runs: rs,
        medianDeliveredMpps: median(rs.map(r => r.deliveredMpps)),
        medianOfferedMpps: median(rs.map(r => r.offeredMpps)),
        medianLossPct: median(rs.map(r => r.lossPct)),
        medianDeliveredGbps: median(rs.map(r => r.deliveredGbps)),
        loadavg: { before, after: loads() },
        ...(captured !== undefined ? { captured } : {}),
      }
      const search = o.search ?? { steps: 7, seconds: 1, lossPct: 0.1 }
      if (search.steps > 0) {
        oc.noLoss =
          oc.medianLossPct <= search.lossPct
            ? { lossPct: search.lossPct, trialSeconds: seconds, deliveredMpps: oc.medianDeliveredMpps, generatorBound: true, trials: [] } // unthrottled already within the bound
            : await b.noLoss(path, conf, { frameBytes: data.length, ...search })
        log(
          `  no-loss rate (loss <= ${search.lossPct}%): ${oc.noLoss.generatorBound ? '>= ' : ''}${f2(oc.noLoss.deliveredMpps)} Mpps delivered${oc.noLoss.generatorBound ? " (the generator's limit, not OVS's)" : ''}`,
        )
      }
      if (dp !== undefined && path !== 'normal') {
        // the baseline runs no pipeline of ours
        const input: PacketInput = { in_port: b.sender(path).ofport, data }
        // snat-pt: this first frame creates the connection (and its translated port); the runs are established
        const [v] = dp.process([input])
        const want = b.receiver(path).ofport
        // a rate of the wrong path measures nothing: the WASM pipeline must send the frame where OVS did. The
        // outside host is no port (its MAC is in no l2 entry): a frame to it is flooded on the flat network, whose
        // only member here is the uplink (the patch port to br-ex), which is where OVS sends it too.
        const viaUplink = v?.action === 'flood' && entries.some(e => e.stage === 'uplink' && e.network === v.network && e.ofport === want)
        if (v === undefined || !((v.action === 'output' && v.ofport === want) || viaUplink))
          throw new Error(
            `${name}: the WASM pipeline gives ${v?.action ?? '?'}/${v?.reason ?? '?'} port ${String(v?.ofport)}, not output to ${want}`,
          )
        const verdict = viaUplink ? `flood:network ${String(v.network)} (its uplink, ofport ${want})` : `output:${want}`
        const nat = b.translated(path)
        let translated: string | undefined
        if (nat !== undefined) {
          const a = udpAddresses(v.packet)
          translated = `${a.src}:${a.sport} -> ${a.dst}:${a.dport}`
          if (a.src !== nat.src || a.dst !== nat.dst)
            throw new Error(`${name}: the WASM pipeline outputs ${translated}, not ${nat.src} -> ${nat.dst}`)
          log(`  WASM verdict ${verdict} with ${translated}`)
        }
        const wruns = measureWasm(
          dp,
          Array.from({ length: 1024 }, () => input),
          { runs, seconds: wasmSeconds },
        )
        oc.wasm = { runsMpps: wruns, medianMpps: median(wruns), verdict, ...(translated !== undefined ? { translated } : {}) }
        oc.wasmOverOvs = oc.wasm.medianMpps / oc.medianDeliveredMpps
        log(`  WASM batch: ${f2(oc.wasm.medianMpps)} Mpps (median of ${runs}); ${f2(oc.wasmOverOvs)}x the OVS delivered rate`)
      }
      cases.push(oc)
    }
    const tcp: TcpCase[] = []
    if (wantTcp) {
      const tcpPaths = paths.filter(p => !NAT_PATHS.includes(p)) // iperf3 through NAT is not measured (yet)
      for (const [i, path] of tcpPaths.entries()) {
        const name = `${path}-tcp`
        log(`[tcp ${i + 1}/${tcpPaths.length}] ${name}: iperf3 ${b.sender(path).name} -> ${b.receiver(path).name}, MTU 1500`)
        const before = loads()
        const gbps: number[] = []
        const retransmits: number[] = []
        for (let r = 0; r < runs; r++) {
          const t = await b.tcp(path, { seconds, port: 5201 + r })
          gbps.push(t.gbps)
          retransmits.push(t.retransmits)
          log(`  run ${r + 1}/${runs}: ${f2(t.gbps)} Gbit/s received, ${t.retransmits} retransmits`)
        }
        tcp.push({ name, path, runsGbps: gbps, medianGbps: median(gbps), retransmits, loadavg: { before, after: loads() } })
      }
    }
    const l2 = cases.find(x => x.path === 'l2' && x.frameBytes === 60)
    return {
      date: new Date().toISOString(),
      profile: PROFILE,
      measured: true,
      conditions:
        'OVS userspace netdev datapath (dpif-netdev) over veth, AF_PACKET sockets, no DPDK/PMD, no kernel datapath; ' +
        `one UDP flow (one 5-tuple), trafgen on one process unthrottled (forwarding rate under overload); ${cpus().length} cores shared by generator, vswitchd and receiver; ` +
        'flows installed by the Dragonflow Edge agent (profile ovs-userspace); delivered = receiver veth rx_packets',
      machine: {
        cpus: cpus().length,
        cpu: cpus()[0]?.model ?? 'unknown',
        kernel: release(),
        node: process.version,
        ovs: (await version('ovs-vswitchd', ['--version'])) ?? 'unknown',
        trafgen,
        iperf3,
      },
      options: { runs, seconds, sizes, tcp: wantTcp, search: o.search ?? { steps: 7, seconds: 1, lossPct: 0.1 } },
      flowsOnBrInt: c.installedFlows().length,
      entriesByStage: entries.reduce<Record<string, number>>((m, e) => {
        m[e.stage] = (m[e.stage] ?? 0) + 1
        return m
      }, {}),
      cases,
      tcp,
      headline:
        l2 === undefined
          ? null
          : {
              mpps64B: l2.medianDeliveredMpps,
              case: l2.name,
              lossPct: l2.medianLossPct,
              noLossMpps64B: l2.noLoss?.deliveredMpps ?? null,
              noLossGeneratorBound: l2.noLoss?.generatorBound ?? false,
            },
    }
  } finally {
    process.removeListener('SIGINT', onSignal)
    await b.close()
  }
}

export function printTable(r: OvsForwardingResult, log: (line: string) => void = console.log): void {
  log(
    `\nMEASURED: OVS ${r.machine.ovs.replace(/^ovs-vswitchd \(Open vSwitch\) /, '')} userspace (netdev) datapath over veth, our agent's ${r.flowsOnBrInt} flows; medians of ${r.options.runs} x ${r.options.seconds} s`,
  )
  log(
    `${'case'.padEnd(15)}${'offered Mpps'.padStart(13)}${'delivered Mpps'.padStart(16)}${'loss'.padStart(8)}${'Gbit/s'.padStart(8)}${'no-loss Mpps'.padStart(14)}${'WASM Mpps'.padStart(11)}${'WASM/OVS'.padStart(10)}  load (1/5/15 min) after`,
  )
  for (const x of r.cases) {
    log(
      `${x.name.padEnd(15)}${f2(x.medianOfferedMpps).padStart(13)}${f2(x.medianDeliveredMpps).padStart(16)}${`${x.medianLossPct.toFixed(1)}%`.padStart(8)}${f2(x.medianDeliveredGbps).padStart(8)}` +
        `${(x.noLoss ? `${x.noLoss.generatorBound ? '>=' : ''}${f2(x.noLoss.deliveredMpps)}` : '-').padStart(14)}${(x.wasm ? f2(x.wasm.medianMpps) : '-').padStart(11)}${(x.wasmOverOvs !== undefined ? `${f2(x.wasmOverOvs)}x` : '-').padStart(10)}  ${x.loadavg.after.join(' ')}`,
    )
  }
  for (const t of r.tcp)
    log(
      `${t.name.padEnd(15)}${'TCP (iperf3)'.padStart(29)}${''.padStart(8)}${f2(t.medianGbps).padStart(8)}${''.padStart(35)}  ${t.loadavg.after.join(' ')}`,
    )
  log(
    `offered/delivered/loss: trafgen TX ring unthrottled (bursts; the rate under overload). no-loss: trafgen slow path (one sendto per frame),`,
  )
  log(
    `  the smallest inter-frame gap with loss <= ${r.cases[0]?.noLoss?.lossPct ?? '-'}% (bisection, one search per case, ${r.cases[0]?.noLoss?.trialSeconds ?? '-'} s trials); '>=' = the generator's limit.`,
  )
  log("Gbit/s: delivered L2 bytes without FCS/preamble/gap. WASM: the same frames and the agent's entries, batch mode, one core, no I/O.")
}

async function main(): Promise<void> {
  const { flags } = parseFlags(process.argv.slice(2), ['no-tcp', 'no-nat'])
  const r = await measureOvsForwarding({
    runs: Number(flags.get('runs') ?? 5),
    seconds: Number(flags.get('seconds') ?? 3),
    sizes: (flags.get('sizes') ?? '60,1514').split(',').map(Number),
    tcp: !flags.has('no-tcp'),
    nat: !flags.has('no-nat'),
    search: {
      steps: Number(flags.get('search-steps') ?? 7),
      seconds: Number(flags.get('search-seconds') ?? 1),
      lossPct: Number(flags.get('loss') ?? 0.1),
    },
  })
  printTable(r)
  mkdirSync(join(REPO, 'bench', 'results'), { recursive: true })
  writeFileSync(RESULTS_FILE, `${JSON.stringify(r, null, 1)}\n`)
  console.log(`wrote ${RESULTS_FILE}`)
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err)
    process.exitCode = 1
  })
}
