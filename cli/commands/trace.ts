// `dragonflow trace`: runs one frame through the WASM pipeline over a topology file and prints each stage's
// decision, in the manner of ovn-trace, then the verdict and the frames that leave (decoded, then as hex).
import { readFile } from 'node:fs/promises'
import type { PacketInput, Verdict } from '../../datapath/host/api.js'
import type { Topology } from '../../datapath/host/entries.js'
import { AddressError, bytesOfHex, hexOf } from '../../datapath/host/addresses.js'
import { decodeFrame } from '../../datapath/host/packet-decoder.js'
import { describeFrame } from '../../datapath/host/packet-describe.js'
import { FieldError, parseFields } from '../../datapath/host/packet-fields.js'
import { type Command, type Flag, UsageError, parseFlags } from '../command.js'

const USAGE =
  'dragonflow trace --topology FILE [--mode batch|packet_in] [--now-ms N] [--backend core|component]\n' +
  "                  (--fields 'in_port=1,eth_src=..,...' | --hex HEX --in-port N [--tunnel-key K])"

const FLAGS: readonly Flag[] = [
  { name: 'topology', type: 'string', value: 'FILE', description: 'a topology JSON file, { "entries": [...] } (required)' },
  { name: 'mode', type: 'string', value: 'batch|packet_in', description: 'pipeline mode (default batch)' },
  { name: 'now-ms', type: 'string', value: 'N', description: 'the datapath clock in ms (default 0)' },
  { name: 'backend', type: 'string', value: 'core|component', description: 'the WASM module or the component (default core)' },
  { name: 'fields', type: 'string', value: "'in_port=1,eth_src=..,...'", description: 'the frame as fields (or --hex)' },
  { name: 'hex', type: 'string', value: 'HEX', description: 'the frame as hex bytes (needs --in-port)' },
  { name: 'in-port', type: 'string', value: 'N', description: 'ingress ofport of a --hex frame' },
  { name: 'tunnel-key', type: 'string', value: 'K', description: 'tunnel key of a --hex frame arriving on a tunnel' },
]

const trace: Command = {
  name: 'trace',
  summary: 'Run one frame through the datapath pipeline and print what each stage decided',
  usage: USAGE,
  flags: FLAGS,
  async run(args) {
    const { flags, rest } = parseFlags(args, FLAGS)
    if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`)
    const topologyPath = flags.get('topology')
    if (!topologyPath) throw new UsageError('--topology is required')
    const mode = flags.get('mode') ?? 'batch'
    if (mode !== 'batch' && mode !== 'packet_in') throw new UsageError(`--mode must be batch or packet_in, not '${mode}'`)
    const backend = flags.get('backend') ?? 'core'
    if (backend !== 'core' && backend !== 'component') throw new UsageError(`--backend must be core or component, not '${backend}'`)
    const nowMs = numberFlag(flags.get('now-ms'), 'now-ms') ?? 0
    const packet = packetFromFlags(flags)
    const topology = await readTopology(topologyPath)

    const { createDatapath } = await import('../../datapath/host/index.js')
    const dp = await createDatapath({ backend })
    dp.load(topology)
    // trace() is packet-in mode with each stage recorded. Batch mode has the same stages and verdict, except
    // where the slow path acts (BEHAVIOUR.md "Two modes"), so its verdict is taken from process().
    const result = dp.trace(packet, nowMs)
    const verdict = mode === 'batch' ? (dp.process([packet])[0] as Verdict) : result.verdict
    const replies = mode === 'batch' ? [] : result.replies

    const out: string[] = []
    out.push(`ingress: in_port ${packet.in_port}${packet.tunnel_key ? `, tunnel key ${packet.tunnel_key}` : ''}, ${mode} mode`)
    out.push(`  ${describeFrame(decodeFrame(packet.data))}`)
    out.push('')
    const width = Math.max(...result.steps.map(s => s.stage.length), 5)
    for (const s of result.steps) out.push(`  ${s.stage.padEnd(width)}  ${s.outcome.padEnd(6)} ${s.detail}`)
    out.push('')
    out.push(`verdict: ${verdictLine(verdict)}`)
    if (mode === 'batch' && result.replies.length > 0) {
      out.push(
        `  (batch mode runs no slow path; in packet_in mode it would send ${result.replies.length} repl${result.replies.length === 1 ? 'y' : 'ies'})`,
      )
    }
    if (verdict.action !== 'drop' && verdict.action !== 'punt') out.push(...frameLines('output', verdict.packet))
    if (mode === 'packet_in') {
      out.push(`replies: ${replies.length === 0 ? 'none' : replies.length}`)
      replies.forEach((r, i) => out.push(...frameLines(`reply ${i + 1} out of ofport ${r.ofport}`, r.packet)))
    }
    console.log(out.join('\n'))
    return 0
  },
}
export default trace

function numberFlag(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name} must be a non-negative integer, not '${text}'`)
  return Number(text)
}

function packetFromFlags(flags: Map<string, string>): PacketInput {
  const fields = flags.get('fields')
  const hex = flags.get('hex')
  if ((fields === undefined) === (hex === undefined)) throw new UsageError('give either --fields or --hex (with --in-port)')
  try {
    if (fields !== undefined) {
      const p = parseFields(fields)
      return { in_port: p.in_port, ...(p.tunnel_key !== undefined ? { tunnel_key: p.tunnel_key } : {}), data: p.frame }
    }
    const inPort = numberFlag(flags.get('in-port'), 'in-port')
    if (inPort === undefined) throw new UsageError('--hex needs --in-port')
    const tunnelKey = numberFlag(flags.get('tunnel-key'), 'tunnel-key')
    return { in_port: inPort, ...(tunnelKey !== undefined ? { tunnel_key: tunnelKey } : {}), data: bytesOfHex(hex as string) }
  } catch (err) {
    // A bad field or address is the user's to fix: say which one, with the usage.
    if (err instanceof FieldError) throw new UsageError(`--fields: ${err.message}`)
    if (err instanceof AddressError) throw new UsageError(`--hex: ${err.message}`)
    throw err
  }
}

async function readTopology(path: string): Promise<Topology> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch {
    throw new UsageError(`cannot read topology file ${path}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new UsageError(`${path} is not JSON: ${err instanceof Error ? err.message : String(err)}`)
  }
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray((parsed as { entries?: unknown }).entries)) {
    throw new UsageError(`${path} is not a topology ({ "entries": [...] })`)
  }
  return parsed as Topology
}

function verdictLine(v: Verdict): string {
  switch (v.action) {
    case 'output':
      return `output to ofport ${v.ofport}`
    case 'in_port':
      return `back out of the ingress port (ofport ${v.ofport})`
    case 'flood':
      return `flood network ${v.network}`
    case 'tunnel':
      return `tunnel to ${v.remote}, network ${v.network}, port ${v.port}`
    default:
      return `${v.action} (${v.reason})`
  }
}

function frameLines(title: string, frame: Uint8Array): string[] {
  return [`${title}:`, `  ${describeFrame(decodeFrame(frame))}`, `  ${hexOf(frame)}`]
}
