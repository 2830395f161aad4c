// Interface counters and the rates the OVS forwarding bench derives from them.
//
//   const c = await readLinkCounters({ netns: 'ns1', ifname: 'eth0' })   `ip -s -j link show`: stats64
//   forwardingRates({ offered: [txBefore, txAfter], delivered: [rxBefore, rxAfter], seconds, frameBytes })
//
// Frames are counted where the workloads see them: `offered` is the sender's veth tx_packets (what the generator
// got onto the wire), `delivered` the receiver's veth rx_packets (what came out of br-int to it). Between them is
// the whole OVS path: the bridge-side veth, vswitchd's receive socket, the OpenFlow pipeline, the send socket.
import { execFile } from 'node:child_process'

export interface LinkCounters {
  rxPackets: number
  txPackets: number
  rxBytes: number
  txBytes: number
  rxDropped: number
  txDropped: number
}

export class CounterError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CounterError'
  }
}

/** A finite, non-negative integer counter, or a CounterError that names what was wrong. */
function counter(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw new CounterError(`${what}: expected a counter, got ${JSON.stringify(v)}`)
  return v
}

/** Counters of `ifname` from the JSON that `ip -s -j link show` prints (stats64 block). */
export function parseLinkCounters(json: string, ifname: string): LinkCounters {
  let doc: unknown
  try {
    doc = JSON.parse(json)
  } catch (err) {
    throw new CounterError(`ip -j output is not JSON: ${(err as Error).message}`)
  }
  if (!Array.isArray(doc)) throw new CounterError('ip -j output is not a list of links')
  const link: unknown = doc.find((l: unknown) => typeof l === 'object' && l !== null && (l as { ifname?: unknown }).ifname === ifname)
  if (link === undefined) throw new CounterError(`no link named ${ifname} in ip -j output`)
  const s = (link as { stats64?: { rx?: Record<string, unknown>; tx?: Record<string, unknown> } }).stats64
  if (s?.rx === undefined || s.tx === undefined) throw new CounterError(`${ifname}: no stats64 (was -s passed?)`)
  return {
    rxPackets: counter(s.rx.packets, `${ifname} rx.packets`),
    txPackets: counter(s.tx.packets, `${ifname} tx.packets`),
    rxBytes: counter(s.rx.bytes, `${ifname} rx.bytes`),
    txBytes: counter(s.tx.bytes, `${ifname} tx.bytes`),
    rxDropped: counter(s.rx.dropped, `${ifname} rx.dropped`),
    txDropped: counter(s.tx.dropped, `${ifname} tx.dropped`),
  }
}

/** Read an interface's counters, in a network namespace (`netns`) or the current one (netns null). */
export function readLinkCounters(o: { netns: string | null; ifname: string }): Promise<LinkCounters> {
  const args = [...(o.netns !== null ? ['-n', o.netns] : []), '-s', '-j', 'link', 'show', 'dev', o.ifname]
  return new Promise((resolve, reject) => {
    execFile('ip', args, (err, stdout, stderr) => {
      if (err !== null) {
        reject(new CounterError(`ip ${args.join(' ')}: ${stderr.trim() || err.message}`))
        return
      }
      try {
        resolve(parseLinkCounters(stdout, o.ifname))
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)))
      }
    })
  })
}

export interface ForwardingSample {
  /** sender tx_packets before and after the run */
  offered: [number, number]
  /** receiver rx_packets before and after the run (read after the generator stopped and the path drained) */
  delivered: [number, number]
  /** how long the generator ran */
  seconds: number
  /** frame length without the 4-byte FCS (60 for "64-byte frames"), as the veth counts bytes */
  frameBytes: number
  /** receiver rx_bytes before and after: lets a run check that what arrived were the frames sent */
  deliveredBytes?: [number, number]
}

export interface ForwardingRates {
  offered: number
  delivered: number
  lost: number
  /** lost / offered, in percent (0 when nothing was offered) */
  lossPct: number
  offeredMpps: number
  deliveredMpps: number
  /** delivered L2 bits per second without FCS, preamble and gap, in Gbit/s */
  deliveredGbps: number
  /** receiver bytes / frames (when deliveredBytes was given): frameBytes when only the generator's frames arrived */
  deliveredBytesPerFrame?: number
}

/** Offered/delivered frames, loss and rates of one run. Throws a CounterError on counters that went backwards. */
export function forwardingRates(s: ForwardingSample): ForwardingRates {
  const offered = s.offered[1] - s.offered[0]
  const delivered = s.delivered[1] - s.delivered[0]
  if (offered < 0 || delivered < 0)
    throw new CounterError(`counters went backwards (offered ${offered}, delivered ${delivered}): was an interface re-created?`)
  if (!(s.seconds > 0)) throw new CounterError(`run length must be positive, got ${s.seconds}`)
  const lost = Math.max(0, offered - delivered)
  const bytes = s.deliveredBytes === undefined ? undefined : s.deliveredBytes[1] - s.deliveredBytes[0]
  if (bytes !== undefined && bytes < 0) throw new CounterError(`byte counter went backwards (${bytes})`)
  return {
    ...(bytes !== undefined && delivered > 0 ? { deliveredBytesPerFrame: bytes / delivered } : {}),
    offered,
    delivered,
    lost,
    lossPct: offered === 0 ? 0 : (lost / offered) * 100,
    offeredMpps: offered / s.seconds / 1e6,
    deliveredMpps: delivered / s.seconds / 1e6,
    deliveredGbps: (delivered * s.frameBytes * 8) / s.seconds / 1e9,
  }
}

/** The median (upper median for an even count); NaN for no values. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] as number
}
