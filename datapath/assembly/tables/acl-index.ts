// The security-group rule index: "does any rule of group G allow this packet", without scanning rules.
//
//   rules    (group, rule)                      -> the rule as loaded (to replace or remove it)
//   buckets  (group, direction, family, proto)  -> bucket: any-remote slot, prefix lengths, remote groups
//   prefixes (bucket id, plen, family, prefix)  -> slot of the rules with that remote_prefix
//
// A slot (acl-intervals.ts) holds the l4 intervals of the rules sharing one remote in one bucket, merged for a
// binary search. A packet probes, per group of its port, the bucket of its protocol and the bucket of "any
// protocol"; in each, the any-remote slot, then one prefix probe per distinct remote_prefix length of the
// bucket (every containing prefix is found, not only the longest: rules are a union), then per distinct
// remote group its slot and, when the interval matches, the group's membership (acl-members.ts).
// Nothing on the lookup path allocates or writes memory (one global remembers the slot that matched, for traces).
//
// Bucket record (the ExactTable value):
//   0     4       8          12          16         20        24                     48
//   +-----+-------+----------+-----------+----------+---------+----------------------+
//   | id  | rules | any slot | groups ptr| groups n | grp cap | prefix length bitmap |
//   +-----+-------+----------+-----------+----------+---------+----------------------+
//   groups: (remote group u32, slot u32) per distinct remote group of the bucket's rules
import { ACL_PROTO_ANY, ACL_REMOTE_ANY, ACL_REMOTE_GROUP, ACL_REMOTE_PREFIX } from '../../spec/entry-kinds'
import { blockAlloc, blockCapacity, blockFree, blockGrow } from './block-pool'
import { ExactTable, clearKey, key } from './exact-table'
import { PLEN_BITMAP_BYTES, prefixKey, prefixWord0, prefixWord1, prefixWord2, setPlenBit } from './acl-prefix'
import {
  freeIntervalSlot, intervalAdd, intervalContains, intervalRemove, intervalRuleFor, intervalRules, newIntervalSlot,
} from './acl-intervals'
import { isMember } from './acl-members'

// Rule record, as stored in `rules` (normalized by the loader).
export const RULE_DIRECTION: usize = 0
export const RULE_FAMILY: usize = 1
export const RULE_PROTO: usize = 2
export const RULE_LO: usize = 4
export const RULE_HI: usize = 6
export const RULE_REMOTE_KIND: usize = 8
export const RULE_PLEN: usize = 9
export const RULE_REMOTE_GROUP: usize = 12
export const RULE_PREFIX: usize = 16
export const RULE_BYTES: i32 = 32

const B_ID: usize = 0
const B_RULES: usize = 4
const B_ANY: usize = 8
const B_GROUPS: usize = 12
const B_GROUPS_N: usize = 16
const B_GROUPS_CAP: usize = 20
const B_PLENS: usize = 24
const BUCKET_BYTES: i32 = <i32>(B_PLENS + PLEN_BITMAP_BYTES)
const GROUP_ENTRY_BYTES: usize = 8

const rules = new ExactTable(RULE_BYTES, 1024)
const buckets = new ExactTable(BUCKET_BYTES, 256)
/** (bucket id, plen, family, prefix) -> slot u32 */
const prefixes = new ExactTable(4, 256)
/** (bucket id, plen | 0x100) -> prefix slots of that length in the bucket */
const plenCounts = new ExactTable(4, 256)
let nextBucketId: u32 = 1
/** The record of a rule being removed, copied out of `rules` before its slot is reused. */
const removedRule: usize = memory.data(RULE_BYTES, 8)

@inline function bucketWord(group: u32, direction: u32, family: u32, proto: u32): u64 {
  return <u64>group | (<u64>direction << 32) | (<u64>family << 40) | (<u64>proto << 48)
}

@inline function bucketKey(group: u32, direction: u32, family: u32, proto: u32): void {
  clearKey()
  store<u64>(key, bucketWord(group, direction, family, proto))
}

@inline function plenCountKey(id: u32, plen: i32): void {
  clearKey()
  store<u32>(key, id)
  store<u32>(key, <u32>plen | 0x100, 4)
}

@inline function ruleKey(group: u32, rule: u32): void {
  clearKey()
  store<u32>(key, group)
  store<u32>(key, rule, 4)
}

/** The stored record of rule (group, rule), or 0. */
export function findRule(group: u32, rule: u32): usize {
  ruleKey(group, rule)
  return rules.find()
}

/** Adds or replaces rule (group, rule) from the normalized record at `r` (RULE_* fields). */
export function addRule(group: u32, rule: u32, r: usize): void {
  removeRule(group, rule)
  ruleKey(group, rule)
  const stored = rules.upsert()
  memory.copy(stored, r, <usize>RULE_BYTES)
  indexRule(group, rule, r)
}

