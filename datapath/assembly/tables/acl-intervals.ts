// The l4 intervals of the rules that share one remote in one ACL bucket (tables/acl-index.ts): each rule keeps
// its own record, so two rules with the same interval are two records and removing one keeps the other; the
// lookup reads a merged copy, sorted and disjoint, with a binary search.
//
//   slot (32 bytes, from block-pool.ts)
//   0          4           8          12          16           20          24           28
//   +----------+-----------+----------+-----------+------------+-----------+------------+------+
//   | rules ptr| rules n   | rules cap| merged ptr| merged n   | merged cap| full rules | pad  |
//   +----------+-----------+----------+-----------+------------+-----------+------------+------+
//   rule record (8 bytes, sorted by lo, hi, rule): lo << 16 | hi u32, rule key u32
//   merged entry (4 bytes): lo << 16 | hi, sorted, neither overlapping nor adjacent
//
// `full rules` counts rules covering 0..65535 (no ports, no ICMP type): the only ones a packet without an L4
// header (a later fragment) matches (BEHAVIOUR.md "Security groups"); merged intervals could cover the whole
// range without any such rule.
import { blockAlloc, blockCapacity, blockFree, blockGrow } from './block-pool'

const SLOT_BYTES: usize = 32
const RULES: usize = 0
const RULES_N: usize = 4
const RULES_CAP: usize = 8
const MERGED: usize = 12
const MERGED_N: usize = 16
const MERGED_CAP: usize = 20
const FULL: usize = 24
const RULE_BYTES: usize = 8
const FULL_RANGE: u32 = 0xffff

export function newIntervalSlot(): usize {
  const s = blockAlloc(SLOT_BYTES)
  memory.fill(s, 0, SLOT_BYTES)
  return s
}

export function freeIntervalSlot(s: usize): void {
  blockFree(<usize>load<u32>(s + RULES), <usize>load<u32>(s + RULES_CAP) * RULE_BYTES)
  blockFree(<usize>load<u32>(s + MERGED), <usize>load<u32>(s + MERGED_CAP) << 2)
  blockFree(s, SLOT_BYTES)
}

/** Rules held by the slot (0: the slot can go). */
@inline export function intervalRules(s: usize): u32 {
  return load<u32>(s + RULES_N)
}

@inline function packed(lo: u32, hi: u32): u32 {
  return (lo << 16) | hi
}

