// bench:peer: our node (`dragonflow serve`) next to OVN 23.03 on the same machine, one run, the same steps on both:
//   two /16 networks with DHCP joined by a router; P ports created and plugged one by one (create the logical
//   port, plug an OVS interface with external_ids:iface-id, wait until it is up), then B more in batches
//   (create 50, plug 50, wait for all 50). "Up" = the port's flows are on br-int: OVN's ovn-controller sets
//   external_ids:ovn-installed=true on the Interface; ours sets external_ids:dragonflow-installed=true (until that
//   marker exists in the build, the fallback is the Neutron port status ACTIVE: see UP_SIGNAL below).
// Measured: port-up latency (from the create, and from the plug returning), control-plane CPU and RSS at 0, P
// and P+B ports (the switch apart), flows per port, a kill -9 of the controller with P+B ports (time until br-int
// settles, flows rewritten, a ping across the router meanwhile), and the cost of one more port after N existing
// ones (the growth curve). Prints a table and writes bench/results/peer.json and peer.svg. Needs root.
//   npm run bench:peer                                   (200 + 800 ports, growth 100,1000,5000,10000)
//   node build/bench/peer.js --ports 20 --batch-total 100 --growth 100 [--skip-ovn] [--skip-ours] [--out DIR]
//   node build/bench/peer.js --acl-only [--acl-ports 200] [--acl-members 1000] [--acl-changes 5]   (security groups alone)
// Security groups (acl-peer.ts): after the above (or alone with --acl-only), each side afresh with the same 20
// rules and a 1 000-member remote group: flows on br-int per port, and one rule change until it is on br-int.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import {
  copyFileSync,
  cpSync,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  type WriteStream,
} from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseFlags } from './bench-flags.js'
import { PrivateOvs } from '../agent/controller/private-ovs.js'
import { OvsdbClient } from '../agent/ovsdb/client.js'
import { mapRecord } from '../agent/ovsdb/data.js'
import { REPO } from '../test/northbound/helpers/api-process.js'
import { ACL_ROWS, type AclConfig, type AclOps, runAclSide } from './acl-peer.js'
import {
  DEFAULT_RULES,
  OVN_DROP_ACLS,
  OVN_DROP_PG,
  OVN_PRIORITY_ALLOW,
  OVN_PRIORITY_DROP,
  TWENTY_RULES,
  changeRule,
  neutronRule,
  ovnAcl,
} from './acl-rules.js'
import { OvnStack, isRunning, killSync, run } from './ovn.js'
import { barsSvg, peerSvg } from './peer-svg.js'
import { silentLogger } from '../log/logger.js'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- API replies

/**
 * How "up" is seen on our node. 'marker': the agent's external_ids:dragonflow-installed=true on the Interface
 * (set once the bundle holding the port's flows is committed). 'active': the Neutron port status ACTIVE (the agent
 * writes it when the port is bound: plugged with an ofport, before its flows are necessarily on br-int). 'auto':
 * the marker when the agent code in the build mentions it, else ACTIVE. The one line to change is this default.
 */
const UP_SIGNAL: 'auto' | 'marker' | 'active' = 'auto'

const ACL_COMPARISON =
  'ours: groups, rules and member ports through the Neutron API over HTTP (the API, store and agent share one event loop, ' +
  'so the call returns after the store write and the compile it triggers); OVN: the same through ovn-nbctl (one NB transaction per command, ' +
  "member ports as unbound logical switch ports plus an address set, port groups, neutron_pg_drop). Rule times: until the rule's flows are on br-int, " +
  'polled with ovs-ofctl dump-flows (one poll late at most)'
const OURS_MARKER = 'dragonflow-installed'
/** OVN's port group for the project's default security group (Neutron's OVN driver names it pg_<group id>). */
const DEFAULT_PG = 'pg_default'
const OVN_MARKER = 'ovn-installed'

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))
const r1 = (x: number): number => Math.round(x * 10) / 10
const r2 = (x: number): number => Math.round(x * 100) / 100
const r3 = (x: number): number => Math.round(x * 1000) / 1000
const now = (): number => performance.now()

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : (s[Math.min(s.length - 1, Math.floor(p * s.length))] as number)
}
const median = (xs: number[]): number => pct(xs, 0.5)
interface Dist {
  n: number
  p50: number
  p95: number
  max: number
}
const dist = (xs: number[]): Dist => ({
  n: xs.length,
  p50: r1(pct(xs, 0.5)),
  p95: r1(pct(xs, 0.95)),
  max: r1(xs.length === 0 ? NaN : Math.max(...xs)),
})

// ---------------------------------------------------------------------------------------------------------------
// processes: CPU (/proc/PID/stat ticks; /proc/PID/task/*/schedstat ns for the small per-port figures) and RSS

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100

type Role = 'control' | 'switch' | 'client'
type PidMap = Record<Role, Record<string, number | undefined>>
interface ProcSample {
  role: Role
  name: string
  pid: number | undefined
  cpuS: number
  rssMb: number
}

/** utime+stime+cutime+cstime in seconds (children: the short-lived helpers a daemon waited for). */
function cpuSeconds(pid: number | undefined): number {
  if (!isRunning(pid)) return 0
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // fields 14-17 of proc(5); f[0] is field 3 (state)
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLK_TCK
  } catch {
    return 0
  }
}

function rssMb(pid: number | undefined): number {
  if (!isRunning(pid)) return 0
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m === null ? 0 : Number(m[1]) / 1024
  } catch {
    return 0
  }
}

/** CPU time of all live threads, in ms, nanosecond-precise (schedstat's first field). */
function schedMs(pids: (number | undefined)[]): number {
  let ns = 0
  for (const pid of pids) {
    if (!isRunning(pid)) continue
    let tasks: string[]
    try {
      tasks = readdirSync(`/proc/${pid}/task`)
    } catch {
      continue
    }
    for (const t of tasks) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0])
      } catch {
        /* thread gone */
      }
    }
  }
  return ns / 1e6
}

function sampleProcs(pids: PidMap): ProcSample[] {
  const out: ProcSample[] = []
  for (const role of ['control', 'switch', 'client'] as const) {
    for (const [name, pid] of Object.entries(pids[role])) out.push({ role, name, pid, cpuS: r3(cpuSeconds(pid)), rssMb: r1(rssMb(pid)) })
  }
  return out
}
const sumOf = (ps: ProcSample[], role: Role, k: 'cpuS' | 'rssMb'): number => ps.filter(p => p.role === role).reduce((a, p) => a + p[k], 0)

/** CPU used between two samples, per role; a process that was restarted in between counts from 0. */
function cpuDelta(a: ProcSample[], b: ProcSample[], role: Role): number {
  let s = 0
  for (const p of b.filter(x => x.role === role)) {
    const before = a.find(x => x.name === p.name && x.pid === p.pid)
    s += p.cpuS - (before?.cpuS ?? 0)
  }
  return s
}

// ---------------------------------------------------------------------------------------------------------------
// "up": one long-lived OVSDB monitor on the Interface table, or (ours, fallback) the Neutron port status

interface UpSource {
  readonly what: string
  readonly absentMs?: number[]
  /** resolves with the time (performance.now()) each id was first seen up */
  /** stallMs: give up when no further port came up for that long (default: timeoutMs) */
  waitUp(ids: string[], timeoutMs: number, failed: () => Error | undefined, stallMs?: number): Promise<Map<string, number>>
  readonly counts: { set: number; cleared: number }
  close(): Promise<void>
}

class MarkerWatch implements UpSource {
  readonly what: string
  readonly counts = { set: 0, cleared: 0 }
  /** how long a marker was gone before it came back (ms), in order */
  readonly absentMs: number[] = []
  private readonly clearedAt = new Map<string, number>()
  private readonly upAt = new Map<string, number>()
  private readonly wakers = new Set<() => void>()
  private readonly client: OvsdbClient

  constructor(
    target: string,
    private readonly key: string,
  ) {
    this.what = `external_ids:${key}=true on the Interface (one OVSDB monitor)`
    this.client = new OvsdbClient({ target, log: silentLogger })
  }

  async start(): Promise<void> {
    await this.client.connect({ timeoutMs: 10_000 })
    await this.client.monitor('Open_vSwitch', { Interface: { columns: ['name', 'external_ids'] } }, updates => {
      const t = now()
      for (const row of Object.values(updates.Interface ?? {})) {
        const ids = mapRecord(row.new?.external_ids ?? row.old?.external_ids)
        const iface = ids['iface-id']
        if (iface === undefined) continue
        const up = row.new !== undefined && mapRecord(row.new.external_ids)[this.key] === 'true'
        if (up && !this.upAt.has(iface)) {
          this.upAt.set(iface, t)
          this.counts.set++
          const c = this.clearedAt.get(iface)
          if (c !== undefined) {
            this.absentMs.push(t - c)
            this.clearedAt.delete(iface)
          }
        }
        if (!up && this.upAt.has(iface)) {
          this.upAt.delete(iface)
          this.counts.cleared++
          this.clearedAt.set(iface, t)
        }
      }
      for (const w of this.wakers) w()
    })
  }

  async waitUp(ids: string[], timeoutMs: number, failed: () => Error | undefined, stallMs = timeoutMs): Promise<Map<string, number>> {
    const end = now() + timeoutMs
    const out = new Map<string, number>()
    let progress = now()
    for (;;) {
      const had = out.size
      for (const id of ids) {
        const t = this.upAt.get(id)
        if (t !== undefined && !out.has(id)) out.set(id, t)
      }
      if (out.size === ids.length) return out
      if (out.size > had) progress = now()
      const err = failed()
      if (err !== undefined) throw err
      if (now() > end)
        throw new Error(`timed out: ${ids.length - out.size} of ${ids.length} ports not up after ${timeoutMs / 1000} s (${this.what})`)
      if (now() - progress > stallMs)
        throw new Error(
          `stalled: ${ids.length - out.size} of ${ids.length} ports not up, none came up for ${r1(stallMs / 1000)} s (${this.what})`,
        )
      await new Promise<void>(resolve => {
        const wakers = this.wakers
        let timer: NodeJS.Timeout | undefined
        const done = (): void => {
          clearTimeout(timer)
          wakers.delete(done)
          resolve()
        }
        timer = setTimeout(done, 250)
        wakers.add(done)
      })
    }
  }

  async close(): Promise<void> {
    await this.client.close()
  }
}

/** Fallback for our node: the Neutron port status, polled (one GET per pending port, or a list for big sets). */
class ActivePoll implements UpSource {
  readonly what = 'Neutron port status ACTIVE (polled; fallback while the agent sets no dragonflow-installed marker)'
  readonly counts = { set: 0, cleared: 0 }
  constructor(private readonly api: () => string) {}