/** Removes rule (group, rule); false when it does not exist. */
export function removeRule(group: u32, rule: u32): bool {
  ruleKey(group, rule)
  const stored = rules.find()
  if (stored == 0) return false
  const copy = removedRule
  memory.copy(copy, stored, <usize>RULE_BYTES)
  ruleKey(group, rule)
  rules.remove()
  unindexRule(group, rule, copy)
  return true
}

function indexRule(group: u32, rule: u32, r: usize): void {
  const direction = <u32>load<u8>(r + RULE_DIRECTION)
  const family = <u32>load<u8>(r + RULE_FAMILY)
  const proto = <u32>load<u16>(r + RULE_PROTO)
  bucketKey(group, direction, family, proto)
  let b = buckets.find()
  if (b == 0) {
    b = buckets.upsert()
    store<u32>(b + B_ID, nextBucketId++)
  }
  store<u32>(b + B_RULES, load<u32>(b + B_RULES) + 1)
  const slot = slotFor(b, family, r, true)
  intervalAdd(slot, <u32>load<u16>(r + RULE_LO), <u32>load<u16>(r + RULE_HI), rule)
}

function unindexRule(group: u32, rule: u32, r: usize): void {
  const family = <u32>load<u8>(r + RULE_FAMILY)
  bucketKey(group, <u32>load<u8>(r + RULE_DIRECTION), family, <u32>load<u16>(r + RULE_PROTO))
  const b = buckets.find()
  if (b == 0) return
  const slot = slotFor(b, family, r, false)
  if (slot != 0) {
    intervalRemove(slot, <u32>load<u16>(r + RULE_LO), <u32>load<u16>(r + RULE_HI), rule)
    if (intervalRules(slot) == 0) dropSlot(b, family, r, slot)
  }
  const left = load<u32>(b + B_RULES) - 1
  store<u32>(b + B_RULES, left)
  if (left == 0) {
    blockFree(<usize>load<u32>(b + B_GROUPS), <usize>load<u32>(b + B_GROUPS_CAP) * GROUP_ENTRY_BYTES)
    bucketKey(group, <u32>load<u8>(r + RULE_DIRECTION), family, <u32>load<u16>(r + RULE_PROTO))
    buckets.remove()
  }
}

/** The slot of the rule's remote in bucket `b` (its value pointer: valid until `buckets` changes). */
function slotFor(b: usize, family: u32, r: usize, create: bool): usize {
  const kind = <u32>load<u8>(r + RULE_REMOTE_KIND)
  if (kind == <u32>ACL_REMOTE_ANY) {
    let s = <usize>load<u32>(b + B_ANY)
    if (s == 0 && create) {
      s = newIntervalSlot()
      store<u32>(b + B_ANY, <u32>s)
    }
    return s
  }
  if (kind == <u32>ACL_REMOTE_PREFIX) {
    const id = load<u32>(b + B_ID)
    const plen = <i32>load<u8>(r + RULE_PLEN)
    prefixKey(id, family, r + RULE_PREFIX, plen)
    const v = prefixes.find()
    if (v != 0) return <usize>load<u32>(v)
    if (!create) return 0
    const s = newIntervalSlot()
    prefixKey(id, family, r + RULE_PREFIX, plen)
    store<u32>(prefixes.upsert(), <u32>s)
    plenCountKey(id, plen)
    const c = plenCounts.upsert()
    store<u32>(c, load<u32>(c) + 1)
    setPlenBit(b + B_PLENS, plen, true)
    return s
  }
  // ACL_REMOTE_GROUP
  const remote = load<u32>(r + RULE_REMOTE_GROUP)
  const list = <usize>load<u32>(b + B_GROUPS)
  const n = load<u32>(b + B_GROUPS_N)
  for (let i: u32 = 0; i < n; i++) {
    const e = list + <usize>i * GROUP_ENTRY_BYTES
    if (load<u32>(e) == remote) return <usize>load<u32>(e, 4)
  }
  if (!create) return 0
  const cap = load<u32>(b + B_GROUPS_CAP)
  if (n == cap) {
    const bytes = blockCapacity(<usize>(n + 1) * GROUP_ENTRY_BYTES)
    store<u32>(b + B_GROUPS, <u32>blockGrow(list, <usize>cap * GROUP_ENTRY_BYTES, <usize>n * GROUP_ENTRY_BYTES, bytes))
    store<u32>(b + B_GROUPS_CAP, <u32>(bytes / GROUP_ENTRY_BYTES))
  }
  const s = newIntervalSlot()
  const e = <usize>load<u32>(b + B_GROUPS) + <usize>n * GROUP_ENTRY_BYTES
  store<u32>(e, remote)
  store<u32>(e, <u32>s, 4)
  store<u32>(b + B_GROUPS_N, n + 1)
  return s
}

