// Writing a port with its addresses, atomically. Every fixed IP has an allocation record (subnet, address)
// and every MAC a record (network, mac), created in the same store transaction as the port: if two requests
// pick the same address, the second transaction fails with `already_exists`. A chosen-by-us address that
// collides is retried inside the server (bounded, with jitter: `writePort`), so the client never sees the
// race; one the client asked for is Neutron's 409 IpAddressAlreadyAllocated. Addresses being tried by this
// process are held in `inFlight`, so concurrent creates here do not even collide.
//
// Choosing: first fit (.2, .3, ...) while this process allocates alone in a subnet. Once another writer took
// an address we had chosen there (another API process on the same store), the subnet is contended for a while
// and ports get a random address among the first CHOICE_WINDOW free ones, as Neutron's IPAM always does
// (neutrondb_ipam driver: random.sample over MAX_WIN = 1000), so that two processes stop chasing the same next
// address; DHCP ports keep the first free one there too (Neutron's PreferNextAddressRequest).
import { DEVICE_OWNER_DHCP, DEVICE_OWNER_ROUTER_INTF, DEVICE_OWNER_ROUTER_GW } from '../model/attributes/ports.js'
import { ApiError } from '../model/errors.js'
import { eui64Address, freeAddresses, inCidr } from '../model/ipam.js'
import { randomMac } from '../model/mac.js'
import { TABLES, ipAllocationId, macAllocationId, networkTopic, topicsFor } from '../model/tables.js'
import type { FixedIp, IpAllocation, Port, Subnet } from '../model/types.js'
import type { StoredObject, TxOp } from '../store/types.js'
import { type Row, asRow, isStoreError } from './db.js'
import { AllocationHint } from './ipam-hint.js'
import type { Neutron } from './neutron.js'

export interface IpRequest {
  subnet_id?: string
  ip_address?: string
}

const inFlight = new Map<string, Set<string>>()

function hold(subnetId: string, ip: string): void {
  const s = inFlight.get(subnetId) ?? new Set<string>()
  s.add(ip)
  inFlight.set(subnetId, s)
}

function release(fixed: FixedIp[]): void {
  for (const f of fixed) {
    const s = inFlight.get(f.subnet_id)
    s?.delete(f.ip_address)
    if (s && s.size === 0) inFlight.delete(f.subnet_id)
  }
}

/** Neutron's MAX_WIN: how many of the first free addresses a contended subnet chooses among. */
export const CHOICE_WINDOW = 1000
/** Neutron's MAX_RETRIES (neutron_lib/db/api.py) for DB races; ours are cheaper, so the waits are shorter. */
export const MAX_ATTEMPTS = 20
const RETRY_BASE_MS = 2
const RETRY_CAP_MS = 100

/**
 * The wait before retry `attempt` (1, 2, ...) after a collision: "full jitter", uniform in
 * [0, min(cap, base * 2^(attempt-1))), so processes that collided do not retry in step. 20 attempts wait 1.4 s
 * at most in all.
 */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  return random() * Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** Math.max(0, attempt - 1))
}

/** What the allocator did in this process (tests read it; an operator-facing counter would start here). */
export const ipamCounters = { writes: 0, collisions: 0, retries: 0, exhaustedRetries: 0 }

const hints = new WeakMap<Neutron, AllocationHint>()

function hintOf(nb: Neutron): AllocationHint {
  let h = hints.get(nb)
  if (!h) {
    h = new AllocationHint(nb.db)
    hints.set(nb, h)
    liveHints.add(new WeakRef(h))
  }
  return h
}

/** Reads the records of client-chosen addresses from the store, so a stale hint never decides a 409. */
async function checkExplicit(nb: Neutron, hint: AllocationHint, subnets: Subnet[], requested: IpRequest[] | undefined): Promise<void> {
  for (const r of requested ?? []) {
    if (r.ip_address === undefined) continue
    for (const s of subnets) {
      if (r.subnet_id !== undefined ? s.id !== r.subnet_id : !inCidr(s.cidr, r.ip_address)) continue
      const id = ipAllocationId(s.id, r.ip_address)
      const rec = await nb.db.get<IpAllocation>(TABLES.ipAllocations, id)
      if (rec) hint.learn(id, rec.value)
      else hint.released([id])
    }
  }
}

export async function networkSubnets(nb: Neutron, networkId: string): Promise<Row<Subnet>[]> {
  const rows = await nb.db.list<Subnet>(TABLES.subnets, networkTopic(networkId))
  return rows
    .filter(s => s.value.network_id === networkId)
    .sort((a, b) => (a.value.created_at < b.value.created_at ? -1 : a.value.created_at > b.value.created_at ? 1 : a.id < b.id ? -1 : 1))
}

