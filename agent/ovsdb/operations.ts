// Transaction operations (RFC 7047 5.2) with the RFC's names and shapes.
import type { Atom, Row, Value } from './data.js'

export type Condition = [column: string, fn: '<' | '<=' | '==' | '!=' | '>=' | '>' | 'includes' | 'excludes', value: Value]
export type Mutation = [column: string, mutator: '+=' | '-=' | '*=' | '/=' | '%=' | 'insert' | 'delete', value: Value]

export type Operation =
  | { op: 'insert'; table: string; row: Row; 'uuid-name'?: string }
  | { op: 'select'; table: string; where: Condition[]; columns?: string[] }
  | { op: 'update'; table: string; where: Condition[]; row: Row }
  | { op: 'mutate'; table: string; where: Condition[]; mutations: Mutation[] }
  | { op: 'delete'; table: string; where: Condition[] }
  | { op: 'wait'; table: string; where: Condition[]; columns: string[]; until: '==' | '!='; rows: Row[]; timeout?: number }
  | { op: 'commit'; durable: boolean }
  | { op: 'abort' }
  | { op: 'comment'; comment: string }
  | { op: 'assert'; lock: string }

export function insert(table: string, row: Row, uuidName?: string): Operation {
  return uuidName === undefined ? { op: 'insert', table, row } : { op: 'insert', table, row, 'uuid-name': uuidName }
}
export const select = (table: string, where: Condition[], columns?: string[]): Operation =>
  columns === undefined ? { op: 'select', table, where } : { op: 'select', table, where, columns }
export const update = (table: string, where: Condition[], row: Row): Operation => ({ op: 'update', table, where, row })
export const mutate = (table: string, where: Condition[], mutations: Mutation[]): Operation => ({ op: 'mutate', table, where, mutations })
export const del = (table: string, where: Condition[]): Operation => ({ op: 'delete', table, where })
/** Fail the transaction unless the selected rows' columns compare as `until` to `rows` (5.2.6). */
export function wait(
  table: string,
  where: Condition[],
  opts: { columns: string[]; until: '==' | '!='; rows: Row[]; timeout?: number },
): Operation {
  const w: Operation = { op: 'wait', table, where, columns: opts.columns, until: opts.until, rows: opts.rows }
  if (opts.timeout !== undefined) w.timeout = opts.timeout
  return w
}
export const comment = (text: string): Operation => ({ op: 'comment', comment: text })

/** Result of one operation (5.2: insert gives uuid, select rows, update/mutate/delete count) */
export interface OperationResult {
  uuid?: [string, string]
  rows?: Row[]
  count?: number
}

/** `where` helper: column == value */
export const eq = (column: string, value: Atom): Condition => [column, '==', value]
