// What identifies a flow in a switch (OpenFlow 1.3.5 §6.4: table, priority and match, compared strictly) and
// what it does, as strings, so desired flows and dumped flows compare without caring how either was built.
import { Writer } from '../openflow/bytes.js'
import { encodeInstructions } from '../openflow/instructions.js'
import type { Instruction, Oxm } from '../openflow/index.js'

/** TLVs in (class, field) order: OVS dumps a match in its own field order, not in the order it was written. */
export function matchKey(table: number, priority: number, match: readonly Oxm[]): string {
  const parts = match.map(o => {
    const id = `${o.cls.toString(16)}:${o.field}`
    const v = (o.payload ?? o.value).toString('hex')
    return o.mask === undefined ? `${id}=${v}` : `${id}=${v}/${o.mask.toString('hex')}`
  })
  parts.sort()
  return `${table}|${priority}|${parts.join(',')}`
}

/** The instruction bytes as the codec writes them (decoded-then-encoded dumps give the same bytes). */
export function instructionsKey(instructions: readonly Instruction[]): string {
  const w = new Writer()
  encodeInstructions(w, instructions)
  return w.finish().toString('hex')
}