interface Plan {
  fixed: FixedIp[]
  explicit: Set<string>
}

/** Chooses the addresses of a port (Neutron's rules), given what is allocated now. */
function planAddresses(opts: {
  networkId: string
  subnets: Subnet[]
  requested?: IpRequest[] | undefined
  keep: FixedIp[]
  hint: AllocationHint
  portId: string
  deviceOwner: string
  mac: string
  random: () => number
}): Plan {
  const { subnets, portId, hint } = opts
  const explicit = new Set<string>()
  const fixed: FixedIp[] = []
  const taken = (subnetId: string): ((ip: string) => boolean) => {
    const gateway = subnets.find(x => x.id === subnetId)?.gateway_ip
    const held = inFlight.get(subnetId)
    return ip => {
      const owner = hint.get(ipAllocationId(subnetId, ip))?.port_id
      return (
        (owner !== undefined && owner !== portId) ||
        !!held?.has(ip) ||
        gateway === ip ||
        fixed.some(f => f.subnet_id === subnetId && f.ip_address === ip)
      )
    }
  }
  /** Free addresses from the subnet's mark on; the mark moves up to the first free one (nothing below is). */
  const scan = (s: Subnet, limit: number): string[] => {
    const found = freeAddresses(s.allocation_pools, taken(s.id), { from: hint.mark(s.id), limit })
    if (found.firstFree !== undefined) hint.advance(s.id, found.firstFree)
    return found.addresses
  }
  const firstFit = opts.deviceOwner === DEVICE_OWNER_DHCP
  const allocate = (s: Subnet): void => {
    const window = !firstFit && hint.contended(s.id) ? CHOICE_WINDOW : 1
    const free = scan(s, window)
    const ip = free[Math.floor(opts.random() * free.length)]
    if (!ip) throw new ApiError('IpAddressGenerationFailure', { net_id: opts.networkId })
    fixed.push({ subnet_id: s.id, ip_address: ip })
  }
  if (opts.requested === undefined) {
    // Neutron's default: an address from the first IPv4 subnet with room, one from a stateful IPv6 subnet,
    // and one from every SLAAC/stateless subnet.
    const v4 = subnets.filter(s => s.ip_version === 4)
    const v6auto = subnets.filter(
      s => s.ip_version === 6 && (s.ipv6_address_mode === 'slaac' || s.ipv6_address_mode === 'dhcpv6-stateless'),
    )
    const v6state = subnets.filter(s => s.ip_version === 6 && !v6auto.includes(s))
    for (const group of [v4, v6state]) {
      const s = group.find(x => scan(x, 1).length > 0)
      if (s) allocate(s)
      else if (group.length) throw new ApiError('IpAddressGenerationFailure', { net_id: opts.networkId })
    }
    // SLAAC and stateless subnets: the address the host derives itself from its MAC (EUI-64).
    for (const s of v6auto) {
      const ip = eui64Address(s.cidr, opts.mac)
      if (ip && !taken(s.id)(ip)) fixed.push({ subnet_id: s.id, ip_address: ip })
      else allocate(s)
    }
    return { fixed, explicit }
  }
  for (const r of opts.requested) {
    let subnet: Subnet | undefined
    if (r.subnet_id !== undefined) {
      subnet = subnets.find(s => s.id === r.subnet_id)
      if (!subnet) {
        throw new ApiError('InvalidInput', {
          detail: `Failed to create port on network ${opts.networkId}, because fixed_ips included invalid subnet ${r.subnet_id}`,
        })
      }
      if (r.ip_address !== undefined && !inCidr(subnet.cidr, r.ip_address))
        throw new ApiError('InvalidIpForSubnet', { ip_address: r.ip_address })
    } else if (r.ip_address !== undefined) {
      subnet = subnets.find(s => inCidr(s.cidr, r.ip_address as string))
      if (!subnet) throw new ApiError('InvalidIpForNetwork', { ip_address: r.ip_address })
    } else {
      throw new ApiError('InvalidInput', { detail: 'fixed_ips: each entry needs a subnet_id or an ip_address' })
    }
    if (r.ip_address === undefined) {
      allocate(subnet)
      continue
    }
    const ip = r.ip_address
    const kept = opts.keep.some(k => k.subnet_id === subnet.id && k.ip_address === ip)
    const routerOwned = opts.deviceOwner === DEVICE_OWNER_ROUTER_INTF || opts.deviceOwner === DEVICE_OWNER_ROUTER_GW
    if (!kept && taken(subnet.id)(ip) && !(routerOwned && subnet.gateway_ip === ip && !hint.get(ipAllocationId(subnet.id, ip)))) {
      throw new ApiError('IpAddressAlreadyAllocated', { ip, subnet_id: subnet.id })
    }
    if (fixed.some(f => f.subnet_id === subnet.id && f.ip_address === ip))
      throw new ApiError('IpAddressAlreadyAllocated', { ip, subnet_id: subnet.id })
    explicit.add(ipAllocationId(subnet.id, ip))
    fixed.push({ subnet_id: subnet.id, ip_address: ip })
  }
  return { fixed, explicit }
}

