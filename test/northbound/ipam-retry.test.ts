// Address allocation under races with another writer, in one process: a store wrapper plays "another API
// process" by committing an allocation record for the very address our transaction is about to create, so
// every collision here is real (the store answers already_exists). Checks: a chosen-by-us address is retried
// inside writePort with jittered waits and the hint learns the collider; the subnet then chooses at random in a
// window; retries running out are a 503, never a 409; a client-chosen address is Neutron's 409; allocations
// made by the other writer reach the hint through the store's watch, so the next choice avoids them untried.
import t, { type Test } from 'tap'
import { ApiError } from '../../model/errors.js'
import { TABLES, ipAllocationId, networkTopic } from '../../model/tables.js'
import type { IpAllocation, Port, Subnet } from '../../model/types.js'
import { CHOICE_WINDOW, MAX_ATTEMPTS, ipamCounters, retryDelayMs, writePort } from '../../northbound/ipam.js'
import { Neutron } from '../../northbound/neutron.js'
import { openStore } from '../../store/registry.js'
import type { Store, TxOp } from '../../store/types.js'
import { removeDir, tempDir } from './helpers/api-process.js'

const NET = 'net-1'

type Rival = Store & { steal: number; stolen: string[] }

/** Steals the next `steal` ip allocations we try: commits a foreign record for the same address just before. */
function rival(store: Store): Rival {
  const w: Rival = {
    steal: 0,
    stolen: [],
    get: (table, id) => store.get(table, id),
    create: (table, id, value, topics) => store.create(table, id, value, topics),
    update: (table, id, value, version, topics) => store.update(table, id, value, version, topics),
    delete: (table, id, version) => store.delete(table, id, version),
    list: (table, opts) => store.list(table, opts),
    allocateKey: space => store.allocateKey(space),
    watch: (handler, opts) => store.watch(handler, opts),
    close: () => store.close(),
    async transact(ops: TxOp[]) {
      const mine = ops.find(o => o.op === 'create' && o.table === TABLES.ipAllocations)
      if (mine && mine.op === 'create' && w.steal > 0) {
        w.steal--
        const rec = { ...(mine.value as unknown as IpAllocation), port_id: `other-${w.stolen.length}` }
        await store.create(TABLES.ipAllocations, mine.id, rec, [networkTopic(NET)])
        w.stolen.push(rec.ip_address)
      }
      return store.transact(ops)
    },
  }
  return w
}

async function setup(
  t: Test,
  cidr = '10.9.0.0/24',
  pool?: { start: string; end: string },
): Promise<{ store: Store; nb: Neutron; wrapped: Rival; subnet: Subnet }> {
  const dir = tempDir('df-ipam-retry-')
  const store = await openStore({ driver: 'embedded', dir })
  t.teardown(async () => {
    await store.close()
    removeDir(dir)
  })
  const wrapped = rival(store)
  const nb = new Neutron(wrapped)
  const prefix = cidr.split('.').slice(0, 3).join('.')
  const subnet = {
    id: `sub-${cidr.replace(/[./]/g, '-')}`,
    network_id: NET,
    ip_version: 4,
    cidr,
    gateway_ip: `${prefix}.1`,
    allocation_pools: [pool ?? { start: `${prefix}.2`, end: `${prefix}.254` }],
    created_at: '2026-01-01T00:00:00Z',
  } as unknown as Subnet
  await store.create(TABLES.subnets, subnet.id, subnet as unknown as Record<string, unknown>, [networkTopic(NET)])
  return { store, nb, wrapped, subnet }
}

let portSeq = 0
function newPort(deviceOwner = ''): Port {
  return {
    id: `port-${++portSeq}`,
    network_id: NET,
    project_id: 'p',
    device_owner: deviceOwner,
    allowed_address_pairs: [],
  } as unknown as Port
}

const ipOf = (p: { value: Port }): string => p.value.fixed_ips[0]?.ip_address ?? ''

t.test('the jittered wait grows with the attempt, is capped, and is never negative', async t => {
  t.equal(
    retryDelayMs(1, () => 0),
    0,
  )
  t.ok(retryDelayMs(1, () => 0.999) < 2.01 && retryDelayMs(1, () => 0.999) > 1.9, 'first retry waits under 2 ms')
  t.ok(retryDelayMs(4, () => 0.999) > 15 && retryDelayMs(4, () => 0.999) < 16.01)
  t.ok(retryDelayMs(30, () => 0.999) <= 100, 'capped at 100 ms')
  let total = 0
  for (let a = 1; a < MAX_ATTEMPTS; a++) total += retryDelayMs(a, () => 0.999)
  t.ok(total < 1500, `all waits of one write together stay bounded (${total.toFixed(0)} ms)`)
})

