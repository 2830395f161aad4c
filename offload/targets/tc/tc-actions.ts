// Small constructors for terminal TC actions with their verdict notes (the TC action cookie).
import type { TcAction } from './flower-rule.js'

export const drop = (reason: number): TcAction => ({ kind: 'drop', note: { action: 'drop', reason } })
export const trap = (why: string): TcAction => ({ kind: 'trap', why })
export const goto = (chain: number): TcAction => ({ kind: 'goto', chain })
