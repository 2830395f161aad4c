// Longest-prefix match per router and address family: a multibit trie with 8-bit strides and controlled
// prefix expansion (Srinivasan & Varghese, "Fast address lookups using controlled prefix expansion", 1999).
// A lookup is one hash probe for the router's root, then one step per address byte until the path ends:
// at most 4 steps for IPv4 and 16 for IPv6, whatever the number of routes.
//
// A node is 256 slots of 8 bytes, one per value of the address byte at the node's depth:
//
//   63          56                    32                                   0
//   +-------------+--------------------+-----------------------------------+
//   | plen + 1    | route id (24 bits) | child node index (0 = none)       |
//   +-------------+--------------------+-----------------------------------+
//
// A prefix of length L lives in the node at depth (L - 1) / 8 (the default route at depth 0) and is
// expanded over the 2^(8(d+1) - L) slots it covers there; a slot keeps the longest prefix written to it
// (`plen + 1` decides). Removing a prefix hands its slots to the next shorter prefix of the same node, found
// by probing the route table for each shorter length in the stride (at most 8 probes).
// Emptied nodes are kept for reuse by later prefixes on the same path.
// Lookups do not read these expanded nodes but their compressed images (lpm-image.ts), rebuilt along the
// path from a changed node to the root after every add and remove.
import { copy16 } from '../codec/bytes'
import { ExactTable, clearKey, ipWord0, key } from './exact-table'
import { allocImage, clearImages, countRuns, freeImage, imageBase, imageValue, unitsFor, writeImage } from './lpm-image'

const SLOTS_PER_NODE: u32 = 256
const NODE_BYTES: usize = <usize>SLOTS_PER_NODE * 8
const ROUTE_ID_MASK: u32 = 0xffffff
export const FAMILY_IPV4: u32 = 4
export const FAMILY_IPV6: u32 = 6

// Route record, indexed by route id.
export const ROUTE_PORT: usize = 0
export const ROUTE_HAS_NEXTHOP: usize = 4
export const ROUTE_FAMILY: usize = 5
export const ROUTE_PLEN: usize = 6
export const ROUTE_NEXTHOP: usize = 8
export const ROUTE_PREFIX: usize = 24
/** Out router port facts cached by the route stage: generation u32, network u32, MAC[6] (see l3-route.ts). */
export const ROUTE_CACHE_GENERATION: usize = 40
export const ROUTE_CACHE_NETWORK: usize = 44
export const ROUTE_CACHE_MAC: usize = 48
/** One cache line per record (fields fit in 56 bytes): a routed packet touches one line, not two. */
const ROUTE_RECORD_BYTES: usize = 64

/** (router, family, plen, prefix) -> route id */
const routes = new ExactTable(4, 1024)
/** (router, family) -> root node index u32 @0, root image offset u32 @4 */
const roots = new ExactTable(8, 64)

// Nodes live in chunks of NODES_PER_CHUNK that never move (growth adds a chunk; nothing is copied or wasted).
// A chunk holds the nodes' slots, then per node its meta: parent u32 @0, image offset u32 @4, image units u32 @8.
const NODES_PER_CHUNK_LOG2: u32 = 8
const NODES_PER_CHUNK: u32 = 1 << NODES_PER_CHUNK_LOG2
const META_BYTES: usize = 16
const CHUNK_BYTES: usize = <usize>NODES_PER_CHUNK * (NODE_BYTES + META_BYTES)
/** More chunks than a 4 GiB memory can hold: the allocator runs out first. */
const MAX_CHUNKS: i32 = 16384
const chunks: usize = memory.data(MAX_CHUNKS * 4)
let chunkCount: u32 = 0
let nodeCount: u32 = 1 // node 0 means "no child"

let records: usize = 0
let recordsBlock: usize = 0
let recordCapacity: u32 = 0
let recordCount: u32 = 1 // route id 0 means "no route"
let freeRecord: u32 = 0 // free list threaded through ROUTE_PORT

const masked: usize = memory.data(16)
/** One node's slot values while its image is rebuilt. */
const values: usize = memory.data(256 * 8, 8)

function allocNode(): u32 {
  if (nodeCount >= chunkCount << NODES_PER_CHUNK_LOG2) {
    const chunk = heap.alloc(CHUNK_BYTES)
    memory.fill(chunk, 0, CHUNK_BYTES)
    store<u32>(chunks + (<usize>chunkCount << 2), <u32>chunk)
    chunkCount++
  }
  return nodeCount++
}

@inline function chunkOf(node: u32): usize {
  return <usize>load<u32>(chunks + (<usize>(node >> NODES_PER_CHUNK_LOG2) << 2))
}