  async waitUp(ids: string[], timeoutMs: number, failed: () => Error | undefined, stallMs = timeoutMs): Promise<Map<string, number>> {
    const end = now() + timeoutMs
    const out = new Map<string, number>()
    let progress = now()
    let had = 0
    while (out.size < ids.length) {
      if (out.size > had) {
        progress = now()
        had = out.size
      }
      const err = failed()
      if (err !== undefined) throw err
      if (now() > end) throw new Error(`timed out: ${ids.length - out.size} of ${ids.length} ports not ACTIVE after ${timeoutMs / 1000} s`)
      if (now() - progress > stallMs)
        throw new Error(`stalled: ${ids.length - out.size} of ${ids.length} ports not ACTIVE, none for ${r1(stallMs / 1000)} s`)
      const pending = ids.filter(id => !out.has(id))
      if (pending.length <= 50) {
        await Promise.all(
          pending.map(async id => {
            const j = await call(this.api(), 'GET', `/v2.0/ports/${id}?fields=status`).catch(() => undefined)
            if (j?.port?.status === 'ACTIVE') out.set(id, now())
          }),
        )
        if (out.size < ids.length) await sleep(20)
      } else {
        const j = await call(this.api(), 'GET', '/v2.0/ports?fields=id&fields=status&status=ACTIVE').catch(() => undefined)
        const t = now()
        const active = new Set(((j?.ports ?? []) as Json[]).map(p => p.id as string))
        for (const id of pending) if (active.has(id)) out.set(id, t)
        if (out.size < ids.length) await sleep(500)
      }
    }
    return out
  }

  async close(): Promise<void> {
    /* nothing held */
  }
}

