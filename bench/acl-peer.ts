// bench:peer's security-group part: the same groups on both sides in one run, each side started fresh.
//   ours  through the Neutron API: a remote group whose members are `members` ports created on network 0 and
//         never plugged (only their addresses matter, as for ports on other chassis), a group of 20 rules
//         (acl-rules.ts; 6 name the remote group), the local ports created in it (bulk, 50 a call)
//   OVN   through ovn-nbctl, as Neutron's OVN driver would write the same: the members as logical switch ports
//         (unbound) and an address set with their addresses; a port group with the 20 rules as allow-related
//         ACLs (priority 1002), neutron_pg_drop with the default drop ACLs (1001), the local ports in both
//         port groups (one NB transaction per 50)
// Measured: flows on br-int (ovs-ofctl dump-aggregate) with the groups and no local port, with half and with all
// the local ports (total, per port, marginal per port over the second half); then `changes` times a rule added
// to the 20-rule group (ingress TCP 7000+k from the remote group) and deleted again: from the API call / NB
// transaction to the rule's flows on br-int (`ovs-ofctl dump-flows br-int tcp,tp_dst=<port>`, polled back to
// back: the first flow seen, and the last change of their count, waited for until it is stable for 1 s). A time
// is taken when the dump that saw it returned: late by at most one dump (pollMs in the JSON, ~10-30 ms here).
import { performance } from 'node:perf_hooks'
import type { PrivateOvs } from '../agent/controller/private-ovs.js'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON results

export interface AclPortRef {
  index: number
  net: 0 | 1
  id: string
  mac: string
  ip: string
}

/** What a side does for this part (peer.ts's OursSide and OvnSide implement it). */
export interface AclOps {
  /** The remote group with `members` members, the 20-rule group. */
  groups(members: number): Promise<void>
  /** Local ports in the 20-rule group, in one call (bulk API call / one NB transaction). */
  createPorts(specs: { index: number; net: 0 | 1 }[]): Promise<AclPortRef[]>
  /** Adds the change rule for TCP `port`; returns what deleteRule needs. */
  addRule(port: number): Promise<string>
  deleteRule(handle: string): Promise<void>
}

export interface AclSide {
  readonly key: 'ours' | 'ovn'
  readonly label: string
  readonly ovs: PrivateOvs
  readonly acl: AclOps
  readonly up: { waitUp(ids: string[], timeoutMs: number, failed: () => Error | undefined): Promise<Map<string, number>> }
  start(): Promise<void>
  topology(): Promise<void>
  failed(): Error | undefined
}

export interface AclConfig {
  ports: number
  members: number
  changes: number
  batchSize: number
}

export interface AclTools {
  plug(ovs: PrivateOvs, ports: AclPortRef[]): Promise<void>
  flowCount(ovs: PrivateOvs): Promise<number>
  /** Waits until the control plane is quiet (peer.ts's quietFor). */
  quiet(): Promise<unknown>
  log(line: string): void
}

const r1 = (x: number): number => Math.round(x * 10) / 10
const r2 = (x: number): number => Math.round(x * 100) / 100
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : (s[Math.floor(s.length / 2)] as number)
}

/** The flows on br-int that match TCP destination `port` exactly (OpenFlow non-strict: at least that match). */
async function flowsForPort(ovs: PrivateOvs, port: number): Promise<number> {
  const out = await ovs.ofctl('dump-flows', 'br-int', `tcp,tp_dst=${port}`)
  return out.split('\n').filter(l => l.includes('cookie=')).length
}

/**
 * Polls the rule's flows back to back from t0 until `done(count)` holds and the count stayed the same for
 * 1 s: the first time done held, and the last time the count changed (both ms after t0).
 */
async function watchRule(
  ovs: PrivateOvs,
  port: number,
  t0: number,
  done: (n: number) => boolean,
  timeoutMs = 120_000,
): Promise<{ firstMs: number; settledMs: number; flows: number; polls: number; pollMs: number }> {
  let first: number | undefined
  let last = -1
  let lastChange = t0
  let polls = 0
  for (;;) {
    const n = await flowsForPort(ovs, port)
    // the dump's end: the flows were there by then (an upper bound, one ovs-ofctl run late at most)
    const t = performance.now()
    polls++
    if (n !== last) {
      last = n
      lastChange = t
    }
    if (first === undefined && done(n)) first = t
    if (first !== undefined && performance.now() - lastChange >= 1000)
      return { firstMs: r1(first - t0), settledMs: r1(lastChange - t0), flows: n, polls, pollMs: r1((performance.now() - t0) / polls) }
    if (performance.now() - t0 > timeoutMs)
      throw new Error(`the rule for TCP ${port} did not ${done(1) ? 'appear' : 'go'} on br-int in ${timeoutMs / 1000} s (${n} flows)`)
  }
}

