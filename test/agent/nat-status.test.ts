// Honest floating IP and router status (agent/controller/nat-status.ts) against a real embedded store: a
// floating IP is ACTIVE only after a bundle holding its nat entry committed on the chassis hosting its port (and
// that port is up); DOWN again when it is disassociated, or its port goes down or away. A router with a gateway
// is ACTIVE once its gateway chassis committed the router_gateway entry; another chassis never reports it.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { NatStatus } from '../../agent/controller/nat-status.js'
import type { NatEntry, RouterGatewayEntry } from '../../datapath/host/entries.js'
import { TABLES } from '../../model/tables.js'
import { openStore } from '../../store/registry.js'
import type { Store } from '../../store/types.js'
import { lineLogger } from '../../log/logger.js'

const nat: NatEntry = {
  stage: 'nat',
  router: 7,
  network: 3,
  gateway_port: 11,
  mac: 'fa:16:3e:00:00:0a',
  external_ip: '203.0.113.10',
  internal_ip: '10.0.0.5',
}
const gw = (local: boolean): RouterGatewayEntry => ({ stage: 'router_gateway', router: 7, port: 11, snat: true, local })

async function statusOf(store: Store, table: string, id: string, want: string): Promise<string | undefined> {
  const end = Date.now() + 5000
  for (;;) {
    const s = (await store.get(table, id))?.value.status as string | undefined
    if (s === want || Date.now() > end) return s
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

/** Change a row as the API would, and tell the reporter as the store's watch would. */
async function change(store: Store, ns: NatStatus, table: string, id: string, patch: Record<string, unknown>): Promise<void> {
  const cur = await store.get(table, id)
  if (cur === undefined) throw new Error(`${table}/${id} missing`)
  const value = { ...cur.value, ...patch }
  await store.update(table, id, value, cur.version, cur.topics)
  ns.onObject(table, id, value)
}

t.test('floating IP: DOWN until committed here, DOWN again when disassociated or its port goes down', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'dfe-nat-status-'))
  const store = await openStore({ driver: 'embedded', dir })
  t.teardown(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const active = new Set(['p1'])
  const written: string[] = []
  const ns = new NatStatus({
    store,
    log: lineLogger('test', l => {
      t.fail(l)
    }),
    portActive: id => active.has(id),
    onStatus: (tb, id, s) => {
      written.push(`${tb}/${id}=${s}`)
    },
  })
  const fip = {
    id: 'f1',
    floating_ip_address: nat.external_ip,
    fixed_ip_address: nat.internal_ip,
    port_id: 'p1',
    status: 'DOWN',
    router_id: 'r1',
  }
  await store.create(TABLES.floatingips, 'f1', fip, [])
  ns.onObject(TABLES.floatingips, 'f1', fip)

  const before = ns.snapshot() // a bundle that started before the nat entry was compiled
  ns.onEntries([], [nat])
  ns.committed(before)
  await new Promise(resolve => setTimeout(resolve, 100))
  t.equal((await store.get(TABLES.floatingips, 'f1'))?.value.status, 'DOWN', 'compiled but not yet committed: DOWN')

  ns.committed(ns.snapshot())
  t.equal(await statusOf(store, TABLES.floatingips, 'f1', 'ACTIVE'), 'ACTIVE', 'committed on the chassis of its port: ACTIVE')

  active.delete('p1')
  ns.onPort('p1')
  t.equal(await statusOf(store, TABLES.floatingips, 'f1', 'DOWN'), 'DOWN', 'its port went down: DOWN')
  active.add('p1')
  ns.onPort('p1')
  t.equal(await statusOf(store, TABLES.floatingips, 'f1', 'ACTIVE'), 'ACTIVE', 'up again: ACTIVE')

  // disassociation, as the API writes it (DOWN); the compiler then removes the nat entry and a bundle commits
  await change(store, ns, TABLES.floatingips, 'f1', { port_id: null, fixed_ip_address: null, router_id: null, status: 'DOWN' })
  ns.onEntries([nat], [])
  ns.committed(ns.snapshot())
  await new Promise(resolve => setTimeout(resolve, 100))
  t.equal((await store.get(TABLES.floatingips, 'f1'))?.value.status, 'DOWN', 'disassociated: stays DOWN')
  t.same(written, ['floatingips/f1=ACTIVE', 'floatingips/f1=DOWN', 'floatingips/f1=ACTIVE'], 'each decision written once')
})

t.test('a floating IP whose port is on another chassis is not reported here', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'dfe-nat-status-'))
  const store = await openStore({ driver: 'embedded', dir })
  t.teardown(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const ns = new NatStatus({
    store,
    log: lineLogger('test', l => {
      t.fail(l)
    }),
    portActive: () => false,
  })
  const fip = { id: 'f2', floating_ip_address: nat.external_ip, fixed_ip_address: nat.internal_ip, port_id: 'elsewhere', status: 'ACTIVE' }
  await store.create(TABLES.floatingips, 'f2', fip, [])
  ns.onObject(TABLES.floatingips, 'f2', fip)
  ns.committed(ns.snapshot())
  await new Promise(resolve => setTimeout(resolve, 100))
  t.equal((await store.get(TABLES.floatingips, 'f2'))?.value.status, 'ACTIVE', "the other chassis' ACTIVE is left alone")
})

t.test('router gateway: ACTIVE once the gateway chassis committed it; other chassis do not write', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'dfe-nat-status-'))
  const store = await openStore({ driver: 'embedded', dir })
  t.teardown(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const router = {
    id: 'r1',
    key: 7,
    status: 'DOWN',
    external_gateway_info: { network_id: 'ext', enable_snat: true, external_fixed_ips: [] },
  }
  await store.create(TABLES.routers, 'r1', router, [])

  const other = new NatStatus({
    store,
    log: lineLogger('test', l => {
      t.fail(l)
    }),
    portActive: () => false,
  })
  other.onObject(TABLES.routers, 'r1', router)
  other.onEntries([], [gw(false)])
  other.committed(other.snapshot())
  await new Promise(resolve => setTimeout(resolve, 100))
  t.equal((await store.get(TABLES.routers, 'r1'))?.value.status, 'DOWN', 'not the gateway chassis: nothing written')

  const gateway = new NatStatus({
    store,
    log: lineLogger('test', l => {
      t.fail(l)
    }),
    portActive: () => false,
  })
  gateway.onObject(TABLES.routers, 'r1', router)
  gateway.onEntries([], [gw(true)])
  t.equal((await store.get(TABLES.routers, 'r1'))?.value.status, 'DOWN', 'compiled, not committed: DOWN')
  gateway.committed(gateway.snapshot())
  t.equal(await statusOf(store, TABLES.routers, 'r1', 'ACTIVE'), 'ACTIVE', 'committed on the gateway chassis: ACTIVE')

  // the API sets the gateway again (DOWN): the gateway chassis, still holding it, says ACTIVE again
  await change(store, gateway, TABLES.routers, 'r1', { status: 'DOWN' })
  t.equal(await statusOf(store, TABLES.routers, 'r1', 'ACTIVE'), 'ACTIVE', 'reported again after the API reset it')
})