function allocRecord(): u32 {
  if (freeRecord != 0) {
    const id = freeRecord
    freeRecord = load<u32>(recordAt(id) + ROUTE_PORT)
    return id
  }
  if (recordCount >= recordCapacity) {
    const cap: u32 = recordCapacity == 0 ? 1024 : recordCapacity << 1
    const block = heap.alloc(<usize>cap * ROUTE_RECORD_BYTES + ROUTE_RECORD_BYTES)
    const fresh = (block + ROUTE_RECORD_BYTES - 1) & ~(ROUTE_RECORD_BYTES - 1)
    if (records != 0) {
      memory.copy(fresh, records, <usize>recordCapacity * ROUTE_RECORD_BYTES)
      heap.free(recordsBlock)
    }
    recordsBlock = block
    records = fresh
    recordCapacity = cap
  }
  return recordCount++
}

/** The record of route `id` (fields ROUTE_*). */
@inline export function recordAt(id: u32): usize {
  return records + <usize>id * ROUTE_RECORD_BYTES
}

/** Copies `prefix` cut to `plen` bits into `masked`. */
function maskPrefix(prefix: usize, plen: i32): void {
  copy16(masked, prefix)
  for (let i = 0; i < 16; i++) {
    const keep = plen - i * 8
    const bits: u32 = keep >= 8 ? 0xff : keep <= 0 ? 0 : (0xff << (8 - keep)) & 0xff
    store<u8>(masked + <usize>i, load<u8>(masked + <usize>i) & bits)
  }
}

function routeKey(router: u32, family: u32, prefix: usize, plen: i32): void {
  maskPrefix(prefix, plen)
  clearKey()
  store<u32>(key, router)
  store<u8>(key, <u8>family, 4)
  store<u8>(key, <u8>plen, 5)
  copy16(key + 8, masked)
}

@inline function rootKey(router: u32, family: u32): void {
  clearKey()
  store<u32>(key, router)
  store<u8>(key, <u8>family, 4)
}

@inline function slotAt(node: u32, index: u32): usize {
  return chunkOf(node) + <usize>(node & (NODES_PER_CHUNK - 1)) * NODE_BYTES + (<usize>index << 3)
}

@inline function metaAt(node: u32): usize {
  return chunkOf(node) + <usize>NODES_PER_CHUNK * NODE_BYTES + <usize>(node & (NODES_PER_CHUNK - 1)) * META_BYTES
}

/** Rebuilds the image of `node` from its slots (children's images must be current). */
function rebuildImage(node: u32): void {
  for (let s: u32 = 0; s < SLOTS_PER_NODE; s++) {
    const slot = load<u64>(slotAt(node, s))
    const child = <u32>slot
    const childImage: u64 = child == 0 ? 0 : <u64>load<u32>(metaAt(child) + 4)
    store<u64>(values + (<usize>s << 3), (childImage << 32) | (slot >> 32))
  }
  const m = metaAt(node)
  const units = unitsFor(countRuns(values))
  let image = load<u32>(m + 4)
  if (image == 0 || load<u32>(m + 8) != units) {
    freeImage(image, load<u32>(m + 8))
    image = allocImage(units)
    store<u32>(metaAt(node) + 4, image)
    store<u32>(metaAt(node) + 8, units)
  }
  writeImage(image, values)
}

/** Rebuilds the images from `node` up to the root and points the router at the root's image. */
function rebuildPath(router: u32, family: u32, node: u32): void {
  let root = node
  while (node != 0) {
    rebuildImage(node)
    root = node
    node = load<u32>(metaAt(node))
  }
  rootKey(router, family)
  const r = roots.find()
  if (r != 0) store<u32>(r, load<u32>(metaAt(root) + 4), 4)
}

@inline function depthOf(plen: i32): i32 {
  return plen == 0 ? 0 : (plen - 1) >> 3
}

/** Walks from the root to the node holding prefixes of `plen`, creating nodes when `create`. 0: none. */
function nodeFor(router: u32, family: u32, plen: i32, create: bool): u32 {
  rootKey(router, family)
  let rootSlot = roots.find()
  if (rootSlot == 0) {
    if (!create) return 0
    const root = allocNode()
    rootKey(router, family)
    rootSlot = roots.upsert()
    store<u32>(rootSlot, root)
  }
  let node = load<u32>(rootSlot)
  const depth = depthOf(plen)
  for (let d = 0; d < depth; d++) {
    const byte = <u32>load<u8>(masked + <usize>d)
    let child = load<u32>(slotAt(node, byte))
    if (child == 0) {
      if (!create) return 0
      child = allocNode()
      store<u32>(slotAt(node, byte), child)
      store<u32>(metaAt(child), node)
    }
    node = child
  }
  return node
}