export interface WritePortOptions {
  /** The port as it will be stored, fixed_ips and mac_address aside. */
  port: Port
  /** Undefined: Neutron's default allocation; [] for no address. */
  requested?: IpRequest[] | undefined
  /** For an update: the stored row (its addresses are released or kept). */
  previous?: Row<Port>
  /** MAC asked for by the client (409 when in use), else one is generated (or kept on update). */
  mac?: string | undefined
  /** More operations committed with the port (e.g. the router an interface belongs to). */
  extraOps?: (port: Port) => TxOp[]
  /** For tests: the source of the random choices and jitter, and the wait between attempts. */
  random?: () => number
  sleep?: (ms: number) => Promise<void>
}

/**
 * Creates or updates a port and its allocation records in one transaction; returns the stored port.
 *
 * A collision on a record we chose (another writer committed that address or MAC first) is retried here, up to
 * MAX_ATTEMPTS transactions with a jittered wait between them: the records that collided are read (a few gets,
 * not the network) so the next choice avoids them, and the subnet turns contended (random choice in a window).
 * A collision on what the client asked for is its 409; retries running out are a 503 (the store was too busy to
 * settle), never a 409 the client could not have caused.
 */
export async function writePort(nb: Neutron, opts: WritePortOptions): Promise<Row<Port>> {
  const { port, previous } = opts
  const netId = port.network_id
  const hint = hintOf(nb)
  const random = opts.random ?? Math.random
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>(r => setTimeout(r, ms)))
  ipamCounters.writes++
  let reread = false
  for (let attempt = 1; ;) {
    const subnets = (await networkSubnets(nb, netId)).map(s => s.value)
    await hint.load(
      subnets.map(s => s.id),
      reread,
    )
    const keep = previous?.value.fixed_ips ?? []
    const requested = opts.requested ?? (previous ? keep : undefined)
    await checkExplicit(nb, hint, subnets, requested)
    const mac = opts.mac ?? previous?.value.mac_address ?? randomMac()
    let plan: Plan
    try {
      plan = planAddresses({
        networkId: netId,
        subnets,
        requested,
        keep,
        hint,
        portId: port.id,
        deviceOwner: port.device_owner,
        mac,
        random,
      })
    } catch (err) {
      // Exhausted according to the hint and the marks: look at the store, from the start, before saying so.
      if (err instanceof ApiError && err.type === 'IpAddressGenerationFailure' && !reread) {
        reread = true
        hint.forgetMarks(subnets.map(s => s.id))
        continue
      }
      throw err
    }
    reread = false
    for (const f of plan.fixed) hold(f.subnet_id, f.ip_address)
    const pairs = (port.allowed_address_pairs ?? []).map(a => ({ ...a, mac_address: a.mac_address ?? mac }))
    const value: Port = { ...port, fixed_ips: plan.fixed, mac_address: mac, allowed_address_pairs: pairs }
    const topics = topicsFor(port.project_id, netId)
    const ops: TxOp[] = []
    if (previous)
      ops.push({
        op: 'update',
        table: TABLES.ports,
        id: port.id,
        version: previous.version,
        topics,
        value: value as unknown as Record<string, unknown>,
      })
    else ops.push({ op: 'create', table: TABLES.ports, id: port.id, topics, value: value as unknown as Record<string, unknown> })
    const had = new Set(keep.map(f => ipAllocationId(f.subnet_id, f.ip_address)))
    const added = new Map<string, IpAllocation>()
    for (const f of plan.fixed) {
      const id = ipAllocationId(f.subnet_id, f.ip_address)
      if (had.has(id)) continue
      const rec: IpAllocation = { subnet_id: f.subnet_id, network_id: netId, ip_address: f.ip_address, port_id: port.id }
      added.set(id, rec)
      ops.push({
        op: 'create',
        table: TABLES.ipAllocations,
        id,
        topics: [networkTopic(netId)],
        value: rec as unknown as Record<string, unknown>,
      })
    }
    const has = new Set(plan.fixed.map(f => ipAllocationId(f.subnet_id, f.ip_address)))
    const removed = [...had].filter(id => !has.has(id))
    for (const id of removed) ops.push({ op: 'delete', table: TABLES.ipAllocations, id })
    const newMac = !previous || previous.value.mac_address !== mac
    if (newMac) {
      ops.push({
        op: 'create',
        table: TABLES.macAllocations,
        id: macAllocationId(netId, mac),
        topics: [networkTopic(netId)],
        value: { network_id: netId, mac_address: mac, port_id: port.id },
      })
      if (previous) ops.push({ op: 'delete', table: TABLES.macAllocations, id: macAllocationId(netId, previous.value.mac_address) })
    }
    if (opts.extraOps) ops.push(...opts.extraOps(value))
    let written: StoredObject[]
    try {
      written = await nb.db.transact(ops)
    } catch (err) {
      // Not committed: what we chose may be free after all, so the scan mark must not stay above it.
      for (const rec of added.values()) hint.lower(rec.subnet_id, rec.ip_address)
      if (isStoreError(err, 'version_conflict') && previous)
        throw new ApiError('Conflict', { detail: `Port ${port.id} was changed concurrently; retry` })
      if (!isStoreError(err, 'already_exists')) throw err
      await explainCollision(nb, { hint, port, previous, opts, added, explicit: plan.explicit, mac: newMac ? mac : undefined })
      ipamCounters.collisions++
      if (attempt >= MAX_ATTEMPTS) {
        ipamCounters.exhaustedRetries++
        throw new ApiError('ServiceUnavailable', {
          detail: `addresses on network ${netId} kept being taken by other writers (${attempt} attempts); retry`,
        })
      }
      ipamCounters.retries++
      await sleep(retryDelayMs(attempt, random))
      attempt++
      continue
    } finally {
      release(plan.fixed)
    }
    hint.committed(added, removed)
    const stored = written.find(o => o.table === TABLES.ports && o.id === port.id)
    if (!stored) throw new ApiError('PortNotFound', { id: port.id })
    return asRow<Port>(stored)
  }
}

