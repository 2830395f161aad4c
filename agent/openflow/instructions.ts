// Instructions (7.2.4): what a flow entry does when it matches. Every instruction is a multiple of 8 bytes.
import { Reader, Writer } from './bytes.js'
import { OfError } from './errors.js'
import { decodeActions, encodeActions, type Action } from './actions.js'

export const OFPIT_GOTO_TABLE = 1
export const OFPIT_WRITE_METADATA = 2
export const OFPIT_WRITE_ACTIONS = 3
export const OFPIT_APPLY_ACTIONS = 4
export const OFPIT_CLEAR_ACTIONS = 5
export const OFPIT_METER = 6

export const OFP_INSTRUCTION_GOTO_TABLE_LEN = 8
export const OFP_INSTRUCTION_WRITE_METADATA_LEN = 24
export const OFP_INSTRUCTION_ACTIONS_LEN = 8 // header before the actions
export const OFP_INSTRUCTION_METER_LEN = 8

export type Instruction =
  | { type: 'OFPIT_GOTO_TABLE'; table: number }
  | { type: 'OFPIT_WRITE_METADATA'; metadata: bigint; mask: bigint }
  | { type: 'OFPIT_WRITE_ACTIONS'; actions: Action[] }
  | { type: 'OFPIT_APPLY_ACTIONS'; actions: Action[] }
  | { type: 'OFPIT_CLEAR_ACTIONS' }
  | { type: 'OFPIT_METER'; meterId: number }
  | { type: 'unknown'; instructionType: number; body: Buffer }

export function encodeInstruction(w: Writer, i: Instruction): void {
  const start = w.length
  switch (i.type) {
    case 'OFPIT_GOTO_TABLE':
      w.u16(OFPIT_GOTO_TABLE).u16(OFP_INSTRUCTION_GOTO_TABLE_LEN).u8(i.table).zeros(3)
      return
    case 'OFPIT_WRITE_METADATA':
      w.u16(OFPIT_WRITE_METADATA).u16(OFP_INSTRUCTION_WRITE_METADATA_LEN).zeros(4).u64(i.metadata).u64(i.mask)
      return
    case 'OFPIT_WRITE_ACTIONS':
    case 'OFPIT_APPLY_ACTIONS':
      w.u16(i.type === 'OFPIT_WRITE_ACTIONS' ? OFPIT_WRITE_ACTIONS : OFPIT_APPLY_ACTIONS)
        .u16(0)
        .zeros(4)
      encodeActions(w, i.actions)
      w.setU16(start + 2, w.length - start)
      return
    case 'OFPIT_CLEAR_ACTIONS':
      w.u16(OFPIT_CLEAR_ACTIONS).u16(OFP_INSTRUCTION_ACTIONS_LEN).zeros(4)
      return
    case 'OFPIT_METER':
      w.u16(OFPIT_METER).u16(OFP_INSTRUCTION_METER_LEN).u32(i.meterId)
      return
    case 'unknown':
      w.u16(i.instructionType)
        .u16(4 + i.body.length)
        .bytes(i.body)
  }
}

// 5.9: an instruction set executes in this order whatever order it is written in, and OVS refuses a set
// written in another order (OFPBIC_UNSUP_INST), so the encoder writes it in this order.
const EXECUTION_ORDER: Record<Instruction['type'], number> = {
  OFPIT_METER: 0,
  OFPIT_APPLY_ACTIONS: 1,
  OFPIT_CLEAR_ACTIONS: 2,
  OFPIT_WRITE_ACTIONS: 3,
  OFPIT_WRITE_METADATA: 4,
  OFPIT_GOTO_TABLE: 5,
  unknown: 6,
}

export function encodeInstructions(w: Writer, list: readonly Instruction[]): void {
  const ordered = [...list].sort((a, b) => EXECUTION_ORDER[a.type] - EXECUTION_ORDER[b.type]) // stable sort
  for (const i of ordered) encodeInstruction(w, i)
}

export function decodeInstruction(r: Reader): Instruction {
  const type = r.u16('instruction.type')
  const len = r.u16('instruction.len')
  if (len < 8 || len % 8 !== 0) throw new OfError('OF_BAD_LENGTH', `instruction type ${type} has len ${len}`)
  const bodyAt = r.off
  const b = r.sub(len - 4, 'instruction body')
  switch (type) {
    case OFPIT_GOTO_TABLE:
      return { type: 'OFPIT_GOTO_TABLE', table: b.u8() }
    case OFPIT_WRITE_METADATA:
      b.skip(4)
      return { type: 'OFPIT_WRITE_METADATA', metadata: b.u64(), mask: b.u64() }
    case OFPIT_WRITE_ACTIONS:
      b.skip(4)
      return { type: 'OFPIT_WRITE_ACTIONS', actions: decodeActions(b) }
    case OFPIT_APPLY_ACTIONS:
      b.skip(4)
      return { type: 'OFPIT_APPLY_ACTIONS', actions: decodeActions(b) }
    case OFPIT_CLEAR_ACTIONS:
      return { type: 'OFPIT_CLEAR_ACTIONS' }
    case OFPIT_METER:
      return { type: 'OFPIT_METER', meterId: b.u32() }
  }
  return { type: 'unknown', instructionType: type, body: Buffer.from(r.buf.subarray(bodyAt, bodyAt + len - 4)) }
}

export function decodeInstructions(r: Reader): Instruction[] {
  const out: Instruction[] = []
  while (r.remaining > 0) out.push(decodeInstruction(r))
  return out
}