/** Writes `value` (plen+1 << 24 | id) over the slots `plen` covers, over a slot holding a shorter prefix (onlyIfPlen1 < 0) or exactly `onlyIfPlen1`. */
function expand(node: u32, plen: i32, value: u32, onlyIfPlen1: i32): void {
  const depth = depthOf(plen)
  const span = (depth + 1) * 8 - plen
  const first = <u32>load<u8>(masked + <usize>depth) & ~((<u32>1 << span) - 1) & 0xff
  const last = first + (<u32>1 << span)
  const plen1 = <u32>(plen + 1)
  for (let s = first; s < last; s++) {
    const p = slotAt(node, s) + 4
    const cur = load<u32>(p) >> 24
    if (onlyIfPlen1 < 0 ? cur <= plen1 : cur == <u32>onlyIfPlen1) store<u32>(p, value)
  }
}

/** Adds or replaces the route (router, prefix/plen). `nexthop` 0: directly connected. */
export function lpmInsert(router: u32, family: u32, prefix: usize, plen: i32, port: u32, nexthop: usize): void {
  routeKey(router, family, prefix, plen)
  let found = routes.find()
  let id: u32
  if (found != 0) {
    id = load<u32>(found)
  } else {
    id = allocRecord()
    store<u32>(routes.upsert(), id)
  }
  const r = recordAt(id)
  store<u32>(r + ROUTE_PORT, port)
  store<u8>(r + ROUTE_HAS_NEXTHOP, nexthop != 0 ? 1 : 0)
  store<u8>(r + ROUTE_FAMILY, <u8>family)
  store<u8>(r + ROUTE_PLEN, <u8>plen)
  if (nexthop != 0) copy16(r + ROUTE_NEXTHOP, nexthop)
  else memory.fill(r + ROUTE_NEXTHOP, 0, 16)
  copy16(r + ROUTE_PREFIX, masked)
  store<u32>(r + ROUTE_CACHE_GENERATION, 0)
  if (found != 0) return // same prefix: the trie already points at this id
  const node = nodeFor(router, family, plen, true)
  expand(node, plen, (<u32>(plen + 1) << 24) | id, -1)
  rebuildPath(router, family, node)
}

/** Removes the route (router, prefix/plen); false when it does not exist. */
export function lpmRemove(router: u32, family: u32, prefix: usize, plen: i32): bool {
  routeKey(router, family, prefix, plen)
  const found = routes.find()
  if (found == 0) return false
  const id = load<u32>(found)
  routes.remove()
  // The next shorter prefix stored in the same node takes the slots over.
  const depth = depthOf(plen)
  const lowest = depth == 0 ? 0 : depth * 8 + 1
  let replacement: u32 = 0
  for (let l = plen - 1; l >= lowest; l--) {
    routeKey(router, family, prefix, l)
    const other = routes.find()
    if (other != 0) {
      replacement = (<u32>(l + 1) << 24) | load<u32>(other)
      break
    }
  }
  maskPrefix(prefix, plen)
  const node = nodeFor(router, family, plen, false)
  if (node != 0) {
    expand(node, plen, replacement, plen + 1)
    rebuildPath(router, family, node)
  }
  store<u32>(recordAt(id) + ROUTE_PORT, freeRecord)
  freeRecord = id
  return true
}

/** The route id of the longest prefix of `router` containing the address at `addr` (0: no route). */
export function lpmLookup(router: u32, family: u32, addr: usize): u32 {
  const rootSlot = roots.findWords(ipWord0(router, family))
  if (rootSlot == 0) return 0
  const base = imageBase()
  let image = load<u32>(rootSlot, 4)
  const bytes: i32 = family == FAMILY_IPV4 ? 4 : 16
  let best: u32 = 0
  for (let d = 0; d < bytes && image != 0; d++) {
    const v = imageValue(base + <usize>image, <u32>load<u8>(addr + <usize>d))
    const route = <u32>v
    if (route != 0) best = route & ROUTE_ID_MASK
    image = <u32>(v >> 32)
  }
  return best
}

/** Forgets every route of every router. */
export function lpmClear(): void {
  routes.clear()
  roots.clear()
  for (let c: u32 = 0; c < chunkCount; c++) memory.fill(<usize>load<u32>(chunks + (<usize>c << 2)), 0, CHUNK_BYTES)
  clearImages()
  nodeCount = 1
  recordCount = 1
  freeRecord = 0
}

/** Routes held (for tests and metrics). */
export function lpmRouteCount(): u32 {
  return routes.count
}
