// Typed values for flow builders besides addresses (those are datapath/host/addresses.ts, shared with every
// layer): a flow never takes a port, key or flag as a bare number of unknown meaning (CONVENTIONS.md 2).
import { type CidrOptions, type MacAddress } from '../../datapath/host/addresses.js'

/**
 * How a prefix match is parsed from entry text: a bare address is a host match, and host bits set are refused
 * (OpenFlow would mask them off silently, so "10.0.0.1/24" is more likely a mistake than a network).
 */
export const MATCH_PREFIX: CidrOptions = { strict: true, bareIsHost: true }

/** An OpenFlow port number (OpenFlow 1.3.5 §7.2.1: 1..0xffffff00 are physical/logical ports). */
export class OfPort {
  private constructor(readonly value: number) {}
  static of(n: number): OfPort {
    if (!Number.isInteger(n) || n < 1 || n > 0xffffff00) throw new Error(`not an OpenFlow port number: ${n}`)
    return new OfPort(n)
  }
  toString(): string {
    return String(this.value)
  }
}

/** A pipeline key (network, port, router key) allocated by the store: a small non-negative integer. */
export class Key {
  private constructor(readonly value: number) {}
  static of(n: number, bits = 32): Key {
    if (!Number.isInteger(n) || n < 0 || n >= 2 ** bits) throw new Error(`key out of range (${bits} bits): ${n}`)
    return new Key(n)
  }
  toString(): string {
    return String(this.value)
  }
}

/** Bits of a flag register with the mask of the bits that matter. */
export class Bits {
  constructor(
    readonly value: number,
    readonly mask: number,
  ) {
    if ((value & ~mask) !== 0) throw new Error(`bits 0x${value.toString(16)} outside mask 0x${mask.toString(16)}`)
  }
}

/** A MAC address under a mask (e.g. the I/G bit alone: any group address). */
export class MaskedMac {
  constructor(
    readonly address: MacAddress,
    readonly mask: MacAddress,
  ) {
    if ((address.value & ~mask.value) !== 0n) throw new Error(`MAC ${address.toString()} has bits outside mask ${mask.toString()}`)
  }
}

/**
 * Connection-tracking state flags to match (ovs-fields(7) ct_state): each named flag is required set (true)
 * or clear (false); unnamed flags are wildcarded. Bit values are OVS's (lib/packets.h CS_*), which
 * NXM_NX_CT_STATE carries on the wire.
 */
export const CT_STATE_BITS = { new: 0x01, est: 0x02, rel: 0x04, rpl: 0x08, inv: 0x10, trk: 0x20, snat: 0x40, dnat: 0x80 } as const
export type CtFlag = keyof typeof CT_STATE_BITS

export class CtState {
  private constructor(
    readonly value: number,
    readonly mask: number,
  ) {}
  static of(flags: Partial<Record<CtFlag, boolean>>): CtState {
    let value = 0
    let mask = 0
    for (const [name, on] of Object.entries(flags) as [CtFlag, boolean | undefined][]) {
      if (on === undefined) continue
      const bit = CT_STATE_BITS[name]
      mask |= bit
      if (on) value |= bit
    }
    if (mask === 0) throw new Error('ct_state: name at least one flag')
    return new CtState(value, mask)
  }
}
