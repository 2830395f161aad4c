// bench:agent's security-group part, on the agent that agent.ts composes (API, store, LocalController on a
// private OVS, one process as in `serve`), on a network of its own:
//   - flows per local port with the project's default group (its ports are members of it: each one adds its
//     addresses to the default group's ingress rules as well as its own flows)
//   - flows per local port with a group of 20 rules, 6 of them naming a remote group of 1 000 members (ports
//     created on the network and never plugged: only their addresses matter, as for ports on other chassis);
//     shared (the members' flows, paid once) and marginal (per port) apart
//   - one rule change (POST /v2.0/security-group-rules to the 20-rule group, then DELETE it) with that group on
//     1 000 local ports: from the API call to the bundle holding the change acknowledged by OVS (the agent's
//     `installed` event with the new acl_rule compiled and nothing else pending: what the control socket's
//     `stats` reports as lastInstall); checked once on br-int with a flow dump: the rule's conjunction id must
//     be on one flow per local port of the group
// The local ports are OVS patch-port pairs (an ofport and an iface-id each, no kernel device, no traffic).
import { performance } from 'node:perf_hooks'
import type { LocalController } from '../agent/controller/local-controller.js'
import type { PrivateOvs } from '../agent/controller/private-ovs.js'
import type { AclRuleEntry } from '../datapath/host/entries.js'
import { TWENTY_RULES, changeRule, neutronRule } from './acl-rules.js'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- API replies

export interface AclAgentOptions {
  base: string
  controller: LocalController
  ovs: PrivateOvs
  /** local ports in the 20-rule group (the brief: 1 000) */
  local: number
  /** local ports in the default group */
  defaults: number
  /** members of the remote group */
  members: number
  /** rule changes measured (each an add and a delete) */
  changes: number
  log: (line: string) => void
}

const r2 = (x: number): number => Math.round(x * 100) / 100
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : (s[Math.min(s.length - 1, Math.floor(p * s.length))] as number)
}

