// Blocks for the control path's small growing arrays (ACL interval lists, rule records, remote-group lists):
// power-of-two size classes, each with a free list threaded through its free blocks.
// The stub runtime only takes back the last block it handed out, so structures that are rebuilt on every
// entry change would otherwise leak; here a freed block is reused by the next request of its class.
// Never called on the packet path.

const MIN_LOG2: u32 = 4 // 16 bytes
const MAX_LOG2: u32 = 30
const freeHeads: usize = memory.data(<i32>(MAX_LOG2 + 1) * 4)

/** The size class of a request: the smallest power of two >= bytes (and >= 16). */
@inline function classOf(bytes: usize): u32 {
  if (bytes <= (<usize>1 << MIN_LOG2)) return MIN_LOG2
  return <u32>(32 - clz<u32>(<u32>bytes - 1))
}

/** Bytes a block of `bytes` really has: callers may use all of them. */
export function blockCapacity(bytes: usize): usize {
  return <usize>1 << <usize>classOf(bytes)
}

/** A block of at least `bytes`, contents undefined. */
export function blockAlloc(bytes: usize): usize {
  const c = classOf(bytes)
  const head = freeHeads + (<usize>c << 2)
  const free = <usize>load<u32>(head)
  if (free != 0) {
    store<u32>(head, load<u32>(free))
    return free
  }
  return heap.alloc(<usize>1 << <usize>c)
}

/** Gives back a block of `bytes` (the size it was allocated with, or its capacity); 0 is ignored. */
export function blockFree(p: usize, bytes: usize): void {
  if (p == 0) return
  const head = freeHeads + (<usize>classOf(bytes) << 2)
  store<u32>(p, load<u32>(head))
  store<u32>(head, <u32>p)
}

/** A block of `newBytes` holding the first `keepBytes` of `p` (which had `oldBytes`); `p` is freed. */
export function blockGrow(p: usize, oldBytes: usize, keepBytes: usize, newBytes: usize): usize {
  if (p != 0 && classOf(oldBytes) == classOf(newBytes)) return p
  const q = blockAlloc(newBytes)
  if (p != 0) {
    memory.copy(q, p, min(keepBytes, newBytes))
    blockFree(p, oldBytes)
  }
  return q
}