/** Unlinks and frees an emptied slot. */
function dropSlot(b: usize, family: u32, r: usize, slot: usize): void {
  const kind = <u32>load<u8>(r + RULE_REMOTE_KIND)
  if (kind == <u32>ACL_REMOTE_ANY) {
    store<u32>(b + B_ANY, 0)
  } else if (kind == <u32>ACL_REMOTE_PREFIX) {
    const id = load<u32>(b + B_ID)
    const plen = <i32>load<u8>(r + RULE_PLEN)
    prefixKey(id, family, r + RULE_PREFIX, plen)
    prefixes.remove()
    plenCountKey(id, plen)
    const c = plenCounts.find()
    if (c != 0) {
      const left = load<u32>(c) - 1
      if (left == 0) {
        plenCountKey(id, plen)
        plenCounts.remove()
        setPlenBit(b + B_PLENS, plen, false)
      } else {
        store<u32>(c, left)
      }
    }
  } else {
    const list = <usize>load<u32>(b + B_GROUPS)
    const n = load<u32>(b + B_GROUPS_N)
    for (let i: u32 = 0; i < n; i++) {
      const e = list + <usize>i * GROUP_ENTRY_BYTES
      if (<usize>load<u32>(e, 4) != slot) continue
      memory.copy(e, list + <usize>(n - 1) * GROUP_ENTRY_BYTES, GROUP_ENTRY_BYTES)
      store<u32>(b + B_GROUPS_N, n - 1)
      break
    }
  }
  freeIntervalSlot(slot)
}

/** Forgets every rule, giving their blocks back to the pool. */
export function clearRules(): void {
  for (let i: u32 = 0; i < buckets.capacity; i++) {
    if (!buckets.used(i)) continue
    const b = buckets.valueAt(i)
    const any = <usize>load<u32>(b + B_ANY)
    if (any != 0) freeIntervalSlot(any)
    const list = <usize>load<u32>(b + B_GROUPS)
    const n = load<u32>(b + B_GROUPS_N)
    for (let j: u32 = 0; j < n; j++) freeIntervalSlot(<usize>load<u32>(list + <usize>j * GROUP_ENTRY_BYTES, 4))
    blockFree(list, <usize>load<u32>(b + B_GROUPS_CAP) * GROUP_ENTRY_BYTES)
  }
  for (let i: u32 = 0; i < prefixes.capacity; i++) {
    if (prefixes.used(i)) freeIntervalSlot(<usize>load<u32>(prefixes.valueAt(i)))
  }
  rules.clear()
  buckets.clear()
  prefixes.clear()
  plenCounts.clear()
  nextBucketId = 1
}

/** Rules loaded (tests, metrics). */
export function ruleCount(): u32 {
  return rules.count
}

// ---- packet path -------------------------------------------------------------------------------------------

/** The slot that allowed the last match (for the trace's rule key). */
let matchedSlot: usize = 0

/**
 * Whether a rule of `group` in `direction` allows a packet of `family`/`proto` whose l4 value is `v` (destination
 * port, or ICMP type << 8 | code; -1 = no L4 header) and whose remote address is at `remote`.
 */
export function groupAllows(group: u32, direction: u32, family: u32, proto: u32, v: i32, remote: usize): bool {
  let b = buckets.findWords(bucketWord(group, direction, family, proto))
  if (b != 0 && bucketAllows(b, family, v, remote)) return true
  b = buckets.findWords(bucketWord(group, direction, family, <u32>ACL_PROTO_ANY))
  return b != 0 && bucketAllows(b, family, v, remote)
}

function bucketAllows(b: usize, family: u32, v: i32, remote: usize): bool {
  const any = <usize>load<u32>(b + B_ANY)
  if (any != 0 && intervalContains(any, v)) return matched(any)
  const id = load<u32>(b + B_ID)
  for (let w = 0; w < 3; w++) {
    let bits = load<u64>(b + B_PLENS + (<usize>w << 3))
    while (bits != 0) {
      const plen = (w << 6) + <i32>ctz<u64>(bits)
      bits &= bits - 1
      const s = prefixes.findWords(prefixWord0(id, plen, family), prefixWord1(family, remote, plen),
        prefixWord2(family, remote, plen))
      if (s != 0 && intervalContains(<usize>load<u32>(s), v)) return matched(<usize>load<u32>(s))
    }
  }
  const list = <usize>load<u32>(b + B_GROUPS)
  const n = load<u32>(b + B_GROUPS_N)
  for (let i: u32 = 0; i < n; i++) {
    const e = list + <usize>i * GROUP_ENTRY_BYTES
    const s = <usize>load<u32>(e, 4)
    if (intervalContains(s, v) && isMember(load<u32>(e), family, remote)) return matched(s)
  }
  return false
}

@inline function matched(s: usize): bool {
  matchedSlot = s
  return true
}

/** The key of a rule that allowed the last match (trace only: scans that slot's rules). */
export function matchedRule(v: i32): u32 {
  return matchedSlot == 0 ? 0 : intervalRuleFor(matchedSlot, v)
}