async function call(base: string, method: string, path: string, body?: unknown): Promise<Json> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`)
  return text === '' ? {} : (JSON.parse(text) as Json)
}

async function waitFor(what: string, check: () => boolean, ms = 300_000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setImmediate(resolve))
  }
}

/** Patch-port pairs bound to `ids` (two ports per pair, each with an iface-id), 100 interfaces per ovs-vsctl. */
async function plugPatch(ovs: PrivateOvs, ids: string[], prefix: string): Promise<void> {
  for (let i = 0; i < ids.length; i += 100) {
    const args: string[] = []
    for (let j = i; j < Math.min(ids.length, i + 100); j += 2) {
      const a = `${prefix}a${j}`
      const b = `${prefix}b${j}`
      args.push(
        '--',
        'add-port',
        'br-int',
        a,
        '--',
        'set',
        'Interface',
        a,
        'type=patch',
        `options:peer=${b}`,
        `external_ids:iface-id=${ids[j] ?? ''}`,
      )
      args.push('--', 'add-port', 'br-int', b, '--', 'set', 'Interface', b, 'type=patch', `options:peer=${a}`)
      if (ids[j + 1] !== undefined) args.push(`external_ids:iface-id=${ids[j + 1] ?? ''}`)
    }
    await ovs.vsctl(...args.slice(1))
  }
}

export async function benchAclAgent(o: AclAgentOptions): Promise<Json> {
  const { base, controller: c, ovs, log } = o
  const net = (await call(base, 'POST', '/v2.0/networks', { network: { name: 'bench-acl' } })).network as Json
  const project = net.project_id as string
  await call(base, 'PUT', `/v2.0/quotas/${project}`, { quota: { port: -1, security_group: -1, security_group_rule: -1 } })
  await call(base, 'POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.201.0.0/16' } })
  const createPorts = async (n: number, groups: string[] | undefined, name: string): Promise<string[]> => {
    const ids: string[] = []
    for (let i = 0; i < n; i += 500) {
      const body = Array.from({ length: Math.min(500, n - i) }, (_, k) => ({
        network_id: net.id,
        name: `${name}${i + k}`,
        ...(groups ? { security_groups: groups } : {}),
      }))
      ids.push(...((await call(base, 'POST', '/v2.0/ports', { ports: body })).ports as Json[]).map(p => p.id as string))
    }
    return ids
  }
  const bound = async (ids: string[], prefix: string): Promise<void> => {
    const before = c.stats().localPorts
    await plugPatch(ovs, ids, prefix)
    await waitFor(`${ids.length} local ports bound`, () => c.stats().localPorts >= before + ids.length)
    await waitFor('sync', () => c.inSync)
  }
  const flows = (): number => c.stats().flows

  // an anchor (default group) makes the agent follow the network; what it brings is not per-port
  await bound(await createPorts(1, undefined, 'acl-anchor'), 'ya')
  const f0 = flows()
  log(`acl: network followed, ${f0} flows`)
  await bound(await createPorts(o.defaults, undefined, 'acl-def'), 'yd')
  const f1 = flows()
  const defaultPerPort = (f1 - f0) / o.defaults
  log(`acl: ${o.defaults} local ports in the default group: ${r2(defaultPerPort)} flows per port`)

  // the remote group and its members (never plugged), the 20-rule group
  const remote = (await call(base, 'POST', '/v2.0/security-groups', { security_group: { name: 'bench-members' } })).security_group as Json
  const sg = (await call(base, 'POST', '/v2.0/security-groups', { security_group: { name: 'bench-20' } })).security_group as Json
  for (const r of TWENTY_RULES.filter(x => x.implicit !== true).map(x => neutronRule(x, remote.id as string)))
    await call(base, 'POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: sg.id, ...r } })
  const ruleCount = (
    (await call(base, 'GET', `/v2.0/security-group-rules?security_group_id=${sg.id as string}`)).security_group_rules as Json[]
  ).length
  const tm = performance.now()
  await createPorts(o.members, [remote.id as string], 'acl-m')
  await waitFor('sync', () => c.inSync)
  const f2 = flows()
  log(
    `acl: group of ${ruleCount} rules, ${o.members} members created in ${r2((performance.now() - tm) / 1000)} s; ${f2 - f1} flows for the member ports (L2/ARP on the followed network; no local port holds the group yet)`,
  )

  // local ports in the 20-rule group: the first tenth, then the rest (shared and marginal apart)
  const ids = await createPorts(o.local, [sg.id as string], 'acl-p')
  const first = Math.max(1, Math.floor(o.local / 10))
  const tb = performance.now()
  await bound(ids.slice(0, first), 'yp')
  const f3 = flows()
  await bound(ids.slice(first), 'yq')
  const bindS = (performance.now() - tb) / 1000
  const f4 = flows()
  const marginal = (f4 - f3) / Math.max(1, o.local - first)
  const shared = f4 - f2 - marginal * o.local
  log(
    `acl: ${o.local} local ports in the ${ruleCount}-rule group: ${f4 - f2} flows (${r2(marginal)} per port, ${Math.round(shared)} shared), bound in ${r2(bindS)} s`,
  )

  // one rule change at a time, each an add and a delete of a rule naming the remote group
  const ruleKeys = (): Set<number> => new Set(c.entryIndex.of<AclRuleEntry>('acl_rule').map(e => e.rule))
  const change = async (
    act: () => Promise<unknown>,
    done: (keys: Set<number>) => boolean,
  ): Promise<{ ms: number; apiMs: number; install?: Json }> => {
    let installed = false
    let stats: Json | undefined
    const onInstalled = (s: Json): void => {
      installed = true
      stats = s
    }
    c.on('installed', onInstalled)
    try {
      const t0 = performance.now()
      await act()
      const apiMs = performance.now() - t0
      // the change is on br-int when its entry is compiled, a bundle was committed after the call, and none is pending
      await waitFor('the rule change on br-int', () => installed && c.inSync && done(ruleKeys()), 120_000)
      return { ms: performance.now() - t0, apiMs, ...(stats !== undefined ? { install: stats } : {}) }
    } finally {
      c.off('installed', onInstalled)
    }
  }
  const addMs: number[] = []
  const delMs: number[] = []
  const addApiMs: number[] = []
  let check: Json | undefined
  for (let k = 0; k < o.changes; k++) {
    const before = ruleKeys()
    let ruleId = ''
    const add = await change(
      async () => {
        const rule = { security_group_id: sg.id, ...neutronRule(changeRule(7000 + k), remote.id as string) }
        ruleId = ((await call(base, 'POST', '/v2.0/security-group-rules', { security_group_rule: rule })).security_group_rule as Json)
          .id as string
      },
      keys => keys.size > before.size,
    )
    addMs.push(add.ms)
    addApiMs.push(add.apiMs)
    if (check === undefined) {
      // once: the new rule's conjunction id is on br-int for every local port of the group (not timed)
      const key = [...ruleKeys()].find(x => !before.has(x)) as number
      const dump = await ovs.ofctl('dump-flows', 'br-int')
      const carrying = dump.split('\n').filter(l => l.includes(`conjunction(${key},`)).length
      check = { ruleKey: key, flowsCarryingItsConjunction: carrying, localPortsInGroup: o.local }
      if (carrying < o.local)
        throw new Error(
          `rule change: ${carrying} flows on br-int carry conjunction(${key}, ...), fewer than the ${o.local} local ports of the group`,
        )
    }
    const del = await change(
      async () => {
        await call(base, 'DELETE', `/v2.0/security-group-rules/${ruleId}`)
      },
      keys => keys.size === before.size,
    )
    delMs.push(del.ms)
    log(`acl: rule change ${k + 1}/${o.changes}: add ${r2(add.ms)} ms (API ${r2(add.apiMs)} ms), delete ${r2(del.ms)} ms`)
  }
  return {
    defaultGroup: {
      localPorts: o.defaults,
      flowsPerPort: r2(defaultPerPort),
      note: 'flows added per local port in the default group (its own flows and its address as a member of the group)',
    },
    twentyRuleGroup: {
      rules: ruleCount,
      remoteGroupMembers: o.members,
      localPorts: o.local,
      flowsOfMemberPorts: f2 - f1,
      flowsWithPorts: f4 - f2,
      marginalPerPort: r2(marginal),
      sharedFlows: Math.round(shared),
      perPortIncludingShared: r2((f4 - f2) / o.local),
      bindAndInstallS: r2(bindS),
      note: 'flowsOfMemberPorts: the members are ports of the followed network (their L2/ARP flows) before any local port holds the group; marginal: per local port between the first tenth and all; shared: what the group costs once on top (member prefixes, rule matches)',
    },
    ruleChange: {
      changes: o.changes,
      localPortsInGroup: o.local,
      addP50Ms: r2(pct(addMs, 0.5)),
      addMaxMs: r2(Math.max(...addMs)),
      addApiP50Ms: r2(pct(addApiMs, 0.5)),
      deleteP50Ms: r2(pct(delMs, 0.5)),
      deleteMaxMs: r2(Math.max(...delMs)),
      addMs: addMs.map(r2),
      deleteMs: delMs.map(r2),
      check,
      note: 'from the API call to the bundle with the change acknowledged by OVS (agent installed event, new acl_rule compiled, nothing pending)',
    },
    flows: flows(),
  }
}