t.test('a chosen address taken by another writer is retried inside the server, with a wait in between', async t => {
  const { nb, wrapped, store } = await setup(t)
  const first = await writePort(nb, { port: newPort() })
  t.equal(ipOf(first), '10.9.0.2', 'first fit while alone')
  wrapped.steal = 3
  const waits: number[] = []
  const before = { ...ipamCounters }
  const row = await writePort(nb, {
    port: newPort(),
    sleep: async ms => {
      waits.push(ms)
    },
  })
  t.equal(wrapped.stolen.length, 3, 'three transactions really collided')
  t.notOk(wrapped.stolen.includes(ipOf(row)), `the port got an address nobody else holds (${ipOf(row)})`)
  t.equal(ipamCounters.collisions - before.collisions, 3)
  t.equal(waits.length, 3, 'one jittered wait per retry')
  t.ok(
    waits.every((w, i) => w >= 0 && w <= retryDelayMs(i + 1, () => 1)),
    `waits within their bounds: ${waits.map(w => w.toFixed(2)).join(', ')}`,
  )
  const rec = await store.get(TABLES.ipAllocations, ipAllocationId(row.value.fixed_ips[0]!.subnet_id, ipOf(row)))
  t.equal(rec?.value.port_id, row.value.id, 'its allocation record is its own')
})

t.test("after a collision the subnet chooses at random among the first free addresses (Neutron's window)", async t => {
  const { nb, wrapped } = await setup(t, '10.10.0.0/22', { start: '10.10.0.2', end: '10.10.3.254' })
  wrapped.steal = 1
  const middle = await writePort(nb, { port: newPort(), sleep: async () => undefined, random: () => 0.5 })
  t.equal(wrapped.stolen[0], '10.10.0.2', 'first fit collided')
  t.equal(ipOf(middle), '10.10.1.247', `the retry took the middle of the window (${CHOICE_WINDOW} free from .3)`)
  const high = await writePort(nb, { port: newPort(), random: () => 0.999 })
  t.equal(ipOf(high), '10.10.3.235', 'random 0.999: near the end of the window, not first fit')
  const low = await writePort(nb, { port: newPort(), random: () => 0 })
  t.equal(ipOf(low), '10.10.0.3', 'random 0: the first free one')
  const dhcp = await writePort(nb, { port: newPort('network:dhcp'), random: () => 0.999 })
  t.equal(ipOf(dhcp), '10.10.0.4', "a DHCP port keeps the first free address (Neutron's PreferNextAddressRequest)")
})

t.test('retries running out answer 503, not a 409 the client could not have caused', async t => {
  const { nb, wrapped } = await setup(t)
  wrapped.steal = MAX_ATTEMPTS
  const err = await writePort(nb, { port: newPort(), sleep: async () => undefined }).catch((e: unknown) => e)
  t.ok(err instanceof ApiError, 'an API error')
  t.equal((err as ApiError).status, 503)
  t.equal((err as ApiError).type, 'ServiceUnavailable')
  t.equal(wrapped.stolen.length, MAX_ATTEMPTS, `exactly ${MAX_ATTEMPTS} transactions tried`)
})

t.test('a client-chosen address another port holds is 409 IpAddressAlreadyAllocated, without retries', async t => {
  const { nb, wrapped, subnet } = await setup(t)
  wrapped.steal = 1
  const before = ipamCounters.retries
  const err = await writePort(nb, { port: newPort(), requested: [{ subnet_id: subnet.id, ip_address: '10.9.0.77' }] }).catch(
    (e: unknown) => e,
  )
  t.ok(err instanceof ApiError)
  t.equal((err as ApiError).type, 'IpAddressAlreadyAllocated')
  t.equal((err as ApiError).status, 409)
  t.equal(ipamCounters.retries, before, 'not retried')
})

t.test('allocations committed by another writer reach the hint through the watch: no collision to learn them', async t => {
  const { nb, store, subnet } = await setup(t)
  t.equal(ipOf(await writePort(nb, { port: newPort() })), '10.9.0.2')
  for (const ip of ['10.9.0.3', '10.9.0.4', '10.9.0.5']) {
    const rec: IpAllocation = { subnet_id: subnet.id, network_id: NET, ip_address: ip, port_id: 'elsewhere' }
    await store.create(TABLES.ipAllocations, ipAllocationId(subnet.id, ip), rec as unknown as Record<string, unknown>, [networkTopic(NET)])
  }
  const before = ipamCounters.collisions
  t.equal(ipOf(await writePort(nb, { port: newPort() })), '10.9.0.6', 'the next free address, first try')
  t.equal(ipamCounters.collisions, before, 'no transaction collided')
  await store.delete(TABLES.ipAllocations, ipAllocationId(subnet.id, '10.9.0.3'))
  t.equal(ipOf(await writePort(nb, { port: newPort() })), '10.9.0.3', 'an address another writer released is first fit again')
})
