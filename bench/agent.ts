// The agent on a real (private, userspace) Open vSwitch, in one process as `dragonflow serve` composes it:
//   - port create through the API -> its flows committed on br-int (bundle acknowledged), p50/p95 over N ports
//   - DHCP DISCOVER -> ACK through packet-in: a real udhcpc in a workload namespace (wall time of the whole
//     DISCOVER/OFFER/REQUEST/ACK exchange), and the host's own handling time per packet-in
//   - flows per port, and the process RSS with 1k local ports (patch-port pairs stand in for VM interfaces:
//     they get ofports and iface-ids without a kernel device each)
//   - security groups (acl-agent.ts): flows per port with the default group and with a 20-rule group naming a
//     1 000-member remote group, and one rule change reaching the group's 1 000 local ports
// Needs root. Prints a table and writes bench/results/agent.json (agent-acl.json with --acl-only).
//   npm run bench:agent                     (defaults: 200 ports, 20 leases, 1000 local ports; security groups)
//   node build/bench/agent.js --ports 50 --leases 5 --local 200 [--no-acl]
//   node build/bench/agent.js --acl-only [--acl-local 1000] [--acl-defaults 100] [--acl-members 1000] [--acl-changes 5]
import { execFile } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseFlags } from './bench-flags.js'
import { startAgent } from '../agent/start-agent.js'
import { SERVE_STATE, type ServeState } from '../agent/node-state.js'
import { PrivateOvs } from '../agent/controller/private-ovs.js'
import type { LocalController } from '../agent/controller/local-controller.js'
import type { L2Entry } from '../datapath/host/entries.js'
import { startApiServer } from '../northbound/server.js'
import { openStore } from '../store/registry.js'
import { REPO } from '../test/northbound/helpers/api-process.js'
import { benchAclAgent } from './acl-agent.js'
import { silentLogger } from '../log/logger.js'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- API replies

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env, maxBuffer: 64 << 20 }, (err, out, stderr) => {
      if (err !== null) reject(new Error(`${cmd} ${args.slice(0, 6).join(' ')}: ${stderr.trim() || err.message}`))
      else resolve(out)
    })
  })
}