/**
 * After `already_exists`: reads the records the transaction created (in parallel) to say which collided. A
 * client-chosen address or MAC that another port holds is the client's 409; records we chose that exist now
 * are learnt by the hint, and their subnets become contended. Returns normally when the write may be retried.
 */
async function explainCollision(
  nb: Neutron,
  c: {
    hint: AllocationHint
    port: Port
    previous: Row<Port> | undefined
    opts: WritePortOptions
    added: Map<string, IpAllocation>
    explicit: Set<string>
    mac: string | undefined
  },
): Promise<void> {
  const netId = c.port.network_id
  const ids = [...c.added.keys()]
  const [records, macRec, portRec] = await Promise.all([
    Promise.all(ids.map(id => nb.db.get<IpAllocation>(TABLES.ipAllocations, id))),
    c.mac === undefined ? undefined : nb.db.get(TABLES.macAllocations, macAllocationId(netId, c.mac)),
    c.previous ? undefined : nb.db.get(TABLES.ports, c.port.id),
  ])
  records.forEach((rec, i) => {
    const id = ids[i] as string
    if (!rec || rec.value.port_id === c.port.id) return
    if (c.explicit.has(id)) throw new ApiError('IpAddressAlreadyAllocated', { ip: rec.value.ip_address, subnet_id: rec.value.subnet_id })
    c.hint.learn(id, rec.value)
    c.hint.contend(rec.value.subnet_id)
  })
  if (macRec && c.opts.mac !== undefined) throw new ApiError('MacAddressInUse', { net_id: netId, mac: c.opts.mac })
  // The port itself exists: not an address race but a second create of one id (a caller bug), so no retry.
  if (portRec) throw new ApiError('Conflict', { detail: `Port ${c.port.id} already exists` })
}

/** Hints of this process (one per Neutron), so a port delete frees its addresses for the next choice at once. */
const liveHints = new Set<WeakRef<AllocationHint>>()

/** The operations that delete a port with its allocation records. */
export function deletePortOps(port: Port): TxOp[] {
  const ids = port.fixed_ips.map(f => ipAllocationId(f.subnet_id, f.ip_address))
  for (const ref of liveHints) {
    const h = ref.deref()
    if (h) h.released(ids)
    else liveHints.delete(ref)
  }
  return [
    { op: 'delete', table: TABLES.ports, id: port.id },
    { op: 'delete', table: TABLES.macAllocations, id: macAllocationId(port.network_id, port.mac_address) },
    ...ids.map(id => ({ op: 'delete' as const, table: TABLES.ipAllocations, id })),
  ]
}
