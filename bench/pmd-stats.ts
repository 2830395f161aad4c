// What ovs-vswitchd says about its own packet processing: `ovs-appctl dpif-netdev/pmd-stats-show`.
// With veth (AF_PACKET) ports there are no PMD threads: the "main thread" block is where dpif-netdev processes
// every frame (OVS 3.1 prints no cycle counts for it). Its `packets received` splits a run's loss in two: frames
// lost before OVS read them (veth input queue, vswitchd's receive socket) and frames lost after.
//
//   parsePmdStats(text) -> { packetsReceived, emcHits, megaflowHits, upcalls, ... } | undefined

export interface PmdStats {
  /** the thread the block describes ("main thread", "pmd thread numa_id 0 core_id 1") */
  thread: string
  packetsReceived: number
  packetRecirculations: number
  emcHits: number
  smcHits: number
  megaflowHits: number
  upcalls: number
  lostUpcalls: number
  /** of the busiest thread block (null when not printed) */
  avgPacketsPerOutputBatch: number | null
}

const NUMBER = '([0-9]+(?:\\.[0-9]+)?)'

function field(block: string, label: string): number | null {
  const m = new RegExp(`^\\s*${label}:\\s*${NUMBER}`, 'm').exec(block)
  return m?.[1] === undefined ? null : Number(m[1])
}

/** Sum of the counters over every thread block (main thread and PMDs), or undefined if the text has none. */
export function parsePmdStats(text: string): PmdStats | undefined {
  const blocks = text.split(/^(?=\S.*:\s*$)/m).filter(b => /packets received:/.test(b))
  if (blocks.length === 0) return undefined
  const sum = (label: string): number => blocks.reduce((a, b) => a + (field(b, label) ?? 0), 0)
  const avg = (label: string): number | null => {
    // averages are per thread: take the busiest one (the one that received the most packets)
    const busiest = [...blocks].sort((x, y) => (field(y, 'packets received') ?? 0) - (field(x, 'packets received') ?? 0))[0]
    return busiest === undefined ? null : field(busiest, label)
  }
  return {
    thread: blocks.map(b => b.split('\n')[0]?.replace(/:\s*$/, '').trim() ?? '').join(', '),
    packetsReceived: sum('packets received'),
    packetRecirculations: sum('packet recirculations'),
    emcHits: sum('emc hits'),
    smcHits: sum('smc hits'),
    megaflowHits: sum('megaflow hits'),
    upcalls: sum('miss with success upcall'),
    lostUpcalls: sum('miss with failed upcall'),
    avgPacketsPerOutputBatch: avg('avg\\. packets per output batch'),
  }
}