async function call(base: string, method: string, path: string, body?: unknown): Promise<Json> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  })
  const j = (await res.json()) as Json
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(j)}`)
  return j
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : (s[Math.min(s.length - 1, Math.floor(p * s.length))] as number)
}
const r2 = (x: number): number => Math.round(x * 100) / 100

/** True once the port's l2 entry is compiled and every flow change is committed (so its flows are on br-int). */
function hasFlowFor(c: LocalController, mac: string): boolean {
  return c.inSync && c.entryIndex.of<L2Entry>('l2').some(e => e.mac === mac)
}

async function waitFor(what: string, check: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setImmediate(resolve))
  }
}

async function main(): Promise<void> {
  const { flags } = parseFlags(process.argv.slice(2), ['acl-only', 'no-acl'])
  const nPorts = Number(flags.get('ports') ?? 200)
  const nLeases = Number(flags.get('leases') ?? 20)
  const nLocal = Number(flags.get('local') ?? 1000)
  // security groups (acl-agent.ts): --acl-only runs just that part, --no-acl leaves it out
  const aclOnly = flags.has('acl-only')
  const acl = !flags.has('no-acl')
  const aclLocal = Number(flags.get('acl-local') ?? 1000)
  const aclDefaults = Number(flags.get('acl-defaults') ?? 100)
  const aclMembers = Number(flags.get('acl-members') ?? 1000)
  const aclChanges = Math.max(1, Number(flags.get('acl-changes') ?? 5))
  if (process.getuid?.() !== 0) throw new Error('bench:agent needs root (network namespaces, Open vSwitch)')
  // a shared 2-core machine: the load says how much else ran while these figures were taken
  const loadBefore = loadavg().map(r2)
  const dir = mkdtempSync(join(tmpdir(), 'dfe-bench-agent-'))
  const tag = process.pid.toString(36)
  const ovs = new PrivateOvs({ dir: join(dir, 'ovs'), netns: `dfbench${tag}` })
  const workload = `dfbw${tag}`
  const quiet = silentLogger
  let controller: LocalController | undefined
  const store = await openStore({ driver: 'embedded', dir: join(dir, 'store') })
  const server = await startApiServer({ store, host: '127.0.0.1', port: 0, auth: 'none', log: quiet })
  try {
    await ovs.ensure()
    controller = await startAgent({
      store,
      chassisId: 'bench',
      ovsdbTarget: ovs.dbTarget,
      ofSocket: join(dir, 'ovs', 'of.sock'),
      profile: 'ovs-userspace',
      log: quiet,
    })
    const c = controller
    await waitFor('the switch', () => c.inSync, 30_000)
    const base = server.url
    const result: Json = { when: new Date().toISOString(), cpus: cpus().length, cpu: cpus()[0]?.model ?? '' }
    if (!aclOnly) {
      const net = (await call(base, 'POST', '/v2.0/networks', { network: { name: 'bench' } })).network as Json
      // the default port quota is far below what a bench creates
      await call(base, 'PUT', `/v2.0/quotas/${net.project_id as string}`, { quota: { port: -1 } })
      await call(base, 'POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.200.0.0/16' } })

      // an anchor port plugged here, so that the network is followed and every new port gets flows on this node
      const anchor = (await call(base, 'POST', '/v2.0/ports', { port: { network_id: net.id, name: 'anchor' } })).port as Json
      // `dragonflow plug` finds the node through <dir>/serve.json, as `serve` writes it
      const state: ServeState = {
        pid: process.pid,
        api: base,
        ovsdb: ovs.dbTarget,
        ovsRundir: ovs.dir,
        netns: ovs.netns,
        ofSocket: join(dir, 'ovs', 'of.sock'),
        bridge: 'br-int',
        chassisId: 'bench',
      }
      writeFileSync(join(dir, SERVE_STATE), JSON.stringify(state))
      await sh(process.execPath, [
        join(REPO, 'bin/dragonflow.js'),
        'plug',
        '--data-dir',
        dir,
        '--port',
        anchor.id,
        '--netns',
        workload,
        '--mac',
        anchor.mac_address,
      ])
      await waitFor("the anchor's flows", () => hasFlowFor(c, anchor.mac_address as string) && c.inSync)
      const flowsBefore = c.stats().flows

      // 1. port create -> flows committed
      const createMs: number[] = []
      const apiMs: number[] = []
      for (let i = 0; i < nPorts; i++) {
        const t0 = performance.now()
        const p = (await call(base, 'POST', '/v2.0/ports', { port: { network_id: net.id } })).port as Json
        apiMs.push(performance.now() - t0)
        await waitFor(`flows of port ${i}`, () => hasFlowFor(c, p.mac_address as string))
        createMs.push(performance.now() - t0)
      }
      await waitFor('sync', () => c.inSync)
      const remoteFlowsPerPort = (c.stats().flows - flowsBefore) / nPorts

      // 2. DHCP through packet-in, with a real client
      const script = join(dir, 'lease.sh')
      writeFileSync(script, '#!/bin/sh\n[ "$1" = bound ] && echo LEASE $ip\nexit 0\n')
      chmodSync(script, 0o755)
      const leaseMs: number[] = []
      for (let i = 0; i < nLeases; i++) {
        const t0 = performance.now()
        const out = await sh('ip', [
          'netns',
          'exec',
          workload,
          'busybox',
          'udhcpc',
          '-i',
          'eth0',
          '-f',
          '-q',
          '-n',
          '-t',
          '5',
          '-T',
          '1',
          '-s',
          script,
        ])
        if (!out.includes('LEASE')) throw new Error(`no lease: ${out}`)
        leaseMs.push(performance.now() - t0)
        // stay inside the port's DHCP budget (DhcpEntry.rate, default 10 packet-ins/s, 2 per lease): back to back,
        // the datapath's rate limit drops a DISCOVER now and then and the figure measures udhcpc's 1 s resend instead
        await new Promise(resolve => setTimeout(resolve, 300))
      }
      const hostMs = c.stats().packetIns.recentMs

      // 3. 1k local ports: patch-port pairs with iface-ids of real API ports
      const localIds: string[] = []
      for (let i = 0; i < nLocal; i++)
        localIds.push(((await call(base, 'POST', '/v2.0/ports', { port: { network_id: net.id } })).port as Json).id as string)
      const boundBefore = c.stats().localPorts
      const flowsBeforeLocal = c.stats().flows
      // API latency with no flow work in flight, then while the 1k ports are bound and installed (same event loop)
      const probe = async (): Promise<number> => {
        const s0 = performance.now()
        await call(base, 'GET', `/v2.0/networks/${net.id as string}`)
        return performance.now() - s0
      }
      const idleMs: number[] = []
      for (let i = 0; i < 50; i++) {
        idleMs.push(await probe())
        await new Promise(resolve => setTimeout(resolve, 10))
      }
      const busyMs: number[] = []
      let probing = true
      const prober = (async () => {
        while (probing) {
          busyMs.push(await probe())
          await new Promise(resolve => setTimeout(resolve, 10))
        }
      })()
      const t0 = performance.now()
      for (let i = 0; i < nLocal; i += 100) {
        const args: string[] = []
        for (let j = i; j < Math.min(nLocal, i + 100); j += 2) {
          const a = `bpa${j}`
          const b = `bpb${j}`
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
            `external_ids:iface-id=${localIds[j] ?? ''}`,
          )
          if (localIds[j + 1] !== undefined)
            args.push(
              '--',
              'add-port',
              'br-int',
              b,
              '--',
              'set',
              'Interface',
              b,
              'type=patch',
              `options:peer=${a}`,
              `external_ids:iface-id=${localIds[j + 1] ?? ''}`,
            )
        }
        await ovs.vsctl(...args.slice(1))
      }
      await waitFor(`${nLocal} local ports`, () => c.stats().localPorts >= boundBefore + nLocal - 1, 300_000)
      await waitFor('sync', () => c.inSync, 300_000)
      const bindAllS = (performance.now() - t0) / 1000
      probing = false
      await prober
      const localFlowsPerPort = (c.stats().flows - flowsBeforeLocal) / nLocal
      const gcBeforeRss = typeof global.gc === 'function' // only with node --expose-gc; npm run bench:agent does not pass it
      global.gc?.()
      const rssMb = process.memoryUsage().rss / 2 ** 20

      const figures = {
        portCreateToFlows: {
          ports: nPorts,
          p50Ms: r2(pct(createMs, 0.5)),
          p95Ms: r2(pct(createMs, 0.95)),
          maxMs: r2(Math.max(...createMs)),
          apiReplyP50Ms: r2(pct(apiMs, 0.5)),
          apiReplyP95Ms: r2(pct(apiMs, 0.95)),
          note: 'from sending POST /v2.0/ports to the bundle with its flows acknowledged by OVS; apiReply: the POST alone (durable store write)',
        },
        dhcp: {
          leases: nLeases,
          udhcpcP50Ms: r2(pct(leaseMs, 0.5)),
          udhcpcP95Ms: r2(pct(leaseMs, 0.95)),
          // udhcpc -T 1 resends after 1 s without an answer: a lease past 1 s had a lost or late packet on the way
          leasesOver1s: leaseMs.filter(ms => ms > 1000).length,
          hostPacketInP50Ms: r2(pct(hostMs, 0.5)),
          hostPacketInP95Ms: r2(pct(hostMs, 0.95)),
          note: 'udhcpc: process start to lease (DISCOVER, OFFER, REQUEST, ACK: two packet-ins; a lease over 1 s includes a udhcpc resend); host: PACKET_IN to PACKET_OUT; leases 300 ms apart, inside the port DHCP rate limit of 10 packet-ins/s',
        },
        flowsPerPort: { otherPortOnFollowedNetwork: r2(remoteFlowsPerPort), localPort: r2(localFlowsPerPort) },
        localPorts: {
          ports: nLocal,
          bindAndInstallS: r2(bindAllS),
          flows: c.stats().flows,
          rssMb: r2(rssMb),
          gcBeforeRss,
          note:
            'RSS of the process holding API server + agent + WASM datapath (as dragonflow serve); the local ports are OVS patch-port pairs ' +
            'standing in for VM interfaces (ofport and iface-id, no kernel device, no traffic)',
        },
        apiWhileInstalling: {
          idleP50Ms: r2(pct(idleMs, 0.5)),
          idleP95Ms: r2(pct(idleMs, 0.95)),
          busyP50Ms: r2(pct(busyMs, 0.5)),
          busyP95Ms: r2(pct(busyMs, 0.95)),
          busyMaxMs: r2(Math.max(...busyMs)),
          busyRequests: busyMs.length,
          note: 'GET /v2.0/networks/ID every 10 ms: idle, then while the local ports are bound and their flows installed (the API and the agent share one event loop, as in serve)',
        },
        forwarding: 'not measured here: npm run bench:ovs (bench:agent runs it next) measures frames through these flows',
      }
      Object.assign(result, figures)
      const r = figures
      console.log(
        `port create -> flows on br-int   p50 ${r.portCreateToFlows.p50Ms} ms  p95 ${r.portCreateToFlows.p95Ms} ms  (${nPorts} ports; the API reply alone p50 ${r.portCreateToFlows.apiReplyP50Ms} ms)`,
      )
      console.log(
        `DHCP lease (udhcpc, 2 punts)     p50 ${r.dhcp.udhcpcP50Ms} ms  p95 ${r.dhcp.udhcpcP95Ms} ms (${r.dhcp.leasesOver1s} of ${nLeases} over 1 s: a udhcpc resend); host per packet-in p50 ${r.dhcp.hostPacketInP50Ms} ms`,
      )
      console.log(
        `flows per port                   ${r.flowsPerPort.localPort} local, ${r.flowsPerPort.otherPortOnFollowedNetwork} for another port on a followed network`,
      )
      console.log(
        `${nLocal} local ports                  bound + installed in ${r.localPorts.bindAndInstallS} s, ${r.localPorts.flows} flows, RSS ${r.localPorts.rssMb} MB${gcBeforeRss ? '' : ' (no GC forced: run node --expose-gc for a settled RSS)'}; patch ports stand in for VM interfaces`,
      )
      console.log(
        `API GET while installing         p50 ${r.apiWhileInstalling.busyP50Ms} ms  p95 ${r.apiWhileInstalling.busyP95Ms} ms  max ${r.apiWhileInstalling.busyMaxMs} ms (${busyMs.length} requests); idle p50 ${r.apiWhileInstalling.idleP50Ms} ms  p95 ${r.apiWhileInstalling.idleP95Ms} ms`,
      )
    }
    if (acl) {
      const securityGroups = await benchAclAgent({
        base,
        controller: c,
        ovs,
        local: aclLocal,
        defaults: aclDefaults,
        members: aclMembers,
        changes: aclChanges,
        log: l => {
          console.log(l)
        },
      })
      result.securityGroups = securityGroups
      const sgr = securityGroups.ruleChange as Json
      console.log(
        `flows per port, default group     ${(securityGroups.defaultGroup as Json).flowsPerPort as number} (${aclDefaults} local ports)`,
      )
      const tw = securityGroups.twentyRuleGroup as Json
      console.log(
        `flows per port, ${tw.rules as number}-rule group       ${tw.marginalPerPort as number} marginal, ${tw.perPortIncludingShared as number} with the shared ${tw.sharedFlows as number} (remote group of ${aclMembers} members, ${aclLocal} local ports)`,
      )
      console.log(
        `one rule change -> ${aclLocal} ports      add p50 ${sgr.addP50Ms as number} ms (max ${sgr.addMaxMs as number}), delete p50 ${sgr.deleteP50Ms as number} ms (API call to the bundle acknowledged; ${aclChanges} changes)`,
      )
    }
    result.loadavg = {
      before: loadBefore,
      after: loadavg().map(r2),
      note: '1/5/15-minute load averages: other work on the machine (tests, builds) slows every figure here; a quiet machine or CI may differ',
    }
    console.log(
      `load average (1/5/15 min)        ${loadBefore.join(' ')} before, ${(result.loadavg.after as number[]).join(' ')} after: a shared machine; quiet-machine or CI figures may differ`,
    )
    mkdirSync(join(REPO, 'bench/results'), { recursive: true })
    // --acl-only keeps the full run's agent.json
    const file = aclOnly ? 'bench/results/agent-acl.json' : 'bench/results/agent.json'
    writeFileSync(join(REPO, file), JSON.stringify(result, null, 2) + '\n')
    console.log(`wrote ${join(REPO, file)}`)
  } finally {
    await controller?.stop()
    await server.close()
    await store.close()
    ovs.stopSync({ deleteNetns: true })
    await sh('ip', ['netns', 'del', workload]).catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  process.exitCode = 1
})