/** Index of the first rule record not below (value, rule). */
function lowerBound(s: usize, value: u32, rule: u32): u32 {
  const base = <usize>load<u32>(s + RULES)
  let lo: u32 = 0
  let hi = load<u32>(s + RULES_N)
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    const r = base + <usize>mid * RULE_BYTES
    const v = load<u32>(r)
    if (v < value || (v == value && load<u32>(r, 4) < rule)) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Adds rule `rule` covering [lo, hi] (lo <= hi <= 65535). */
export function intervalAdd(s: usize, lo: u32, hi: u32, rule: u32): void {
  const n = load<u32>(s + RULES_N)
  const cap = load<u32>(s + RULES_CAP)
  if (n == cap) {
    const bytes = blockCapacity(max<usize>(<usize>(n + 1) * RULE_BYTES, 32))
    store<u32>(s + RULES, <u32>blockGrow(<usize>load<u32>(s + RULES), <usize>cap * RULE_BYTES,
      <usize>n * RULE_BYTES, bytes))
    store<u32>(s + RULES_CAP, <u32>(bytes / RULE_BYTES))
  }
  const value = packed(lo, hi)
  const at = lowerBound(s, value, rule)
  const p = <usize>load<u32>(s + RULES) + <usize>at * RULE_BYTES
  memory.copy(p + RULE_BYTES, p, <usize>(n - at) * RULE_BYTES)
  store<u32>(p, value)
  store<u32>(p, rule, 4)
  store<u32>(s + RULES_N, n + 1)
  if (lo == 0 && hi == FULL_RANGE) store<u32>(s + FULL, load<u32>(s + FULL) + 1)
  rebuildMerged(s)
}

/** Removes the record of rule `rule` over [lo, hi]; false when there is none. */
export function intervalRemove(s: usize, lo: u32, hi: u32, rule: u32): bool {
  const n = load<u32>(s + RULES_N)
  const value = packed(lo, hi)
  const at = lowerBound(s, value, rule)
  const p = <usize>load<u32>(s + RULES) + <usize>at * RULE_BYTES
  if (at >= n || load<u32>(p) != value || load<u32>(p, 4) != rule) return false
  memory.copy(p, p + RULE_BYTES, <usize>(n - at - 1) * RULE_BYTES)
  store<u32>(s + RULES_N, n - 1)
  if (lo == 0 && hi == FULL_RANGE) store<u32>(s + FULL, load<u32>(s + FULL) - 1)
  rebuildMerged(s)
  return true
}

/** The merged list from the sorted rule records: one pass, overlapping and adjacent intervals joined. */
function rebuildMerged(s: usize): void {
  const n = load<u32>(s + RULES_N)
  const cap = load<u32>(s + MERGED_CAP)
  if (n > cap) {
    const bytes = blockCapacity(<usize>n << 2)
    store<u32>(s + MERGED, <u32>blockGrow(<usize>load<u32>(s + MERGED), <usize>cap << 2, 0, bytes))
    store<u32>(s + MERGED_CAP, <u32>(bytes >> 2))
  }
  const rules = <usize>load<u32>(s + RULES)
  const out = <usize>load<u32>(s + MERGED)
  let m: u32 = 0
  let curLo: u32 = 0
  let curHi: i32 = -1
  for (let i: u32 = 0; i < n; i++) {
    const v = load<u32>(rules + <usize>i * RULE_BYTES)
    const lo = v >> 16
    const hi = <i32>(v & 0xffff)
    if (curHi >= 0 && <i32>lo <= curHi + 1) {
      if (hi > curHi) curHi = hi
      continue
    }
    if (curHi >= 0) {
      store<u32>(out + (<usize>m << 2), packed(curLo, <u32>curHi))
      m++
    }
    curLo = lo
    curHi = hi
  }
  if (curHi >= 0) {
    store<u32>(out + (<usize>m << 2), packed(curLo, <u32>curHi))
    m++
  }
  store<u32>(s + MERGED_N, m)
}

/** Whether some rule of the slot covers `v` (0..65535), or for v < 0 (no L4 header) whether one covers all. */
export function intervalContains(s: usize, v: i32): bool {
  if (v < 0) return load<u32>(s + FULL) != 0
  const base = <usize>load<u32>(s + MERGED)
  // the last entry whose lo <= v: entries are compared with (v << 16 | 0xffff)
  const target = (<u32>v << 16) | 0xffff
  let lo: u32 = 0
  let hi = load<u32>(s + MERGED_N)
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (load<u32>(base + (<usize>mid << 2)) <= target) lo = mid + 1
    else hi = mid
  }
  return lo != 0 && (load<u32>(base + (<usize>(lo - 1) << 2)) & 0xffff) >= <u32>v
}

/** The key of a rule of the slot that covers `v` (as intervalContains), 0 when none: for traces only (a scan). */
export function intervalRuleFor(s: usize, v: i32): u32 {
  const rules = <usize>load<u32>(s + RULES)
  const n = load<u32>(s + RULES_N)
  for (let i: u32 = 0; i < n; i++) {
    const r = rules + <usize>i * RULE_BYTES
    const x = load<u32>(r)
    const lo = <i32>(x >> 16)
    const hi = <i32>(x & 0xffff)
    if (v < 0 ? lo == 0 && hi == <i32>FULL_RANGE : lo <= v && v <= hi) return load<u32>(r, 4)
  }
  return 0
}
