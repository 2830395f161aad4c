// Memory that crosses the boundary, shaped for the WebAssembly canonical ABI so that the core module and the
// component are the same code: list<u8> arguments arrive in memory handed out by `cabi_realloc` (a staging
// area, reused by every call), list<u8> results are a (ptr, len) pair the export returns a pointer to.
// Both areas grow to the largest call seen and are reused, so steady traffic allocates nothing.

const INITIAL_STAGING: usize = 64 * 1024
const INITIAL_OUTPUT: usize = 64 * 1024

let staging: usize = heap.alloc(INITIAL_STAGING)
let stagingSize: usize = INITIAL_STAGING
let stagingTop: usize = 0

let output: usize = heap.alloc(INITIAL_OUTPUT)
let outputSize: usize = INITIAL_OUTPUT

const resultPair: usize = memory.data(8, 8)

/** Memory for an argument of `size` bytes, valid until the call that receives it returns. */
export function stagingAlloc(align: usize, size: usize): usize {
  const mask = max<usize>(align, 1) - 1
  let p = (staging + stagingTop + mask) & ~mask
  if (p + size > staging + stagingSize) {
    // Earlier arguments of the same call stay valid in the old block (the stub runtime never reuses it).
    stagingSize = max(stagingSize << 1, size + mask + 1)
    staging = heap.alloc(stagingSize)
    stagingTop = 0
    p = (staging + mask) & ~mask
  }
  stagingTop = p + size - staging
  return p
}

/** Called at the end of every export that took arguments: the staging area is free again. */
export function releaseStaging(): void {
  stagingTop = 0
}

/** The output area, at least `size` bytes; its previous content is not kept. */
export function outputArea(size: usize): usize {
  if (size > outputSize) {
    heap.free(output)
    while (outputSize < size) outputSize <<= 1
    output = heap.alloc(outputSize)
  }
  return output
}

/** Returns a list<u8> result the canonical-ABI way: a pointer to (ptr u32, len u32). */
export function returnList(ptr: usize, len: usize): usize {
  store<u32>(resultPair, <u32>ptr)
  store<u32>(resultPair, <u32>len, 4)
  return resultPair
}

/** The allocator's current top: unchanged across calls that allocate nothing (tests prove it per packet). */
export function heapTop(): usize {
  const probe = heap.alloc(1)
  heap.free(probe) // the stub runtime gives the last block back, so the probe leaves no trace
  return probe
}