async function call(base: string, method: string, path: string, body?: unknown): Promise<Json> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  })
  const j = (await res.json()) as Json
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(j).slice(0, 300)}`)
  return j
}

// ---------------------------------------------------------------------------------------------------------------
// the two systems behind one interface

interface PortRef {
  index: number
  net: 0 | 1
  id: string
  mac: string
  ip: string
}

interface Side {
  readonly key: 'ours' | 'ovn'
  readonly label: string
  readonly ovs: PrivateOvs
  readonly up: UpSource
  /** the security-group part (acl-peer.ts) */
  readonly acl: AclOps
  start(): Promise<void>
  topology(): Promise<void>
  /** one call: a single create (one port), or a bulk create / one NB transaction (several) */
  createPorts(specs: { index: number; net: 0 | 1 }[]): Promise<PortRef[]>
  /** a port for a workload (veth in a namespace) on network net, and its gateway */
  workloadPort(n: number, net: 0 | 1): Promise<PortRef & { gateway: string }>
  pids(): PidMap
  killController(): Promise<void>
  /** start the controller again; resolves when it is ready to work (ours: the API listens; OVN: SB connected) */
  restartController(): Promise<void>
  failed(): Error | undefined
  problems(): string[]
  versions(): Promise<Record<string, string>>
  /** notes the restart found in the controller's own output */
  restartNotes(): string[]
  /** when (performance.now()) the restarted controller said it had resynced the switch, if it says so */
  resyncAt(): number | undefined
  stopSync(): void
}

const CIDRS = ['10.1.0.0/16', '10.2.0.0/16'] as const
const GATEWAYS = ['10.1.0.1', '10.2.0.1'] as const

class OursSide implements Side {
  readonly key = 'ours'
  readonly label = 'ours (dragonflow serve)'
  readonly ovs: PrivateOvs
  up: UpSource
  private child: ChildProcess | undefined
  private url = ''
  private nets: string[] = []
  private failure: Error | undefined
  private expectExit = false
  private readonly notable: string[] = []
  private readonly restartLines: string[] = []
  private restarting = false
  private resyncedAt: number | undefined
  private readonly logStream: WriteStream
  private readonly t0 = now()

  constructor(
    private readonly app: string,
    private readonly dataDir: string,
    private readonly netns: string,
    private readonly logFile: string,
    private readonly upSignal: 'marker' | 'active',
  ) {
    this.ovs = new PrivateOvs({ dir: join(dataDir, 'ovs'), netns })
    this.logStream = createWriteStream(logFile, { flags: 'w' })
    this.up = upSignal === 'marker' ? new MarkerWatch(this.ovs.dbTarget, OURS_MARKER) : new ActivePoll(() => this.url)
  }

  private async spawnServe(): Promise<void> {
    const child = spawn(
      process.execPath,
      [join(this.app, 'bin/dragonflow.js'), 'serve', '--data-dir', this.dataDir, '--listen', '127.0.0.1:0', '--netns', this.netns],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    this.child = child
    this.expectExit = false
    const listening = new Promise<string>((resolve, reject) => {
      let buf = ''
      const onLine = (line: string, stream: string): void => {
        // serve's last lines may come after stopSync closed the log
        if (!this.logStream.writableEnded) this.logStream.write(`${((now() - this.t0) / 1000).toFixed(3)} ${stream} ${line}\n`)
        const m = /dragonflow serve: listening on (\S+)/.exec(line)
        if (m !== null) resolve(m[1] as string)
        if (this.restarting) this.restartLines.push(line)
        if (this.restarting && this.resyncedAt === undefined && /^agent: resync:/.test(line)) this.resyncedAt = now()
        if (
          /error|fail|refus|timeout|timed out|exception|warn|cannot|unhandled|crash|not running|refused/i.test(line) ||
          stream === 'err'
        ) {
          this.notable.push(line)
        }
      }
      const reader = (stream: string) => (chunk: Buffer) => {
        buf += chunk.toString()
        let nl: number
        while ((nl = buf.indexOf('\n')) >= 0) {
          onLine(buf.slice(0, nl), stream)
          buf = buf.slice(nl + 1)
        }
      }
      child.stdout?.on('data', reader('out'))
      child.stderr?.on('data', reader('err'))
      child.once('exit', (code, signal) => {
        if (!this.expectExit) this.failure = new Error(`dragonflow serve exited (code ${String(code)}, signal ${String(signal)})`)
        reject(this.failure ?? new Error('serve exited'))
      })
    })
    this.url = await Promise.race([
      listening,
      sleep(60_000).then(() => {
        throw new Error('serve did not print its URL in 60 s')
      }),
    ])
  }

  async start(): Promise<void> {
    await this.spawnServe()
    if (this.up instanceof MarkerWatch) await this.up.start()
  }

  async topology(): Promise<void> {
    for (const [i, cidr] of CIDRS.entries()) {
      const net = (await call(this.url, 'POST', '/v2.0/networks', { network: { name: `peer${i}` } })).network as Json
      if (i === 0) await call(this.url, 'PUT', `/v2.0/quotas/${net.project_id as string}`, { quota: { port: -1 } })
      await call(this.url, 'POST', '/v2.0/subnets', {
        subnet: { network_id: net.id, ip_version: 4, cidr, enable_dhcp: true, name: `peer${i}` },
      })
      this.nets.push(net.id as string)
    }
    const router = (await call(this.url, 'POST', '/v2.0/routers', { router: { name: 'peer' } })).router as Json
    const subnets = (await call(this.url, 'GET', '/v2.0/subnets')).subnets as Json[]
    for (const s of subnets) await call(this.url, 'PUT', `/v2.0/routers/${router.id as string}/add_router_interface`, { subnet_id: s.id })
  }

  private ref(p: Json, index: number, net: 0 | 1): PortRef {
    return { index, net, id: p.id as string, mac: p.mac_address as string, ip: ((p.fixed_ips as Json[])[0]?.ip_address ?? '') as string }
  }

  async createPorts(specs: { index: number; net: 0 | 1 }[]): Promise<PortRef[]> {
    const body = (s: { index: number; net: 0 | 1 }): Json => ({ network_id: this.nets[s.net], name: `p${s.index}` })
    if (specs.length === 1) {
      const s = specs[0] as { index: number; net: 0 | 1 }
      return [this.ref((await call(this.url, 'POST', '/v2.0/ports', { port: body(s) })).port as Json, s.index, s.net)]
    }
    const ports = (await call(this.url, 'POST', '/v2.0/ports', { ports: specs.map(body) })).ports as Json[]
    return ports.map((p, i) => this.ref(p, (specs[i] as { index: number }).index, (specs[i] as { net: 0 | 1 }).net))
  }

  async workloadPort(n: number, net: 0 | 1): Promise<PortRef & { gateway: string }> {
    const p = (await call(this.url, 'POST', '/v2.0/ports', { port: { network_id: this.nets[net], name: `w${n}` } })).port as Json
    return { ...this.ref(p, -n, net), gateway: GATEWAYS[net] }
  }

  private aclOps: AclOps | undefined
  /** Neutron API: groups, rules and ports as a Neutron client would make them (one object: it holds the group ids). */
  get acl(): AclOps {
    return (this.aclOps ??= this.makeAcl())
  }

  private makeAcl(): AclOps {
    const groups = { remote: '', rules: '' }
    return {
      groups: async members => {
        const sg = async (name: string): Promise<string> =>
          ((await call(this.url, 'POST', '/v2.0/security-groups', { security_group: { name } })).security_group as Json).id as string
        const project = ((await call(this.url, 'GET', `/v2.0/networks/${this.nets[0] ?? ''}`)).network as Json).project_id as string
        await call(this.url, 'PUT', `/v2.0/quotas/${project}`, { quota: { port: -1, security_group: -1, security_group_rule: -1 } })
        groups.remote = await sg('peer-members')
        groups.rules = await sg('peer-20-rules')
        // a new group has the two egress rules already (TWENTY_RULES marks them implicit)
        for (const r of TWENTY_RULES.filter(x => x.implicit !== true)) {
          await call(this.url, 'POST', '/v2.0/security-group-rules', {
            security_group_rule: { security_group_id: groups.rules, ...neutronRule(r, groups.remote) },
          })
        }
        for (let i = 0; i < members; i += 500) {
          const body = Array.from({ length: Math.min(500, members - i) }, (_, k) => ({
            network_id: this.nets[0],
            name: `m${i + k}`,
            security_groups: [groups.remote],
          }))
          await call(this.url, 'POST', '/v2.0/ports', { ports: body })
        }
      },
      createPorts: async specs => {
        const body = specs.map(s => ({ network_id: this.nets[s.net], name: `a${s.index}`, security_groups: [groups.rules] }))
        const ports = (await call(this.url, 'POST', '/v2.0/ports', { ports: body })).ports as Json[]
        return ports.map((p, i) => this.ref(p, (specs[i] as { index: number }).index, (specs[i] as { net: 0 | 1 }).net))
      },
      addRule: async port =>
        (
          (
            await call(this.url, 'POST', '/v2.0/security-group-rules', {
              security_group_rule: { security_group_id: groups.rules, ...neutronRule(changeRule(port), groups.remote) },
            })
          ).security_group_rule as Json
        ).id as string,
      deleteRule: async id => {
        await fetch(`${this.url}/v2.0/security-group-rules/${id}`, { method: 'DELETE' }).then(r => {
          if (!r.ok) throw new Error(`DELETE rule ${id}: ${r.status}`)
        })
      },
    }
  }

  pids(): PidMap {
    return {
      control: { 'serve (node)': this.child?.pid },
      switch: { 'ovs-vswitchd': this.ovs.pidOf('ovs-vswitchd'), 'vswitch ovsdb-server': this.ovs.pidOf('ovsdb-server') },
      client: {},
    }
  }

  async killController(): Promise<void> {
    const c = this.child
    if (c?.pid === undefined) throw new Error('serve is not running')
    this.expectExit = true
    const gone = new Promise<void>(resolve => {
      c.once('exit', () => {
        resolve()
      })
    })
    c.kill('SIGKILL')
    await gone
  }

  async restartController(): Promise<void> {
    this.restarting = true
    this.restartLines.length = 0
    await this.spawnServe()
  }

  resyncAt(): number | undefined {
    return this.resyncedAt
  }

  restartNotes(): string[] {
    this.restarting = false
    return this.restartLines.filter(l => /resync|ovs:|switch connected|error|fail/i.test(l))
  }

  failed(): Error | undefined {
    return this.failure
  }
  problems(): string[] {
    return [...this.notable]
  }

  async versions(): Promise<Record<string, string>> {
    const rev = spawnSync('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim()
    const dirty =
      spawnSync('git', ['-C', REPO, 'status', '--porcelain', '--', 'agent', 'offload', 'datapath', 'northbound', 'store', 'model', 'cli'], {
        encoding: 'utf8',
      }).stdout.trim() !== ''
    return {
      dragonflow: `${rev}${dirty ? ' + uncommitted changes under agent/ offload/ ... (build snapshot of this run)' : ''}`,
      node: process.version,
      upSignal: this.up.what,
    }
  }

  private stopped = false
  stopSync(): void {
    if (this.stopped) return
    this.stopped = true
    const pid = this.child?.pid
    this.expectExit = true
    // SIGTERM: serve stops its OVS and deletes the namespace itself; stopSync below is the safety net
    // peer-serve.log -> peer-ours-ovs-vswitchd.log, peer-acl-serve.log -> peer-acl-ours-ovs-vswitchd.log
    try {
      copyFileSync(join(this.ovs.dir, 'ovs-vswitchd.log'), this.logFile.replace(/serve\.log$/, 'ours-ovs-vswitchd.log'))
    } catch {
      /* best effort */
    }
    killSync(pid, 'SIGTERM', 20_000)
    this.ovs.stopSync({ deleteNetns: true })
    this.logStream.end()
  }
}

class OvnSide implements Side {
  readonly key = 'ovn'
  readonly label = 'OVN 23.03'
  readonly ovs: PrivateOvs
  readonly up: MarkerWatch
  private readonly dhcp: string[] = []
  private readonly stack: OvnStack
  private readonly restartLog: string[] = []

  private logsCopied = false
  constructor(
    dir: string,
    netns: string,
    log: (l: string) => void,
    private readonly logPrefix: string,
  ) {
    this.stack = new OvnStack({ dir, netns, chassis: 'peer-ovn', log })
    this.ovs = this.stack.ovs
    this.up = new MarkerWatch(this.ovs.dbTarget, OVN_MARKER)
  }

  async start(): Promise<void> {
    await this.stack.start()
    await this.up.start()
  }

  async topology(): Promise<void> {
    const nb = this.stack.nb.bind(this.stack)
    await nb('ls-add', 'net0', '--', 'ls-add', 'net1', '--', 'lr-add', 'r0')
    for (const [i, cidr] of CIDRS.entries()) {
      const gw = GATEWAYS[i] as string
      const rmac = `0a:00:ff:ff:00:0${i + 1}`
      await nb('dhcp-options-create', cidr)
      const uuid = (await nb('--bare', '--columns=_uuid', 'find', 'DHCP_Options', `cidr="${cidr}"`)).trim()
      await nb('dhcp-options-set-options', uuid, 'lease_time=43200', `router=${gw}`, `server_id=${gw}`, `server_mac=${rmac}`)
      this.dhcp.push(uuid)
      await nb(
        'lrp-add',
        'r0',
        `r0-net${i}`,
        rmac,
        `${gw}/16`,
        '--',
        'lsp-add',
        `net${i}`,
        `net${i}-r0`,
        '--',
        'lsp-set-type',
        `net${i}-r0`,
        'router',
        '--',
        'lsp-set-addresses',
        `net${i}-r0`,
        'router',
        '--',
        'lsp-set-options',
        `net${i}-r0`,
        `router-port=r0-net${i}`,
      )
    }
    // Neutron's default group as its OVN driver writes it (our ports get the project's default group): a port group
    // with the four default rules (egress any; ingress from members: the port group's own address set), and
    // neutron_pg_drop; every port created by createPorts/workloadPort joins both
    await nb('pg-add', DEFAULT_PG, '--', 'pg-add', OVN_DROP_PG)
    for (const d of OVN_DROP_ACLS)
      await nb('--type=port-group', 'acl-add', OVN_DROP_PG, d.direction, String(OVN_PRIORITY_DROP), d.match, 'drop')
    for (const r of DEFAULT_RULES) {
      const a = ovnAcl(r, DEFAULT_PG, `${DEFAULT_PG}_ip`)
      await nb('--type=port-group', 'acl-add', DEFAULT_PG, a.direction, String(OVN_PRIORITY_ALLOW), a.match, 'allow-related')
    }
  }

  private static addr(index: number, net: 0 | 1): { mac: string; ip: string } {
    const h = (v: number): string => v.toString(16).padStart(2, '0')
    const k = Math.floor(index / 2) + 16
    return {
      mac: `0a:00:00:${h((index >> 16) & 255)}:${h((index >> 8) & 255)}:${h(index & 255)}`,
      ip: `10.${net + 1}.${k >> 8}.${k & 255}`,
    }
  }

  /**
   * A port as Neutron's OVN driver creates it: the row inserted with its addresses, port security and DHCP options,
   * added to its switch and to its port groups in the same transaction (the same as lsp-add, lsp-set-addresses,
   * lsp-set-port-security and lsp-set-dhcpv4-options; a port group takes the new row by its @id, not by name).
   */
  private lspArgs(name: string, net: 0 | 1, mac: string, ip: string, groups: string[] = [DEFAULT_PG, OVN_DROP_PG]): string[] {
    return [
      `--id=@${name}`,
      'create',
      'Logical_Switch_Port',
      `name=${name}`,
      `addresses="${mac} ${ip}"`,
      `port_security="${mac} ${ip}"`,
      `dhcpv4_options=${this.dhcp[net] as string}`,
      '--',
      'add',
      'Logical_Switch',
      `net${net}`,
      'ports',
      `@${name}`,
      ...groups.flatMap(g => ['--', 'add', 'Port_Group', g, 'ports', `@${name}`]),
      '--',
    ]
  }

  async createPorts(specs: { index: number; net: 0 | 1 }[]): Promise<PortRef[]> {
    const refs = specs.map(s => ({ ...s, id: `p${s.index}`, ...OvnSide.addr(s.index, s.net) }))
    await this.stack.nb(...refs.flatMap(r => this.lspArgs(r.id, r.net, r.mac, r.ip)).slice(0, -1))
    return refs
  }

  async workloadPort(n: number, net: 0 | 1): Promise<PortRef & { gateway: string }> {
    const ref = {
      index: -n,
      net,
      id: `w${n}`,
      mac: `0a:00:fe:00:00:${n.toString(16).padStart(2, '0')}`,
      ip: `10.${net + 1}.255.${10 + n}`,
      gateway: GATEWAYS[net],
    }
    await this.stack.nb(...this.lspArgs(ref.id, net, ref.mac, ref.ip).slice(0, -1))
    return ref
  }

  /**
   * ovn-nbctl, as Neutron's OVN driver writes the same groups: the members as (unbound) logical switch ports and
   * an address set of their addresses, a port group with the rules as allow-related ACLs, neutron_pg_drop.
   */
  private aclOps: AclOps | undefined
  get acl(): AclOps {
    return (this.aclOps ??= this.makeAcl())
  }

  private makeAcl(): AclOps {
    const nb = this.stack.nb.bind(this.stack)
    const pg = 'pg_rules'
    const as = 'as_members'
    return {
      groups: async members => {
        const h = (v: number): string => v.toString(16).padStart(2, '0')
        const addrs: string[] = []
        for (let i = 0; i < members; i += 250) {
          const args: string[] = []
          for (let j = i; j < Math.min(members, i + 250); j++) {
            const ip = `10.1.${128 + (j >> 8)}.${j & 255}`
            const mac = `0a:00:01:00:${h(j >> 8)}:${h(j & 255)}`
            addrs.push(ip)
            args.push(
              '--',
              'lsp-add',
              'net0',
              `m${j}`,
              '--',
              'lsp-set-addresses',
              `m${j}`,
              `${mac} ${ip}`,
              '--',
              'lsp-set-port-security',
              `m${j}`,
              `${mac} ${ip}`,
            )
          }
          await nb(...args.slice(1))
        }
        await nb(
          'create',
          'Address_Set',
          `name=${as}4`,
          ...(addrs.length > 0 ? [`addresses=${addrs.map(a => `"${a}"`).join(',')}`] : []),
          '--',
          'create',
          'Address_Set',
          `name=${as}6`,
          '--',
          'pg-add',
          pg,
        )
        for (const r of TWENTY_RULES) {
          const a = ovnAcl(r, pg, as)
          await nb('--type=port-group', 'acl-add', pg, a.direction, String(OVN_PRIORITY_ALLOW), a.match, 'allow-related')
        }
      },
      createPorts: async specs => {
        const refs = specs.map(s => ({ ...s, id: `p${s.index}`, ...OvnSide.addr(s.index, s.net) }))
        await nb(...refs.flatMap(r => this.lspArgs(r.id, r.net, r.mac, r.ip, [pg, OVN_DROP_PG])).slice(0, -1))
        return refs
      },
      addRule: async port => {
        const a = ovnAcl(changeRule(port), pg, as)
        await nb('--type=port-group', 'acl-add', pg, a.direction, String(OVN_PRIORITY_ALLOW), a.match, 'allow-related')
        return JSON.stringify(a)
      },
      deleteRule: async handle => {
        const a = JSON.parse(handle) as { direction: string; match: string }
        await nb('--type=port-group', 'acl-del', pg, a.direction, String(OVN_PRIORITY_ALLOW), a.match)
      },
    }
  }

  pids(): PidMap {
    return this.stack.pids()
  }
  async killController(): Promise<void> {
    await this.stack.killController()
  }
  async restartController(): Promise<void> {
    await this.stack.startController()
  }
  resyncAt(): number | undefined {
    return undefined
  }
  restartNotes(): string[] {
    let text: string
    try {
      text = readFileSync(join(this.stack.dir, 'controller.log'), 'utf8')
    } catch {
      return []
    }
    const lines = text.split('\n')
    let start = 0
    lines.forEach((l, i) => {
      if (l.includes('opened log file')) start = i
    })
    this.restartLog.push(
      ...lines
        .slice(Math.max(0, start))
        .filter(l => /clear|flow|connected|ERR|WARN/i.test(l))
        .slice(0, 20),
    )
    return this.restartLog
  }

  failed(): Error | undefined {
    const dead = Object.entries(this.stack.pids().control)
      .filter(([, pid]) => pid === undefined)
      .map(([n]) => n)
    return dead.length > 0 ? new Error(`OVN daemon(s) not running: ${dead.join(', ')}`) : undefined
  }

  problems(): string[] {
    return this.stack.logProblems()
  }

  async versions(): Promise<Record<string, string>> {
    const v = async (cmd: string): Promise<string> => (await run(cmd, ['--version']).catch(() => '')).split('\n')[0] ?? ''
    return {
      'ovn-controller': await v('ovn-controller'),
      'ovn-northd': await v('ovn-northd'),
      upSignal: this.up.what,
      nbClient: 'ovn-nbctl --detach daemon, commands sent over its unixctl socket (run)',
    }
  }

  stopSync(): void {
    if (!this.logsCopied) {
      this.logsCopied = true
      this.stack.copyLogs(this.logPrefix)
    }
    this.stack.stopSync()
  }
}

// ---------------------------------------------------------------------------------------------------------------
// plugging and flows (the same for both: ovs-vsctl / ovs-ofctl on the side's private OVS)

async function vsctl(ovs: PrivateOvs, args: string[], wait = true): Promise<string> {
  return await run('ovs-vsctl', [`--db=${ovs.dbTarget}`, '--timeout=300', ...(wait ? [] : ['--no-wait']), ...args], ovs.env, 330_000)
}

/** type=internal: a tap device in vswitchd's namespace, as a VM's tap would be (no kernel veth pair per port). */
async function plugInternal(ovs: PrivateOvs, ports: PortRef[]): Promise<void> {
  const args: string[] = []
  for (const p of ports) {
    const name = `dp${p.index}`
    args.push(
      '--',
      'add-port',
      'br-int',
      name,
      '--',
      'set',
      'Interface',
      name,
      'type=internal',
      `external_ids:iface-id=${p.id}`,
      `external_ids:attached-mac=${p.mac}`,
    )
  }
  await vsctl(ovs, args.slice(1))
}

/** Growth filler: patch-port pairs, both ends bound (an ofport and an iface-id each, no kernel device). */
async function plugPatchPairs(ovs: PrivateOvs, ports: PortRef[]): Promise<void> {
  const args: string[] = []
  for (let i = 0; i < ports.length; i += 2) {
    const a = ports[i] as PortRef
    const b = ports[i + 1]
    const an = `dq${a.index}`
    const bn = b !== undefined ? `dq${b.index}` : `dqx${a.index}`
    args.push(
      '--',
      'add-port',
      'br-int',
      an,
      '--',
      'set',
      'Interface',
      an,
      'type=patch',
      `options:peer=${bn}`,
      `external_ids:iface-id=${a.id}`,
      `external_ids:attached-mac=${a.mac}`,
    )
    args.push('--', 'add-port', 'br-int', bn, '--', 'set', 'Interface', bn, 'type=patch', `options:peer=${an}`)
    if (b !== undefined) args.push(`external_ids:iface-id=${b.id}`, `external_ids:attached-mac=${b.mac}`)
  }
  await vsctl(ovs, args.slice(1), false)
}

async function flowCount(ovs: PrivateOvs): Promise<number> {
  const out = await ovs.ofctl('dump-aggregate', 'br-int')
  return Number(/flow_count=(\d+)/.exec(out)?.[1] ?? NaN)
}

interface DumpedFlow {
  durationS: number
  value: string
}
/** dump-flows with stats: key = table, priority, match; value = cookie and actions; duration kept apart. */
async function dumpFlows(ovs: PrivateOvs): Promise<Map<string, DumpedFlow>> {
  const out = await ovs.ofctl('dump-flows', 'br-int')
  const flows = new Map<string, DumpedFlow>()
  for (const raw of out.split('\n')) {
    const line = raw.trim()
    if (!line.startsWith('cookie=')) continue
    const duration = Number(/duration=([\d.]+)s/.exec(line)?.[1] ?? NaN)
    const cookie = /cookie=(0x[0-9a-f]+)/.exec(line)?.[1] ?? ''
    const rest = line
      .replace(/^cookie=0x[0-9a-f]+, /, '')
      .replace(/duration=[\d.]+s, /, '')
      .replace(/n_packets=\d+, /, '')
      .replace(/n_bytes=\d+, /, '')
      .replace(/idle_age=\d+, /, '')
      .replace(/hard_age=\d+, /, '')
    const at = rest.indexOf(' actions=')
    const key = at < 0 ? rest : rest.slice(0, at)
    const value = `${cookie} ${at < 0 ? '' : rest.slice(at + 1)}`
    // two identical keys cannot exist in one table; keep the first anyway
    if (!flows.has(key)) flows.set(key, { durationS: duration, value })
  }
  return flows
}

function sameFlows(a: Map<string, DumpedFlow>, b: Map<string, DumpedFlow>): boolean {
  if (a.size !== b.size) return false
  for (const [k, f] of a) if (b.get(k)?.value !== f.value) return false
  return true
}

// ---------------------------------------------------------------------------------------------------------------
// one side's run

interface PortTiming {
  index: number
  phase: 'one-by-one' | 'batch' | 'probe'
  createMs: number
  plugMs: number
  upAfterPlugMs: number
  createToUpMs: number
}
interface Sample {
  settle: { waitedS: number; quiet: boolean; rateMsPerS: number }
  ports: number
  atS: number
  loadavg: number[]
  procs: ProcSample[]
  controlCpuS: number
  switchCpuS: number
  clientCpuS: number
  controlRssMb: number
  switchRssMb: number
  flows: number
}
interface Probe {
  existing: number
  createToUpMs: number
  upAfterPlugMs: number
  controlCpuMs: number
  switchCpuMs: number
}
interface GrowthPoint {
  existing: number
  probes: Probe[]
  settleBeforeS: number
  quietBefore: boolean
  createToUpMs: number
  upAfterPlugMs: number
  controlCpuMs: number
  switchCpuMs: number
  idleControlCpuMsPerS: number
}

interface Config {
  ports: number
  batchTotal: number
  batchSize: number
  growth: number[]
  probes: number
  quietS: number
  fillChunk: number
  stallS: number
  ping: boolean
  quietRate: number
  settleMaxS: number
}

/** Fills `result` as it goes: a side that fails half-way keeps what it measured. */
async function runSide(side: Side, cfg: Config, tag: string, log: (l: string) => void, result: Json): Promise<void> {
  const L = (l: string): void => {
    log(`[${side.key}] ${l}`)
  }
  result.label = side.label
  result.loadavg = { start: loadavg().map(r2) }
  const tStart = now()
  await side.start()
  result.versions = await side.versions()
  L(`started; up = ${side.up.what}`)
  await side.topology()
  await sleep(2000)
  const flows0 = await flowCount(side.ovs)
  const samples: Sample[] = []
  result.samples = samples
  const timings: PortTiming[] = []
  result.ports = timings
  const growth: GrowthPoint[] = []
  result.growth = growth
  let count = 0
  let nextIndex = 0
  const ctl = (): (number | undefined)[] => Object.values(side.pids().control)
  const sw = (): (number | undefined)[] => Object.values(side.pids().switch)
  /**
   * Wait until the control plane is quiet: under cfg.quietRate ms of CPU per second for 2 s in a row (at most
   * cfg.settleMaxS). A port is up before all the work it causes is done (status write-back, northd's next pass,
   * a controller still chewing on a backlog): samples and probes wait for that work to end.
   */
  const quietFor = async (): Promise<{ waitedS: number; quiet: boolean; rateMsPerS: number }> => {
    const t0 = now()
    let prev = schedMs(ctl())
    let tp = now()
    let rate: number
    let okSince: number | undefined
    for (;;) {
      await sleep(500)
      const c = schedMs(ctl())
      const t = now()
      rate = (c - prev) / ((t - tp) / 1000)
      prev = c
      tp = t
      if (rate <= cfg.quietRate) {
        okSince ??= t
        if (t - okSince >= 2000) return { waitedS: r1((t - t0) / 1000), quiet: true, rateMsPerS: r1(rate) }
      } else okSince = undefined
      if (t - t0 > cfg.settleMaxS * 1000) {
        L(`control plane not quiet after ${cfg.settleMaxS} s (${r1(rate)} ms CPU per s); going on`)
        return { waitedS: r1((t - t0) / 1000), quiet: false, rateMsPerS: r1(rate) }
      }
    }
  }
  const sample = async (): Promise<Sample> => {
    const settle = await quietFor()
    const procs = sampleProcs(side.pids())
    const s: Sample = {
      settle,
      ports: count,
      atS: r1((now() - tStart) / 1000),
      loadavg: loadavg().map(r2),
      procs,
      controlCpuS: r3(sumOf(procs, 'control', 'cpuS')),
      switchCpuS: r3(sumOf(procs, 'switch', 'cpuS')),
      clientCpuS: r3(sumOf(procs, 'client', 'cpuS')),
      controlRssMb: r1(sumOf(procs, 'control', 'rssMb')),
      switchRssMb: r1(sumOf(procs, 'switch', 'rssMb')),
      flows: await flowCount(side.ovs),
    }
    samples.push(s)
    L(
      `${count} ports: control CPU ${s.controlCpuS} s, RSS ${s.controlRssMb} MB; switch CPU ${s.switchCpuS} s; ${s.flows} flows (quiet after ${settle.waitedS} s)`,
    )
    return s
  }
  const s0 = await sample()
  const netOf = (i: number): 0 | 1 => (i % 2) as 0 | 1

  const onePort = async (phase: PortTiming['phase'], timeoutMs = 120_000): Promise<PortTiming> => {
    const index = nextIndex++
    const t0 = now()
    const [p] = await side.createPorts([{ index, net: netOf(index) }])
    const t1 = now()
    await plugInternal(side.ovs, [p as PortRef])
    const t2 = now()
    const up = (await side.up.waitUp([(p as PortRef).id], timeoutMs, () => side.failed())).get((p as PortRef).id) as number
    count++
    const t: PortTiming = {
      index,
      phase,
      createMs: r2(t1 - t0),
      plugMs: r2(t2 - t1),
      upAfterPlugMs: r2(up - t2),
      createToUpMs: r2(up - t0),
    }
    timings.push(t)
    return t
  }

  const growthDone = new Set<number>()
  const pendingGrowth = (): number | undefined => cfg.growth.find(n => !growthDone.has(n) && count >= n)
  let growthStopped = false
  const probeAt = async (n: number): Promise<void> => {
    growthDone.add(n)
    if (growthStopped) return
    const settle = await quietFor()
    const i0 = schedMs(ctl())
    const ti = now()
    await sleep(2000)
    const idle = (schedMs(ctl()) - i0) / ((now() - ti) / 1000)
    const probes: Probe[] = []
    try {
      for (let k = 0; k < cfg.probes; k++) {
        const existing = count
        const c0 = schedMs(ctl())
        const w0 = schedMs(sw())
        const t0 = now()
        const t = await onePort('probe', 600_000)
        // the work a port causes may go on after it is up (status write-back, northd's next pass): wait for quiet
        let prev = schedMs(ctl())
        for (let w = 0; w < 100; w++) {
          await sleep(200)
          const c = schedMs(ctl())
          const quiet = c - prev <= idle * 0.2 + 2
          prev = c
          if (quiet) break
        }
        const el = (now() - t0) / 1000
        probes.push({
          existing,
          createToUpMs: t.createToUpMs,
          upAfterPlugMs: t.upAfterPlugMs,
          controlCpuMs: r2(prev - c0 - idle * el),
          switchCpuMs: r2(schedMs(sw()) - w0),
        })
      }
    } catch (err) {
      growthStopped = true
      const last = side.problems().at(-1)
      result.growthFailed = {
        target: n,
        upBefore: count,
        error: err instanceof Error ? err.message : String(err),
        lastProblem: last ?? null,
      }
      L(`growth: the probe after ${n} FAILED: ${result.growthFailed.error as string}`)
      if (probes.length === 0) return
    }
    const g: GrowthPoint = {
      existing: n,
      probes,
      idleControlCpuMsPerS: r2(idle),
      settleBeforeS: settle.waitedS,
      quietBefore: settle.quiet,
      createToUpMs: r1(median(probes.map(p => p.createToUpMs))),
      upAfterPlugMs: r1(median(probes.map(p => p.upAfterPlugMs))),
      controlCpuMs: r1(median(probes.map(p => p.controlCpuMs))),
      switchCpuMs: r1(median(probes.map(p => p.switchCpuMs))),
    }
    growth.push(g)
    L(
      `growth: one more port after ${n}: up ${g.createToUpMs} ms (after plug ${g.upAfterPlugMs} ms), control CPU ${g.controlCpuMs} ms (median of ${probes.length}; quiet after ${settle.waitedS} s, idle ${r1(idle)} ms/s)`,
    )
  }

  // 1. one by one
  const tP = now()
  while (count < cfg.ports) {
    const g = pendingGrowth()
    if (g !== undefined && g <= cfg.ports) {
      await probeAt(g)
      continue
    }
    await onePort('one-by-one')
    if (count % 50 === 0 || count === cfg.ports) {
      const xs = timings.map(t => t.createToUpMs)
      L(`one by one: ${count}/${cfg.ports} up (create->up p50 ${r1(median(xs))} ms, ${r1((now() - tP) / 1000)} s)`)
    }
  }
  const sP = await sample()

  // 2. batches
  const batchWall: number[] = []
  const tB = now()
  const total = cfg.ports + cfg.batchTotal
  while (count < total) {
    const g = pendingGrowth()
    if (g !== undefined && g < total) {
      await probeAt(g)
      continue
    }
    const nextG = cfg.growth.filter(n => !growthDone.has(n) && n > count && n < total).sort((a, b) => a - b)[0]
    const n = Math.min(cfg.batchSize, total - count, nextG === undefined ? Infinity : nextG - count)
    const specs = Array.from({ length: n }, () => {
      const index = nextIndex++
      return { index, net: netOf(index) }
    })
    const t0 = now()
    const ports = await side.createPorts(specs)
    const t1 = now()
    await plugInternal(side.ovs, ports)
    const t2 = now()
    const ups = await side.up.waitUp(
      ports.map(p => p.id),
      300_000,
      () => side.failed(),
    )
    count += n
    for (const p of ports) {
      const up = ups.get(p.id) as number
      timings.push({
        index: p.index,
        phase: 'batch',
        createMs: r2(t1 - t0),
        plugMs: r2(t2 - t1),
        upAfterPlugMs: r2(up - t2),
        createToUpMs: r2(up - t0),
      })
    }
    batchWall.push(r2(Math.max(...ups.values()) - t0))
    if (count % 200 === 0 || count === total)
      L(`batches: ${count}/${total} up (last batch of ${n}: ${r1(batchWall.at(-1) ?? NaN)} ms, ${r1((now() - tB) / 1000)} s)`)
  }
  const sB = await sample()

  const phase = (p: PortTiming['phase'][]): Json => {
    const ts = timings.filter(t => p.includes(t.phase))
    return {
      createToUpMs: dist(ts.map(t => t.createToUpMs)),
      upAfterPlugMs: dist(ts.map(t => t.upAfterPlugMs)),
      createCallMs: dist(ts.map(t => t.createMs)),
      plugMs: dist(ts.map(t => t.plugMs)),
    }
  }
  result.oneByOne = phase(['one-by-one', 'probe'])
  result.batch = { ...phase(['batch']), batchSize: cfg.batchSize, batchWallMs: dist(batchWall) }
  result.cpu = {
    control0toPS: r3(cpuDelta(s0.procs, sP.procs, 'control')),
    controlPtoTotalS: r3(cpuDelta(sP.procs, sB.procs, 'control')),
    control0toTotalS: r3(cpuDelta(s0.procs, sB.procs, 'control')),
    switch0toTotalS: r3(cpuDelta(s0.procs, sB.procs, 'switch')),
    client0toTotalS: r3(cpuDelta(s0.procs, sB.procs, 'client')),
    wall0toTotalS: r1(sB.atS - s0.atS),
    perPortMs: r2((cpuDelta(s0.procs, sB.procs, 'control') * 1000) / Math.max(1, sB.ports - s0.ports)),
  }
  result.flows = {
    atTopology: flows0,
    at0: s0.flows,
    atP: sP.flows,
    atTotal: sB.flows,
    perPort: r2((sB.flows - s0.flows) / Math.max(1, sB.ports - s0.ports)),
    marginalPerPort: r2((sB.flows - sP.flows) / Math.max(1, sB.ports - sP.ports)),
  }

  // 3. growth points at the current count (e.g. 1000), before the restart adds its two workloads
  for (let g = pendingGrowth(); g !== undefined; g = pendingGrowth()) await probeAt(g)

  // 4. restart with the ports in place
  result.restart = await restartTest(side, cfg, tag, count, L)

  // 5. the growth curve past the measured ports: patch-port pairs stand in for interfaces
  const fills: Json[] = []
  result.fill = fills
  for (const n of [...cfg.growth].sort((a, b) => a - b)) {
    if (growthDone.has(n) || growthStopped) continue
    const tf = now()
    const c0 = sampleProcs(side.pids())
    const from = count
    try {
      while (count < n) {
        const k = Math.min(cfg.fillChunk, n - count)
        const specs = Array.from({ length: k }, () => {
          const index = nextIndex++
          return { index, net: netOf(index) }
        })
        const ports = await side.createPorts(specs)
        await plugPatchPairs(side.ovs, ports)
        await side.up.waitUp(
          ports.map(p => p.id),
          1_800_000,
          () => side.failed(),
          cfg.stallS * 1000,
        )
        count += k
        L(`fill: ${count}/${n} local ports up (${r1((now() - tf) / 1000)} s)`)
      }
    } catch (err) {
      // the growth curve ends here; the side's other figures stand
      const last = side.problems().at(-1)
      result.growthFailed = {
        target: n,
        upBefore: count,
        error: err instanceof Error ? err.message : String(err),
        lastProblem: last ?? null,
      }
      L(
        `fill to ${n} FAILED after ${count} ports: ${result.growthFailed.error as string}${last !== undefined ? `; last line of note: ${last}` : ''}`,
      )
      break
    }
    const upS = (now() - tf) / 1000
    const settle = await quietFor()
    const c1 = sampleProcs(side.pids())
    fills.push({
      from,
      to: count,
      upS: r1(upS),
      quietAfterS: settle.waitedS,
      quiet: settle.quiet,
      wallS: r1((now() - tf) / 1000),
      controlCpuS: r3(cpuDelta(c0, c1, 'control')),
      switchCpuS: r3(cpuDelta(c0, c1, 'switch')),
      flows: await flowCount(side.ovs),
      controlRssMb: r1(sumOf(c1, 'control', 'rssMb')),
      switchRssMb: r1(sumOf(c1, 'switch', 'rssMb')),
    })
    await probeAt(n)
  }
  result.finalPorts = count
  result.markerEvents = side.up.counts
  result.loadavg.end = loadavg().map(r2)
  result.wallS = r1((now() - tStart) / 1000)
}

async function restartTest(side: Side, cfg: Config, tag: string, ports: number, L: (l: string) => void): Promise<Json> {
  const out: Json = { ports }
  // two real workloads (veth into a namespace each), one per network: the ping crosses the router
  const ws: (PortRef & { gateway: string; ns: string })[] = []
  if (cfg.ping) {
    for (const [n, net] of [
      [1, 0],
      [2, 1],
    ] as const) {
      const p = await side.workloadPort(n, net)
      const ns = `dfpw${tag}${side.key === 'ours' ? 'o' : 'n'}${n}`
      const dev = `dw${tag}${n}`.slice(0, 15)
      const vsns = side.ovs.netns as string
      cleanups.push(() => {
        spawnSync('ip', ['netns', 'del', ns])
      })
      await run('ip', ['netns', 'add', ns])
      await run('ip', ['link', 'add', dev, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns])
      await run('ip', ['link', 'set', dev, 'netns', vsns])
      await run('ip', ['-n', vsns, 'link', 'set', dev, 'up'])
      for (const a of [
        ['link', 'set', 'lo', 'up'],
        ['link', 'set', 'eth0', 'address', p.mac],
        ['addr', 'add', `${p.ip}/16`, 'dev', 'eth0'],
        ['link', 'set', 'eth0', 'up'],
        ['route', 'add', 'default', 'via', p.gateway],
      ]) {
        await run('ip', ['-n', ns, ...a])
      }
      await run('ip', ['netns', 'exec', ns, 'ethtool', '-K', 'eth0', 'tx', 'off']).catch(() => '')
      await vsctl(side.ovs, [
        'add-port',
        'br-int',
        dev,
        '--',
        'set',
        'Interface',
        dev,
        `external_ids:iface-id=${p.id}`,
        `external_ids:attached-mac=${p.mac}`,
      ])
      ws.push({ ...p, ns })
    }
    await side.up.waitUp(
      ws.map(w => w.id),
      60_000,
      () => side.failed(),
    )
  }
  const [wa, wb] = ws
  let ping: ChildProcess | undefined
  let pingOut = ''
  if (wa !== undefined && wb !== undefined) {
    let ok = false
    for (let i = 0; i < 10 && !ok; i++)
      ok = await run('ip', ['netns', 'exec', wa.ns, 'ping', '-c', '1', '-W', '1', wb.ip]).then(
        () => true,
        () => false,
      )
    out.pingBefore = ok ? 'passes' : 'no reply before the restart (not measured)'
    if (ok) {
      ping = spawn('ip', ['netns', 'exec', wa.ns, 'ping', '-i', '0.01', '-W', '1', wb.ip], { stdio: ['ignore', 'pipe', 'pipe'] })
      ping.stdout?.on('data', (d: Buffer) => {
        pingOut = (pingOut + d.toString()).slice(-4000)
      })
      cleanups.push(() => {
        if (ping?.pid !== undefined) killSync(ping.pid, 'SIGKILL', 100)
      })
    }
  }
  await sleep(2000)
  const total = ports + ws.length
  const tb = now()
  const before = await dumpFlows(side.ovs)
  const tBeforeMid = (tb + now()) / 2
  const procsBefore = sampleProcs(side.pids())
  const marks0 = { ...side.up.counts }
  const absent0 = side.up.absentMs?.length ?? 0
  L(`restart: ${total} local ports, ${before.size} flows; kill -9 of the controller`)
  const tKill = now()
  await side.killController()
  await side.restartController()
  const readyS = (now() - tKill) / 1000
  let last = before
  let lastChange = tKill
  let stableSince = now()
  let minFlows = before.size
  const dumpGaps: number[] = []
  let settled = true
  for (;;) {
    const td = now()
    const cur = await dumpFlows(side.ovs)
    dumpGaps.push(now() - td)
    minFlows = Math.min(minFlows, cur.size)
    if (!sameFlows(cur, last)) {
      lastChange = td
      stableSince = now()
    }
    last = cur
    if (now() - stableSince >= cfg.quietS * 1000) break
    if (now() - tKill > 300_000) {
      settled = false
      break
    }
    await sleep(100)
  }
  const after = last
  const tAfter = now() - dumpGaps[dumpGaps.length - 1]! / 2 // at least one dump
  const sinceKillS = (tAfter - tKill) / 1000
  let kept = 0
  let reAdded = 0
  let modified = 0
  let added = 0
  const examples: Json = { added: [], modified: [], reAdded: [], gone: [] }
  const ex = (kind: string, v: unknown): void => {
    if ((examples[kind] as unknown[]).length < 5) (examples[kind] as unknown[]).push(v)
  }
  for (const [k, f] of after) {
    const b = before.get(k)
    if (b === undefined) {
      added++
      ex('added', `${k} ${f.value}`)
      continue
    }
    if (b.value !== f.value) {
      modified++
      ex('modified', { match: k, before: b.value, after: f.value })
      continue
    }
    // untouched: its duration grew by the time between the dumps; re-added since the kill: it is younger than that
    const expected = b.durationS + (tAfter - tBeforeMid) / 1000
    if (f.durationS < expected - 1) {
      reAdded++
      ex('reAdded', `${k} ${f.value} (duration ${f.durationS} s, ${r1(expected)} s if untouched, ${r1(sinceKillS)} s since the kill)`)
    } else kept++
  }
  const goneKeys = [...before.keys()].filter(k => !after.has(k))
  for (const k of goneKeys.slice(0, 5)) ex('gone', `${k} ${before.get(k)?.value ?? ''}`)
  const gone = goneKeys.length
  const procsAfter = sampleProcs(side.pids())
  let lost: Json = { measured: false }
  if (ping !== undefined) {
    const exited = new Promise<void>(resolve => {
      ping?.once('exit', () => {
        resolve()
      })
    })
    ping.kill('SIGINT')
    await Promise.race([exited, sleep(3000)])
    const m = /(\d+) packets transmitted, (\d+) received/.exec(pingOut)
    lost =
      m === null
        ? { measured: false, note: 'no ping summary' }
        : { measured: true, transmitted: Number(m[1]), received: Number(m[2]), lost: Number(m[1]) - Number(m[2]), intervalMs: 10 }
  }
  Object.assign(out, {
    flowsBefore: before.size,
    flowsAfter: after.size,
    minFlowsSeen: minFlows,
    controllerReadyS: r2(readyS),
    resyncDoneS: ((t): number | null => (t === undefined ? null : r2((t - tKill) / 1000)))(side.resyncAt()),
    settledS: r2((lastChange - tKill) / 1000),
    settled,
    quietS: cfg.quietS,
    dumpEveryMs: r1(median(dumpGaps) + 100),
    dumps: dumpGaps.length,
    rewritten: reAdded + modified + added,
    ofTotal: after.size,
    kept,
    reAdded,
    modified,
    added,
    gone,
    controlCpuS: r3(cpuDelta(procsBefore, procsAfter, 'control')),
    switchCpuS: r3(cpuDelta(procsBefore, procsAfter, 'switch')),
    markersCleared: side.up.counts.cleared - marks0.cleared,
    markersSet: side.up.counts.set - marks0.set,
    markerAbsentMs: dist((side.up.absentMs ?? []).slice(absent0)),
    ping: lost,
    notes: side.restartNotes(),
    examples,
    note: 'settledS: from the kill to the last dump that differed from the one before (dumps back to back, then quiet for quietS); rewritten: flows added, changed (cookie/actions) or re-added (duration more than 1 s below its duration before the kill plus the time between the two dumps) of the flows after',
  })
  L(
    `restart: controller ready after ${out.controllerReadyS as number} s, br-int settled ${out.settledS as number} s after the kill; rewritten ${out.rewritten as number} of ${out.ofTotal as number} flows` +
      (lost.measured === true ? `; ping lost ${lost.lost as number} of ${lost.transmitted as number}` : ''),
  )
  return out
}

// ---------------------------------------------------------------------------------------------------------------
// cleanup (also on SIGINT) and the report

const cleanups: (() => void)[] = []
function cleanupAll(): void {
  while (cleanups.length > 0) {
    const f = cleanups.pop()
    try {
      f?.()
    } catch {
      /* best effort */
    }
  }
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    console.error(`bench:peer: ${sig}, cleaning up`)
    cleanupAll()
    process.exit(130)
  })
}

/** A copy of the build for serve's processes: the build/ of the tree may be rebuilt while the bench runs. */
function snapshotApp(dir: string): string {
  const app = join(dir, 'app')
  mkdirSync(app, { recursive: true })
  cpSync(join(REPO, 'build'), join(app, 'build'), { recursive: true })
  cpSync(join(REPO, 'bin'), join(app, 'bin'), { recursive: true })
  cpSync(join(REPO, 'hw-profiles'), join(app, 'hw-profiles'), { recursive: true })
  cpSync(join(REPO, 'package.json'), join(app, 'package.json'))
  symlinkSync(join(REPO, 'node_modules'), join(app, 'node_modules'))
  return app
}

function mentions(dir: string, needle: string): boolean {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory() && mentions(p, needle)) return true
    if (e.isFile() && e.name.endsWith('.js') && readFileSync(p, 'utf8').includes(needle)) return true
  }
  return false
}

const fmt = (x: unknown): string =>
  typeof x === 'number'
    ? Number.isNaN(x)
      ? '-'
      : String(x)
    : x === undefined || x === null
      ? '-'
      : typeof x === 'string'
        ? x
        : JSON.stringify(x)
const ratio = (a: unknown, b: unknown): string =>
  typeof a === 'number' && typeof b === 'number' && b !== 0 && !Number.isNaN(a) && !Number.isNaN(b) ? `${r2(a / b)}` : '-'

function table(ours: Json | undefined, ovn: Json | undefined, cfg: Config): { rows: string[][]; ratios: Record<string, number | null> } {
  const rows: string[][] = [['figure', 'ours', 'OVN', 'ours/OVN']]
  const ratios: Record<string, number | null> = {}
  const add = (name: string, get: (r: Json) => unknown, headline = false): void => {
    const a = ours === undefined ? undefined : get(ours)
    const b = ovn === undefined ? undefined : get(ovn)
    const q = ratio(a, b)
    if (headline) ratios[name] = q === '-' ? null : Number(q)
    rows.push([name, fmt(a), fmt(b), q])
  }
  const P = cfg.ports
  const T = cfg.ports + cfg.batchTotal
  for (const [ph, label] of [
    ['oneByOne', `one by one (${P})`],
    ['batch', `batches of ${cfg.batchSize} (${cfg.batchTotal})`],
  ] as const) {
    add(`${label}: create->up p50 ms`, r => r[ph]?.createToUpMs?.p50, true)
    add(`${label}: create->up p95 ms`, r => r[ph]?.createToUpMs?.p95, true)
    add(`${label}: create->up max ms`, r => r[ph]?.createToUpMs?.max)
    add(`${label}: up after plug p50 ms`, r => r[ph]?.upAfterPlugMs?.p50, true)
    add(`${label}: up after plug p95 ms`, r => r[ph]?.upAfterPlugMs?.p95, true)
    add(`${label}: up after plug max ms`, r => r[ph]?.upAfterPlugMs?.max)
    add(`${label}: create call alone p50 ms`, r => r[ph]?.createCallMs?.p50)
  }
  add(`batch of ${cfg.batchSize}: create -> all up p50 ms`, r => r.batch?.batchWallMs?.p50, true)
  add(`control CPU 0->${P} ports s`, r => r.cpu?.control0toPS)
  add(`control CPU ${P}->${T} ports s`, r => r.cpu?.controlPtoTotalS)
  add(`control CPU 0->${T} ports s (HEADLINE)`, r => r.cpu?.control0toTotalS, true)
  add(`control CPU per port ms (0->${T})`, r => r.cpu?.perPortMs)
  add(`switch CPU 0->${T} ports s (vswitchd + its ovsdb)`, r => r.cpu?.switch0toTotalS, true)
  add(`client CPU 0->${T} s (ovn-nbctl daemon)`, r => r.cpu?.client0toTotalS)
  for (const [i, n] of [
    [0, 0],
    [1, P],
    [2, T],
  ] as const) {
    add(`control RSS at ${n} ports MB`, r => (r.samples as Sample[] | undefined)?.[i]?.controlRssMb, n === T)
    add(`switch RSS at ${n} ports MB`, r => (r.samples as Sample[] | undefined)?.[i]?.switchRssMb)
  }
  add('flows at 0 ports', r => r.flows?.at0)
  add(`flows at ${P} ports`, r => r.flows?.atP)
  add(`flows at ${T} ports`, r => r.flows?.atTotal, true)
  add(`flows per port (0->${T})`, r => r.flows?.perPort, true)
  add(`flows per port, marginal (${P}->${T})`, r => r.flows?.marginalPerPort, true)
  add('restart: controller ready s', r => r.restart?.controllerReadyS)
  add('restart: controller says resynced s', r => r.restart?.resyncDoneS)
  add('restart: br-int settled s after kill -9', r => r.restart?.settledS, true)
  add('restart: flows rewritten', r =>
    r.restart === undefined ? undefined : `${r.restart.rewritten as number} of ${r.restart.ofTotal as number}`,
  )
  add('restart: fewest flows seen', r => r.restart?.minFlowsSeen)
  add('restart: control CPU s', r => r.restart?.controlCpuS)
  add('restart: up markers cleared (then set again)', r => r.restart?.markersCleared)
  add('restart: longest a marker was gone ms', r => r.restart?.markerAbsentMs?.max)
  add('restart: ping lost (10 ms apart)', r =>
    r.restart?.ping?.measured === true
      ? `${r.restart.ping.lost as number} of ${r.restart.ping.transmitted as number}`
      : r.restart?.pingBefore,
  )
  for (const n of cfg.growth) {
    const g = (r: Json): GrowthPoint | undefined => (r.growth as GrowthPoint[] | undefined)?.find(x => x.existing === n)
    add(`one more port after ${n}: create->up ms`, r => g(r)?.createToUpMs, true)
    add(`one more port after ${n}: up after plug ms`, r => g(r)?.upAfterPlugMs)
    add(`one more port after ${n}: control CPU ms`, r => g(r)?.controlCpuMs, true)
  }
  add('load average at start (1/5/15)', r => (r.loadavg?.start as number[] | undefined)?.join(' '))
  add('load average at end (1/5/15)', r => (r.loadavg?.end as number[] | undefined)?.join(' '))
  return { rows, ratios }
}

function aclTable(
  ours: Json | undefined,
  ovn: Json | undefined,
  c: AclConfig,
): { rows: string[][]; ratios: Record<string, number | null> } {
  const rows: string[][] = [['figure', 'ours', 'OVN', 'ours/OVN']]
  const ratios: Record<string, number | null> = {}
  for (const [name, get, headline] of ACL_ROWS) {
    const a = ours === undefined ? undefined : get(ours)
    const b = ovn === undefined ? undefined : get(ovn)
    const q = ratio(a, b)
    if (headline) ratios[name] = q === '-' ? null : Number(q)
    rows.push([name, fmt(a), fmt(b), q])
  }
  rows.push([`acl: local ports / members / rule changes`, `${c.ports} / ${c.members} / ${c.changes}`, '', ''])
  rows.push([
    'acl: load average at start / end (1 min)',
    `${fmt(ours?.loadavg?.start?.[0])} / ${fmt(ours?.loadavg?.end?.[0])}`,
    `${fmt(ovn?.loadavg?.start?.[0])} / ${fmt(ovn?.loadavg?.end?.[0])}`,
    '',
  ])
  return { rows, ratios }
}

/** The security-group part: flows and rule-change times side by side. */
function aclSvgOf(acl: Json, when: string): string {
  const both = (f: (r: Json) => unknown): (number | undefined)[] =>
    ['ours', 'ovn'].map(k => {
      const v = acl.sides?.[k] === undefined ? undefined : f(acl.sides[k] as Json)
      return typeof v === 'number' && !Number.isNaN(v) ? v : undefined
    })
  const c = acl.config as AclConfig
  return barsSvg({
    title: 'bench:peer: security groups (ours vs OVN 23.03, same machine, one after the other)',
    subtitle: `${when.slice(0, 16)}Z; 20 rules, a remote group of ${c.members} members, ${c.ports} local ports; rule change = ingress TCP from the remote group, added then deleted (median of ${c.changes})`,
    width: 1000,
    bars: [
      {
        title: 'flows per local port',
        subtitle: 'on br-int (dump-aggregate)',
        yLabel: 'flows',
        xLabel: '',
        unit: 'flows',
        series: ['ours', 'OVN'],
        groups: [
          { label: 'incl. shared', values: both(r => r.flows?.perPort) },
          { label: 'marginal', values: both(r => r.flows?.marginalPerPort) },
        ],
      },
      {
        title: 'one rule change -> br-int ms',
        subtitle: 'from the API call / NB transaction',
        yLabel: 'ms',
        xLabel: '',
        unit: 'ms',
        series: ['ours', 'OVN'],
        groups: [
          { label: 'add: first flow', values: both(r => r.ruleChange?.addFirstP50Ms) },
          { label: 'add: settled', values: both(r => r.ruleChange?.addSettledP50Ms) },
          { label: 'delete: gone', values: both(r => r.ruleChange?.deleteGoneP50Ms) },
        ],
      },
    ],
  })
}

/** Until the processes' CPU stays under `rate` ms per second for 2 s (at most maxS). */
async function waitQuiet(pids: () => (number | undefined)[], rate: number, maxS: number): Promise<{ waitedS: number; quiet: boolean }> {
  const t0 = now()
  let prev = schedMs(pids())
  let tp = now()
  let okSince: number | undefined
  for (;;) {
    await sleep(500)
    const c = schedMs(pids())
    const t = now()
    const r = (c - prev) / ((t - tp) / 1000)
    prev = c
    tp = t
    if (r <= rate) {
      okSince ??= t
      if (t - okSince >= 2000) return { waitedS: r1((t - t0) / 1000), quiet: true }
    } else okSince = undefined
    if (t - t0 > maxS * 1000) return { waitedS: r1((t - t0) / 1000), quiet: false }
  }
}

function printTable(rows: string[][]): void {
  const w = rows[0]?.map((_, c) => Math.max(...rows.map(r => (r[c] ?? '').length))) ?? []
  for (const [i, r] of rows.entries()) {
    console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(w[c] ?? 0) : cell.padStart(w[c] ?? 0))).join('  '))
    if (i === 0) console.log(w.map(n => '-'.repeat(n)).join('  '))
  }
}

async function main(): Promise<void> {
  const { flags } = parseFlags(process.argv.slice(2), ['skip-ovn', 'skip-ours', 'no-ping', 'acl-only', 'no-acl'])
  const num = (k: string, d: number): number => {
    const v = Number(flags.get(k) ?? d)
    if (!Number.isFinite(v) || v < 0) throw new Error(`--${k}: not a number: ${flags.get(k) ?? ''}`)
    return v
  }
  const cfg: Config = {
    ports: num('ports', 200),
    batchTotal: num('batch-total', 800),
    batchSize: Math.max(1, num('batch-size', 50)),
    growth: (flags.get('growth') ?? '100,1000,5000,10000')
      .split(',')
      .filter(s => s.trim() !== '')
      .map(Number),
    probes: Math.max(1, num('probes', 5)),
    quietS: num('quiet', 5),
    fillChunk: Math.max(2, num('fill-chunk', 500)),
    stallS: num('stall', 600),
    quietRate: num('quiet-rate', 50),
    settleMaxS: num('settle-max', 600),
    ping: !flags.has('no-ping'),
  }
  if (cfg.growth.some(n => !Number.isInteger(n) || n < 0))
    throw new Error(`--growth: a list of port counts, not ${flags.get('growth') ?? ''}`)
  // the security-group part (acl-peer.ts): --acl-only runs just it (a few minutes), --no-acl leaves it out
  const aclOnly = flags.has('acl-only')
  const aclCfg: AclConfig | undefined = flags.has('no-acl')
    ? undefined
    : {
        ports: Math.max(2, num('acl-ports', 200)),
        members: num('acl-members', 1000),
        changes: Math.max(1, num('acl-changes', 5)),
        batchSize: cfg.batchSize,
      }
  if (aclOnly && aclCfg === undefined) throw new Error('--acl-only and --no-acl exclude each other')
  const outDir = flags.get('out') ?? join(REPO, 'bench/results')
  const replot = flags.get('replot')
  if (replot !== undefined) {
    // draw peer.svg again from a peer.json (no measuring)
    const r = JSON.parse(readFileSync(replot, 'utf8')) as Json
    const svg = join(dirname(replot), 'peer.svg')
    writeFileSync(svg, svgOf(r.sides as Json, r.config as Config, r.when as string))
    console.log(`wrote ${svg}`)
    return
  }
  const up = (flags.get('up') ?? UP_SIGNAL) as 'auto' | 'marker' | 'active'
  if (!['auto', 'marker', 'active'].includes(up)) throw new Error('--up: auto, marker or active')
  if (process.getuid?.() !== 0) throw new Error('bench:peer needs root (network namespaces, Open vSwitch)')
  for (const tool of ['ovn-northd', 'ovn-controller', 'ovn-nbctl', 'ovs-vswitchd', 'ovsdb-server']) {
    if (spawnSync('which', [tool]).status !== 0 && !flags.has('skip-ovn'))
      throw new Error(`${tool} not on PATH: run scripts/install-deps.sh`)
  }
  mkdirSync(outDir, { recursive: true })
  const log = (l: string): void => {
    console.log(`${new Date().toISOString().slice(11, 19)} ${l}`)
  }
  const loadStart = loadavg().map(r2)
  const dir = mkdtempSync(join(tmpdir(), 'dfe-bench-peer-'))
  cleanups.push(() => {
    rmSync(dir, { recursive: true, force: true })
  })
  const tag = (process.pid % 46656).toString(36)
  const result: Json = {
    when: new Date().toISOString(),
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? '',
    config: cfg,
    interfaces:
      "measured ports: OVS type=internal (a tap device in vswitchd's namespace, as a VM tap), the same on both; growth filler: patch-port pairs with an iface-id on each end; the restart ping: two veth workloads in namespaces, one per network",
    comparison:
      'OVN: a port create is one NB transaction (ovn-nbctl daemon over its unixctl socket: no process start, no DB download); ours: one Neutron API call over HTTP (POST /v2.0/ports, bulk {"ports": [...]} for a batch). "up after plug" leaves the API/NB out: from ovs-vsctl add-port returning (vswitchd has the port) to up',
    loadavg: { start: loadStart },
  }
  const sides: Json = {}
  try {
    const app = snapshotApp(dir)
    const upOurs: 'marker' | 'active' = up === 'auto' ? (mentions(join(app, 'build/agent'), OURS_MARKER) ? 'marker' : 'active') : up
    log(
      `bench:peer: ${aclOnly ? 'security groups only' : `${cfg.ports} one by one + ${cfg.batchTotal} in batches of ${cfg.batchSize}, growth ${cfg.growth.join(',')}`}` +
        `${aclCfg !== undefined ? `; security groups: ${aclCfg.ports} local ports, ${aclCfg.members} members, ${aclCfg.changes} rule changes` : ''}; load ${loadStart.join(' ')}; CLK_TCK ${CLK_TCK}`,
    )
    // one side after the other, never both at once; a side that fails keeps what it measured
    const measure = async (name: 'ours' | 'ovn', make: () => Side): Promise<void> => {
      if (flags.has(`skip-${name}`)) return
      const side = make()
      cleanups.push(() => {
        side.stopSync()
      })
      const r: Json = {}
      sides[name] = r
      try {
        await runSide(side, cfg, tag, log, r)
      } catch (err) {
        r.error = err instanceof Error ? err.message : String(err)
        log(`[${name}] FAILED: ${r.error as string}`)
      } finally {
        const pr = side.problems()
        r.problems = { count: pr.length, first: pr.slice(0, 20), last: pr.slice(-20) }
        r.loadavg = { ...(r.loadavg as Json | undefined), end: loadavg().map(r2) }
        await side.up.close()
        side.stopSync()
      }
    }
    if (!aclOnly) {
      await measure('ours', () => new OursSide(app, join(dir, 'ours'), `dfpo${tag}`, join(outDir, 'peer-serve.log'), upOurs))
      await measure('ovn', () => new OvnSide(join(dir, 'ovn'), `dfpn${tag}`, log, join(outDir, 'peer-ovn-')))
    }
    if (aclCfg !== undefined) {
      // each side started afresh: the groups on a clean node, never both systems at once
      const acl: Json = { config: aclCfg, comparison: ACL_COMPARISON, loadavg: { start: loadavg().map(r2) }, sides: {} }
      result.acl = acl
      const measureAcl = async (name: 'ours' | 'ovn', make: () => Side): Promise<void> => {
        if (flags.has(`skip-${name}`)) return
        const side = make()
        cleanups.push(() => {
          side.stopSync()
        })
        const r: Json = { loadavg: { start: loadavg().map(r2) } }
        acl.sides[name] = r
        const ctl = (): (number | undefined)[] => Object.values(side.pids().control)
        try {
          await runAclSide(
            side,
            aclCfg,
            { plug: plugInternal, flowCount, quiet: async () => await waitQuiet(ctl, cfg.quietRate, cfg.settleMaxS), log },
            r,
          )
        } catch (err) {
          r.error = err instanceof Error ? err.message : String(err)
          log(`[${name} acl] FAILED: ${r.error as string}`)
        } finally {
          const pr = side.problems()
          r.problems = { count: pr.length, first: pr.slice(0, 20), last: pr.slice(-20) }
          r.loadavg.end = loadavg().map(r2)
          await side.up.close()
          side.stopSync()
        }
      }
      await measureAcl('ours', () => new OursSide(app, join(dir, 'ours-acl'), `dfqo${tag}`, join(outDir, 'peer-acl-serve.log'), upOurs))
      await measureAcl('ovn', () => new OvnSide(join(dir, 'ovn-acl'), `dfqn${tag}`, log, join(outDir, 'peer-acl-ovn-')))
      acl.loadavg.end = loadavg().map(r2)
    }
  } finally {
    cleanupAll()
  }
  result.loadavg.end = loadavg().map(r2)
  result.sides = sides
  const { rows, ratios } = table(sides.ours as Json | undefined, sides.ovn as Json | undefined, cfg)
  result.ratios = ratios
  console.log('')
  if (!aclOnly) printTable(rows)
  if (result.acl !== undefined) {
    const a = result.acl as Json
    const t = aclTable(a.sides.ours as Json | undefined, a.sides.ovn as Json | undefined, a.config as AclConfig)
    a.ratios = t.ratios
    console.log(
      `\nsecurity groups: 20 rules, a remote group of ${(a.config as AclConfig).members} members, ${(a.config as AclConfig).ports} local ports (each side started afresh)`,
    )
    printTable(t.rows)
    for (const k of ['ours', 'ovn'] as const)
      if (a.sides[k]?.error !== undefined) console.log(`${k} acl: FAILED: ${a.sides[k].error as string}`)
  }
  console.log(
    `\nload average (1/5/15 min): ${loadStart.join(' ')} at the start, ${(result.loadavg.end as number[]).join(' ')} at the end (2 shared cores: other work slows every figure)`,
  )
  if (!aclOnly) console.log(`how the two differ: ${result.comparison as string}`)
  if (result.acl !== undefined) console.log(`security groups, how the two differ: ${ACL_COMPARISON}`)
  for (const k of ['ours', 'ovn'] as const) {
    const s = sides[k] as Json | undefined
    if (s?.error !== undefined) console.log(`${k}: FAILED: ${s.error as string}`)
    if (s?.growthFailed !== undefined)
      console.log(
        `${k}: growth curve stopped: filling to ${s.growthFailed.target as number} ports failed with ${s.growthFailed.upBefore as number} up: ${s.growthFailed.error as string}${s.growthFailed.lastProblem !== null ? ` (last warning: ${s.growthFailed.lastProblem as string})` : ''}`,
      )
    const pr = s?.problems as { count: number; first: string[]; last: string[] } | undefined
    if (pr !== undefined && pr.count > 0)
      console.log(
        `${k}: ${pr.count} warning/error line(s) in its output; first: ${pr.first.slice(0, 2).join(' | ')}; last: ${pr.last.slice(-2).join(' | ')}`,
      )
  }
  // --acl-only keeps the full run's peer.json and peer.svg
  const json = join(outDir, aclOnly ? 'peer-acl.json' : 'peer.json')
  writeFileSync(json, JSON.stringify(result, null, 2) + '\n')
  const written = [json]
  if (!aclOnly) {
    const svg = join(outDir, 'peer.svg')
    writeFileSync(svg, svgOf(sides, cfg, result.when as string))
    written.push(svg)
  }
  if (result.acl !== undefined) {
    const svg = join(outDir, 'peer-acl.svg')
    writeFileSync(svg, aclSvgOf(result.acl as Json, result.when as string))
    written.push(svg)
  }
  console.log(
    `\n${written.map(f => `wrote ${f}`).join('\n')}\nlogs in ${outDir}: ` +
      `${aclOnly ? '' : "peer-serve.log (serve's output), peer-ours-ovs-vswitchd.log, peer-ovn-*.log; "}${result.acl !== undefined ? 'peer-acl-serve.log, peer-acl-ovn-*.log' : ''}`,
  )
  const aclSides = Object.values(((result.acl as Json | undefined)?.sides ?? {}) as Json)
  if ([...Object.values(sides), ...aclSides].some(s => (s as Json).error !== undefined)) process.exitCode = 1
}

function svgOf(sides: Json, cfg: Config, when: string): string {
  const pts = (k: string, f: 'createToUpMs' | 'upAfterPlugMs'): { x: number; y: number }[] =>
    ((sides[k]?.ports ?? []) as PortTiming[])
      .filter(t => t.index < cfg.ports + cfg.batchTotal + cfg.probes)
      .map(t => ({ x: t.index, y: t[f] }))
  const sample = (k: string, i: number): Sample | undefined => (sides[k]?.samples as Sample[] | undefined)?.[i]
  const both = (f: (k: string) => number | undefined): (number | undefined)[] => ['ours', 'ovn'].map(f)
  const T = cfg.ports + cfg.batchTotal
  return peerSvg({
    latency: {
      title: 'bench:peer: port up latency per port (ours vs OVN 23.03, same machine)',
      subtitle: `${when.slice(0, 16)}Z; ports 0-${cfg.ports - 1} one by one, then batches of ${cfg.batchSize}\nfilled: from the create; hollow: from the plug returning (up before the plug returned: drawn at the floor)`,
      xLabel: 'port index',
      yLabel: 'ms until up (log scale)',
      width: 1000,
      marks: [{ x: cfg.ports, label: `batches of ${cfg.batchSize} ->` }],
      series: [
        { label: 'ours create->up', colour: '#4e79a7', points: pts('ours', 'createToUpMs') },
        { label: 'ours plug->up', colour: '#4e79a7', hollow: true, points: pts('ours', 'upAfterPlugMs') },
        { label: 'OVN create->up', colour: '#f28e2b', points: pts('ovn', 'createToUpMs') },
        { label: 'OVN plug->up', colour: '#f28e2b', hollow: true, points: pts('ovn', 'upAfterPlugMs') },
      ],
    },
    bars: [
      {
        title: 'control-plane and switch CPU s',
        subtitle: 'utime+stime (+children) from /proc',
        yLabel: 'CPU seconds',
        xLabel: '',
        unit: 's',
        series: ['ours', 'OVN'],
        groups: [
          { label: `control 0->${cfg.ports}`, values: both(k => sides[k]?.cpu?.control0toPS as number | undefined) },
          { label: `control 0->${T}`, values: both(k => sides[k]?.cpu?.control0toTotalS as number | undefined) },
          { label: `switch 0->${T}`, values: both(k => sides[k]?.cpu?.switch0toTotalS as number | undefined) },
          { label: 'restart', values: both(k => sides[k]?.restart?.controlCpuS as number | undefined) },
        ],
      },
      {
        title: 'RSS MB',
        subtitle: 'VmRSS, summed per role',
        yLabel: 'MB',
        xLabel: '',
        unit: 'MB',
        series: ['ours', 'OVN'],
        groups: [
          { label: 'control at 0', values: both(k => sample(k, 0)?.controlRssMb) },
          { label: `control at ${cfg.ports}`, values: both(k => sample(k, 1)?.controlRssMb) },
          { label: `control at ${T}`, values: both(k => sample(k, 2)?.controlRssMb) },
          { label: `switch at ${T}`, values: both(k => sample(k, 2)?.switchRssMb) },
        ],
      },
      {
        title: 'one more port: control-plane CPU ms',
        subtitle: 'after N existing local ports (median of the probes)',
        yLabel: 'CPU ms',
        xLabel: 'existing local ports',
        unit: 'ms',
        series: ['ours', 'OVN'],
        groups: cfg.growth.map(n => ({
          label: String(n),
          values: both(k => (sides[k]?.growth as GrowthPoint[] | undefined)?.find(g => g.existing === n)?.controlCpuMs),
        })),
      },
      {
        title: 'one more port: create -> up ms',
        subtitle: 'after N existing local ports (median of the probes)',
        yLabel: 'ms',
        xLabel: 'existing local ports',
        unit: 'ms',
        series: ['ours', 'OVN'],
        groups: cfg.growth.map(n => ({
          label: String(n),
          values: both(k => (sides[k]?.growth as GrowthPoint[] | undefined)?.find(g => g.existing === n)?.createToUpMs),
        })),
      },
    ],
  })
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err)
  cleanupAll()
  process.exitCode = 1
})