/** Fills `result` as it goes (a side that fails half-way keeps what it measured). */
export async function runAclSide(side: AclSide, cfg: AclConfig, tools: AclTools, result: Json): Promise<void> {
  const L = (l: string): void => {
    tools.log(`[${side.key} acl] ${l}`)
  }
  result.label = side.label
  await side.start()
  await side.topology()
  const tg = performance.now()
  await side.acl.groups(cfg.members)
  await tools.quiet()
  const groupsS = (performance.now() - tg) / 1000
  const f0 = await tools.flowCount(side.ovs)
  L(`remote group of ${cfg.members} members and the 20-rule group in ${r1(groupsS)} s; ${f0} flows on br-int`)
  const samples: { ports: number; flows: number }[] = [{ ports: 0, flows: f0 }]
  result.samples = samples
  const half = Math.floor(cfg.ports / 2)
  let count = 0
  const upMs: number[] = []
  while (count < cfg.ports) {
    const n = Math.min(cfg.batchSize, cfg.ports - count, count < half ? half - count : cfg.ports - count)
    const specs = Array.from({ length: n }, (_, k) => ({ index: 100_000 + count + k, net: 0 as const }))
    const t0 = performance.now()
    const ports = await side.acl.createPorts(specs)
    await tools.plug(side.ovs, ports)
    const ups = await side.up.waitUp(
      ports.map(p => p.id),
      300_000,
      () => side.failed(),
    )
    upMs.push(Math.max(...ups.values()) - t0)
    count += n
    if (count === half || count === cfg.ports) {
      await tools.quiet()
      samples.push({ ports: count, flows: await tools.flowCount(side.ovs) })
      L(`${count} local ports in the 20-rule group up; ${samples.at(-1)?.flows ?? NaN} flows`)
    }
  }
  const fHalf = samples[1]?.flows ?? NaN
  const fAll = samples.at(-1)?.flows ?? NaN
  result.flows = {
    withGroupsNoPort: f0,
    atHalf: fHalf,
    total: fAll,
    ports: cfg.ports,
    perPort: r2((fAll - f0) / cfg.ports),
    marginalPerPort: r2((fAll - fHalf) / Math.max(1, cfg.ports - half)),
  }
  result.batchUpMs = { p50: r1(median(upMs)), max: r1(Math.max(...upMs)), batchSize: cfg.batchSize }
  const changes: Json[] = []
  result.changes = changes
  for (let k = 0; k < cfg.changes; k++) {
    const port = 7000 + k
    if ((await flowsForPort(side.ovs, port)) !== 0) throw new Error(`flows for TCP ${port} on br-int before the rule exists`)
    const t0 = performance.now()
    const handle = await side.acl.addRule(port)
    const callMs = performance.now() - t0
    const add = await watchRule(side.ovs, port, t0, n => n > 0)
    await tools.quiet()
    const t1 = performance.now()
    await side.acl.deleteRule(handle)
    const delCallMs = performance.now() - t1
    const del = await watchRule(side.ovs, port, t1, n => n === 0)
    changes.push({ port, add: { callMs: r1(callMs), ...add }, delete: { callMs: r1(delCallMs), ...del } })
    L(
      `rule change ${k + 1}/${cfg.changes}: add seen ${add.firstMs} ms (settled ${add.settledMs} ms, ${add.flows} flows, call ${r1(callMs)} ms); delete gone ${del.firstMs} ms`,
    )
    await tools.quiet()
  }
  result.ruleChange = {
    addFirstP50Ms: r1(median(changes.map(c => c.add.firstMs as number))),
    addSettledP50Ms: r1(median(changes.map(c => c.add.settledMs as number))),
    addCallP50Ms: r1(median(changes.map(c => c.add.callMs as number))),
    flowsOfRule: median(changes.map(c => c.add.flows as number)),
    deleteGoneP50Ms: r1(median(changes.map(c => c.delete.firstMs as number))),
    deleteSettledP50Ms: r1(median(changes.map(c => c.delete.settledMs as number))),
    pollP50Ms: r1(median(changes.map(c => c.add.pollMs as number))),
  }
}

/** Rows for peer.ts's table: [figure, ours, OVN] getters over the two sides' results. */
export const ACL_ROWS: [string, (r: Json) => unknown, boolean][] = [
  ['acl: flows with the groups, no local port', r => r.flows?.withGroupsNoPort, false],
  ['acl: flows with the local ports (total)', r => r.flows?.total, true],
  ['acl: flows per local port (incl. shared)', r => r.flows?.perPort, true],
  ['acl: flows per local port, marginal (2nd half)', r => r.flows?.marginalPerPort, true],
  ['acl: batch create -> all up p50 ms', r => r.batchUpMs?.p50, false],
  ['acl: rule add -> first flow on br-int p50 ms', r => r.ruleChange?.addFirstP50Ms, true],
  ['acl: rule add -> br-int settled p50 ms', r => r.ruleChange?.addSettledP50Ms, true],
  ['acl: rule add call alone p50 ms (API / NB txn)', r => r.ruleChange?.addCallP50Ms, false],
  ['acl: flows of the added rule', r => r.ruleChange?.flowsOfRule, false],
  ['acl: rule delete -> flows gone p50 ms', r => r.ruleChange?.deleteGoneP50Ms, true],
  ['acl: one poll of br-int (time resolution) ms', r => r.ruleChange?.pollP50Ms, false],
]
