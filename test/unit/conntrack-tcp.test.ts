// TCP connection tracking (datapath/assembly/tables/conntrack-tcp.ts) behaves as OVS's userspace conntrack
// (lib/conntrack-tcp.c): real TCP segments from the packet builder are written into the module's memory and
// driven through the handshake, data, windows, resets, teardown and restart, with the timeouts at each step.
// The module is compiled here from a test-only entry (test/unit/conntrack-tcp/harness.ts).
import t, { type Test } from 'tap'
import asc from 'assemblyscript/asc'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ipv4, mac } from '../../datapath/host/addresses.js'
import { buildFrame, ethernet, ip4, raw, tcp } from '../../datapath/host/packet-builder.js'

const FIN = 0x01,
  SYN = 0x02,
  RST = 0x04,
  PSH = 0x08,
  ACK = 0x10,
  URG = 0x20,
  ECE = 0x40,
  CWR = 0x80
const S = 1000 // ms
/** pf's MAXACKWINDOW (0xffff + 1500) */
const MAX_ACK_WINDOW = 67035
const STATES = [
  'CLOSED',
  'LISTEN',
  'SYN_SENT',
  'SYN_RECV',
  'ESTABLISHED',
  'CLOSE_WAIT',
  'FIN_WAIT_1',
  'CLOSING',
  'LAST_ACK',
  'FIN_WAIT_2',
  'TIME_WAIT',
]
// Options as Linux sends them on a SYN: MSS 1460, SACK permitted, timestamps, NOP, window scale (RFC 7323).
const linuxSynOptions = (shift: number): number[] => [2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, shift]

interface Harness {
  /** the compiled module as text, to check what the code can do */
  wat: string
  memory: WebAssembly.Memory
  stateBytes: number
  codes: string[]
  start(slot: number, tcp: number, tcpLen: number, payloadLen: number, nowMs: number): number
  update(slot: number, reply: number, tcp: number, tcpLen: number, payloadLen: number, nowMs: number): number
  expiresAt(slot: number): number
  peerState(slot: number, reply: number): number
  segment: number
  slot: number
}

async function compileHarness(): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'conntrack-tcp-'))
  try {
    const out = join(dir, 'harness.wasm')
    const wat = join(dir, 'harness.wat')
    // The tree's flags (scripts/build-wasm.js): stub runtime, no env.abort import.
    const { error, stderr } = await asc.main(
      [
        'test/unit/conntrack-tcp/harness.ts',
        '--outFile',
        out,
        '--textFile',
        wat,
        '-O3',
        '--runtime',
        'stub',
        '--noAssert',
        '--enable',
        'simd',
        '--use',
        'abort=',
        '--initialMemory',
        '1',
      ],
      {},
    )
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- asc's stderr is a memory stream whose toString is its text
    if (error) throw new Error(`asc: ${error.message}\n${stderr.toString()}`)
    const { instance } = await WebAssembly.instantiate(readFileSync(out), {})
    const ex = instance.exports
    const call = (name: string): ((...args: number[]) => number) => {
      const f = ex[name]
      if (typeof f !== 'function') throw new Error(`harness export ${name} is missing`)
      return (...args) => Number(f(...args))
    }
    const int = (name: string): number => {
      const g = ex[name]
      if (!(g instanceof WebAssembly.Global)) throw new Error(`harness export ${name} is missing`)
      return g.value as number
    }
    const memory = ex.memory
    if (!(memory instanceof WebAssembly.Memory)) throw new Error('harness exports no memory')
    const codes: string[] = []
    codes[int('TCP_VALID')] = 'valid'
    codes[int('TCP_INVALID')] = 'invalid'
    codes[int('TCP_RESTART')] = 'restart'
    return {
      wat: readFileSync(wat, 'utf8'),
      memory,
      codes,
      stateBytes: int('TCP_STATE_BYTES'),
      start: call('tcpStart'),
      update: call('tcpUpdate'),
      expiresAt: call('tcpExpiresAt'),
      peerState: call('tcpPeerState'),
      segment: call('segmentAddress')(),
      slot: call('slotAddress')(),
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const h = await compileHarness()

/** One TCP segment, described by what matters to the tracker. */
interface Seg {
  flags: number
  seq: number
  ack?: number
  win?: number
  /** payload bytes */
  data?: number
  options?: number[]
  dataOffset?: number
}

/** The segment's TCP header and payload, cut out of a real IPv4 frame (its IP total length bounds it). */
function encode(s: Seg): Uint8Array {
  const frame = buildFrame([
    ethernet({ src: mac('fa:16:3e:00:00:01'), dst: mac('fa:16:3e:00:00:02') }),
    ip4({ src: ipv4('10.0.0.5'), dst: ipv4('10.0.0.6') }),
    tcp({
      sport: 40000,
      dport: 80,
      seq: s.seq >>> 0,
      ack: (s.ack ?? 0) >>> 0,
      flags: s.flags,
      window: s.win ?? 65535,
      ...(s.options ? { options: Uint8Array.from(s.options) } : {}),
      ...(s.dataOffset !== undefined ? { dataOffset: s.dataOffset } : {}),
    }),
    raw(new Uint8Array(s.data ?? 0).fill(0x61)),
  ])
  const ihl = (frame[14]! & 0x0f) * 4
  const totalLength = (frame[16]! << 8) | frame[17]!
  return frame.subarray(14 + ihl, 14 + totalLength)
}

type Dir = 'orig' | 'reply'

/** One connection slot in the harness's memory, filled with a canary so writes past TCP_STATE_BYTES show. */
class Conn {
  constructor() {
    new Uint8Array(h.memory.buffer, h.slot, 64).fill(0xa5)
  }

  private write(s: Seg, lengths?: { tcpLen?: number; payloadLen?: number }): [number, number] {
    const bytes = encode(s)
    new Uint8Array(h.memory.buffer, h.segment, bytes.length).set(bytes)
    const header = (bytes[12]! >> 4) * 4
    return [lengths?.tcpLen ?? bytes.length, lengths?.payloadLen ?? bytes.length - header]
  }

  start(s: Seg, now: number, lengths?: { tcpLen?: number; payloadLen?: number }): boolean {
    const [len, payload] = this.write(s, lengths)
    return h.start(h.slot, h.segment, len, payload, now) !== 0
  }

  send(dir: Dir, s: Seg, now: number, lengths?: { tcpLen?: number; payloadLen?: number }): string {
    const [len, payload] = this.write(s, lengths)
    const code = h.update(h.slot, dir === 'reply' ? 1 : 0, h.segment, len, payload, now)
    return h.codes[code] ?? `unknown result ${code}`
  }

  /** "original sender's state / reply sender's state" */
  states(): string {
    const name = (reply: number): string => STATES[h.peerState(h.slot, reply)] ?? 'bad state'
    return `${name(0)}/${name(1)}`
  }

  /** seconds from `now` to expiry */
  expiresIn(now: number): number {
    return (h.expiresAt(h.slot) - now) / S
  }

  canaryIntact(): boolean {
    return new Uint8Array(h.memory.buffer, h.slot + h.stateBytes, 64 - h.stateBytes).every(b => b === 0xa5)
  }
}

const T0 = 1_700_000_000_000
const A = 0x1000_0000 // the client's initial sequence number
const B = 0x7000_0000 // the server's

interface Opened {
  c: Conn
  now: number
}

/** SYN, SYN|ACK, ACK with the given windows and scale options, each checked as valid. */
function handshake(t: Test, o: { aWin?: number; bWin?: number; aShift?: number; bShift?: number; a?: number; b?: number } = {}): Opened {
  const a = o.a ?? A,
    b = o.b ?? B
  const c = new Conn()
  t.ok(
    c.start({ flags: SYN, seq: a, win: o.aWin ?? 65535, ...(o.aShift !== undefined ? { options: linuxSynOptions(o.aShift) } : {}) }, T0),
    'the SYN starts a connection',
  )
  t.equal(
    c.send(
      'reply',
      {
        flags: SYN | ACK,
        seq: b,
        ack: a + 1,
        win: o.bWin ?? 65535,
        ...(o.bShift !== undefined ? { options: linuxSynOptions(o.bShift) } : {}),
      },
      T0 + 1,
    ),
    'valid',
    'the SYN|ACK is valid',
  )
  t.equal(c.send('orig', { flags: ACK, seq: a + 1, ack: b + 1, win: o.aWin ?? 65535 }, T0 + 2), 'valid', 'the ACK completes the handshake')
  t.equal(c.states(), 'ESTABLISHED/ESTABLISHED')
  return { c, now: T0 + 2 }
}

t.test('the per-connection state fits the contract and stays inside its slot', async t => {
  t.ok(h.stateBytes > 0 && h.stateBytes <= 64, `TCP_STATE_BYTES = ${h.stateBytes}, at most 64`)
  const { c } = handshake(t, { aShift: 7, bShift: 7 })
  c.send('orig', { flags: ACK | PSH, seq: A + 1, ack: B + 1, data: 100 }, T0 + 10)
  c.send('orig', { flags: RST | ACK, seq: A + 101, ack: B + 1 }, T0 + 20)
  t.ok(c.canaryIntact(), 'no byte past TCP_STATE_BYTES of the slot was written')
})

t.test('zero allocation: the tracker grows no memory and writes no global', async t => {
  t.notMatch(h.wat, /memory\.grow/, 'no memory.grow (no heap allocation, even by the stub runtime)')
  t.notMatch(h.wat, /global\.set/, "no global is ever written: all state is in the caller's slot")
})

t.test('3-way handshake and data both ways: states and timeouts follow', async t => {
  const c = new Conn()
  t.ok(c.start({ flags: SYN, seq: A, win: 64240, options: linuxSynOptions(7) }, T0), 'a SYN starts a connection')
  t.equal(c.states(), 'SYN_SENT/CLOSED')
  t.equal(c.expiresIn(T0), 30, 'first packet: 30 s')
  t.equal(c.send('reply', { flags: SYN | ACK, seq: B, ack: A + 1, win: 65160, options: linuxSynOptions(7) }, T0 + S), 'valid')
  t.equal(c.states(), 'ESTABLISHED/SYN_SENT', "the SYN|ACK acknowledges the client's SYN")
  t.equal(c.expiresIn(T0 + S), 30, 'opening: 30 s')
  t.equal(c.send('orig', { flags: ACK, seq: A + 1, ack: B + 1, win: 502 }, T0 + 2 * S), 'valid')
  t.equal(c.states(), 'ESTABLISHED/ESTABLISHED')
  t.equal(c.expiresIn(T0 + 2 * S), 24 * 3600, 'established: 24 h')
  t.equal(c.send('orig', { flags: ACK | PSH, seq: A + 1, ack: B + 1, win: 502, data: 1000 }, T0 + 3 * S), 'valid', 'client data')
  t.equal(
    c.send('reply', { flags: ACK | PSH, seq: B + 1, ack: A + 1001, win: 509, data: 1400 }, T0 + 4 * S),
    'valid',
    "server data acking the client's",
  )
  t.equal(c.send('orig', { flags: ACK, seq: A + 1001, ack: B + 1401, win: 502 }, T0 + 5 * S), 'valid', 'the client acks it')
  t.equal(c.expiresIn(T0 + 5 * S), 24 * 3600, 'each packet moves the 24 h on')
})

t.test('segments outside the window are invalid; retransmissions inside it are valid', async t => {
  // No window scaling: the server's SYN|ACK allows 8192 bytes from A + 1, the client's 8192 from B + 1.
  const { c, now } = handshake(t, { aWin: 8192, bWin: 8192 })
  const data = (seq: number, n: number): Seg => ({ flags: ACK | PSH, seq, ack: B + 1, win: 8192, data: n })
  t.equal(c.send('orig', data(A + 1, 1000), now), 'valid', 'the first 1000 bytes')
  t.equal(c.send('orig', data(A + 1, 1000), now), 'valid', 'the same segment again (a retransmission)')
  t.equal(c.send('orig', data(A + 8192, 1), now), 'valid', 'the last byte of the window')
  t.equal(c.send('orig', data(A + 8193, 1), now), 'invalid', 'one byte past the window')
  t.equal(c.send('orig', data(A + 5000, 4000), now), 'invalid', 'a segment whose end is past the window')
  t.equal(c.send('orig', data(A + 200_000, 100), now), 'invalid', 'far ahead')
  // The client's edge is now A + 8193; a retransmission may start at most one window (8192) behind it.
  t.equal(c.send('orig', data(A + 1, 100), now), 'valid', 'an old segment exactly one window back')
  t.equal(c.send('orig', data(A, 100), now), 'invalid', 'one byte more than a window back')
  t.equal(
    c.send('reply', { flags: ACK, seq: B + 1, ack: A + 8193 + MAX_ACK_WINDOW, win: 8192 }, now),
    'valid',
    'an ACK at most MAXACKWINDOW past the data sent',
  )
  t.equal(
    c.send('reply', { flags: ACK, seq: B + 1, ack: A + 8193 + MAX_ACK_WINDOW + 1, win: 8192 }, now),
    'invalid',
    'an ACK of data never sent (beyond MAXACKWINDOW)',
  )
  t.equal(
    c.send('reply', { flags: ACK, seq: B + 1, ack: A + 8193 - MAX_ACK_WINDOW - 1, win: 8192 }, now),
    'invalid',
    'an ACK more than MAXACKWINDOW behind',
  )
  t.equal(
    c.send('reply', { flags: ACK, seq: B - 100_000, ack: A + 8193, win: 8192, data: 10 }, now),
    'invalid',
    'server data far behind its edge',
  )
  t.equal(c.states(), 'ESTABLISHED/ESTABLISHED', 'invalid segments change no state')
})

t.test('sequence numbers compare modulo 2^32', async t => {
  const a = 0xffff_ff00
  const { c, now } = handshake(t, { a, aWin: 8192, bWin: 8192 })
  t.equal(c.send('orig', { flags: ACK, seq: a + 1, ack: B + 1, win: 8192, data: 1000 }, now), 'valid', 'data across the wrap')
  t.equal(
    c.send('orig', { flags: ACK, seq: (a + 1001) >>> 0, ack: B + 1, win: 8192, data: 1000 }, now),
    'valid',
    'the next segment, after the wrap',
  )
  t.equal(
    c.send('orig', { flags: ACK, seq: (a + 10_000) >>> 0, ack: B + 1, win: 8192, data: 10 }, now),
    'invalid',
    'past the window, after the wrap',
  )
})

t.test('window scaling (RFC 7323): a scaled window accepts data far past 65535', async t => {
  const farData = (now: number, c: Conn): string =>
    c.send('orig', { flags: ACK | PSH, seq: A + 1 + 5_000_000, ack: B + 1, win: 512, data: 1000 }, now)
  {
    const { c, now } = handshake(t, { aShift: 7, bShift: 7 })
    t.equal(
      c.send('orig', { flags: ACK, seq: A + 1 + 100_000, ack: B + 1, win: 512, data: 100 }, now),
      'invalid',
      "a SYN|ACK's own window is not scaled: 100 kB ahead is outside it",
    )
    t.equal(c.send('reply', { flags: ACK, seq: B + 1, ack: A + 1, win: 65535 }, now), 'valid', 'the server opens 65535 << 7')
    t.equal(farData(now, c), 'valid', 'data 5 MB ahead, inside the 8 MB window')
    t.equal(
      c.send('orig', { flags: ACK, seq: A + 1 + 9_000_000, ack: B + 1, win: 512, data: 100 }, now),
      'invalid',
      'data 9 MB ahead, past it',
    )
  }
  {
    const { c, now } = handshake(t)
    c.send('reply', { flags: ACK, seq: B + 1, ack: A + 1, win: 65535 }, now)
    t.equal(farData(now, c), 'invalid', 'without the option the same window is 65535 bytes')
  }
  {
    const { c, now } = handshake(t, { aShift: 7 })
    c.send('reply', { flags: ACK, seq: B + 1, ack: A + 1, win: 65535 }, now)
    t.equal(farData(now, c), 'invalid', 'offered by one side only, neither side scales')
  }
  for (const [aWin, expected, why] of [
    [64240, 'valid', "the server may fill the client's real window (64240), not 64240 >> 7"],
    // OVS keeps max_win in 16 bits: ceil(65535 / 128) << 7 = 65536 wraps to 0, leaving a window of 1 byte.
    [65535, 'invalid', 'a 65535 window rescaled wraps to 0 in 16 bits, as in OVS'],
  ] as const) {
    const c = new Conn()
    c.start({ flags: SYN, seq: A, win: aWin, options: linuxSynOptions(7) }, T0)
    t.equal(c.send('reply', { flags: SYN | ACK, seq: B, ack: A + 1, win: 65535 }, T0), 'valid', 'a SYN|ACK without the option')
    t.equal(
      c.send('reply', { flags: ACK | PSH, seq: B + 1, ack: A + 1, data: 1000 }, T0),
      expected,
      `server data before the client's ACK: ${why}`,
    )
  }
  {
    const c = new Conn()
    c.start({ flags: SYN, seq: A, options: [1, 1, 0, 1, 3, 3, 7] }, T0)
    c.send('reply', { flags: SYN | ACK, seq: B, ack: A + 1, options: linuxSynOptions(7) }, T0)
    c.send('orig', { flags: ACK, seq: A + 1, ack: B + 1 }, T0)
    c.send('reply', { flags: ACK, seq: B + 1, ack: A + 1, win: 65535 }, T0)
    t.equal(farData(T0, c), 'invalid', 'a window scale option after the end-of-list option is not read')
  }
})

t.test("RST: accepted at the sender's edge, moving both sides to closed; elsewhere invalid", async t => {
  {
    const { c, now } = handshake(t)
    c.send('orig', { flags: ACK | PSH, seq: A + 1, ack: B + 1, data: 500 }, now)
    t.equal(
      c.send('orig', { flags: RST | ACK, seq: A + 601, ack: B + 1 }, now),
      'invalid',
      'a RST inside the window but not at the edge (a blind reset)',
    )
    t.equal(c.send('orig', { flags: RST, seq: A + 1_000_000 }, now), 'invalid', 'a RST outside the window')
    t.equal(c.states(), 'ESTABLISHED/ESTABLISHED', 'neither closes anything')
    t.equal(c.send('orig', { flags: RST | ACK, seq: A + 501, ack: B + 1 }, now + S), 'valid', 'a RST at the edge')
    t.equal(c.states(), 'TIME_WAIT/TIME_WAIT')
    t.equal(c.expiresIn(now + S), 30, 'closed: 30 s')
    t.equal(c.send('orig', { flags: SYN, seq: A + 100_000 }, now + 2 * S), 'restart', 'a new SYN restarts the connection')
  }
  {
    const { c, now } = handshake(t)
    t.equal(c.send('reply', { flags: RST, seq: B + 2 }, now), 'valid', 'a RST one past the edge, without ACK')
    t.equal(c.states(), 'TIME_WAIT/TIME_WAIT')
  }
  {
    const { c, now } = handshake(t)
    t.equal(c.send('reply', { flags: RST | ACK, seq: B + 1, ack: 0 }, now), 'valid', 'a RST|ACK acking 0 (stacks that do)')
  }
})

t.test('FIN teardown from both sides, then closed and restartable', async t => {
  const { c, now } = handshake(t)
  t.equal(c.send('orig', { flags: FIN | ACK, seq: A + 1, ack: B + 1 }, now + S), 'valid', "the client's FIN")
  t.equal(c.states(), 'CLOSING/ESTABLISHED')
  t.equal(c.expiresIn(now + S), 15 * 60, 'one side closing: 15 min')
  t.equal(c.send('reply', { flags: ACK, seq: B + 1, ack: A + 2 }, now + 2 * S), 'valid', 'the server acks it')
  t.equal(c.states(), 'FIN_WAIT_2/ESTABLISHED')
  t.equal(
    c.send('reply', { flags: ACK | PSH, seq: B + 1, ack: A + 2, data: 300 }, now + 3 * S),
    'valid',
    'the server may still send (half close)',
  )
  t.equal(c.expiresIn(now + 3 * S), 15 * 60)
  t.equal(c.send('reply', { flags: FIN | ACK, seq: B + 301, ack: A + 2 }, now + 4 * S), 'valid', "the server's FIN")
  t.equal(c.states(), 'FIN_WAIT_2/CLOSING')
  t.equal(c.expiresIn(now + 4 * S), 45, 'both sides closing: 45 s')
  t.equal(c.send('orig', { flags: ACK, seq: A + 2, ack: B + 302 }, now + 5 * S), 'valid', 'the last ACK')
  t.equal(c.states(), 'FIN_WAIT_2/FIN_WAIT_2')
  t.equal(c.expiresIn(now + 5 * S), 30, 'both FINs acknowledged: 30 s')
  t.equal(c.send('orig', { flags: SYN, seq: A + 50_000 }, now + 6 * S), 'restart', 'a new SYN on the closed connection restarts it')
})

t.test('a SYN is only a restart once both sides have closed', async t => {
  const { c, now } = handshake(t)
  t.equal(c.send('orig', { flags: SYN, seq: A + 1_000_000 }, now), 'invalid', 'a new SYN on an open connection is out of window')
  c.send('orig', { flags: FIN | ACK, seq: A + 1, ack: B + 1 }, now)
  c.send('reply', { flags: ACK, seq: B + 1, ack: A + 2 }, now)
  t.equal(c.states(), 'FIN_WAIT_2/ESTABLISHED')
  t.not(c.send('orig', { flags: SYN, seq: A + 1_000_000 }, now), 'restart', 'one side still open: no restart')
})

t.test('flag combinations that are invalid, on a first packet and later', async t => {
  const bad: [number, string][] = [
    [SYN | RST, 'SYN|RST'],
    [SYN | FIN, 'SYN|FIN'],
    [SYN | FIN | ACK, 'SYN|FIN|ACK'],
    [0, 'no flags'],
    [FIN, 'FIN without ACK'],
    [PSH, 'PSH without ACK'],
    [SYN | PSH, 'SYN|PSH (PSH without ACK)'],
    [URG, 'URG without ACK'],
    [RST | FIN, 'RST|FIN without ACK'],
  ]
  for (const [flags, name] of bad) {
    t.notOk(new Conn().start({ flags, seq: A }, T0), `first packet ${name}: cannot start a connection`)
    const { c, now } = handshake(t)
    t.equal(c.send('orig', { flags, seq: A + 1, ack: B + 1 }, now), 'invalid', `${name} on an established connection`)
    t.equal(c.states(), 'ESTABLISHED/ESTABLISHED')
  }
  t.notOk(new Conn().start({ flags: SYN | ACK, seq: B, ack: A + 1 }, T0), 'first packet SYN|ACK: cannot start a connection')
  t.ok(new Conn().start({ flags: SYN | ECE | CWR, seq: A }, T0), 'an ECN-setup SYN (RFC 3168 6.1.1) is valid')
})

t.test('a bare ACK starts a connection picked up mid-stream (OVS: tcp_valid_new), with liberal windows', async t => {
  const c = new Conn()
  const s = 0x2000_0000,
    r = 0x5000_0000
  t.ok(c.start({ flags: ACK, seq: s, ack: r, win: 1000 }, T0), 'an ACK as the first packet')
  t.equal(c.states(), 'SYN_SENT/CLOSED')
  t.equal(c.send('reply', { flags: ACK | PSH, seq: r, ack: s, win: 1000, data: 100 }, T0), 'valid', 'the other side answers')
  t.equal(c.states(), 'ESTABLISHED/SYN_SENT')
  // Nobody saw the SYNs, so both windows are taken at the maximum scale (14): 1000 << 14 bytes.
  t.equal(
    c.send('orig', { flags: ACK, seq: s + 1_000_000, ack: r + 100, win: 1000, data: 100 }, T0),
    'valid',
    'data 1 MB ahead, inside the assumed window',
  )
  t.equal(c.states(), 'ESTABLISHED/ESTABLISHED')
  t.equal(c.expiresIn(T0), 24 * 3600)
  t.equal(c.send('orig', { flags: ACK, seq: s + 20_000_000, ack: r + 100, win: 1000, data: 100 }, T0), 'invalid', 'but not past 1000 << 14')
})

t.test('header checks: the data offset must fit, and so must the payload', async t => {
  t.notOk(new Conn().start({ flags: SYN, seq: A }, T0, { tcpLen: 19, payloadLen: 0 }), 'fewer than 20 bytes')
  t.notOk(new Conn().start({ flags: SYN, seq: A, dataOffset: 4 }, T0), 'a data offset below 5 words')
  t.notOk(new Conn().start({ flags: SYN, seq: A, dataOffset: 6 }, T0), 'a data offset past the datagram')
  t.notOk(new Conn().start({ flags: SYN, seq: A, data: 10 }, T0, { payloadLen: 11 }), 'a payload longer than what follows')
  t.notOk(new Conn().start({ flags: SYN, seq: A }, T0, { payloadLen: -1 }), 'a negative payload')
  t.ok(new Conn().start({ flags: SYN, seq: A, data: 10, options: linuxSynOptions(7) }, T0), 'options and payload that fit')
  const { c, now } = handshake(t)
  t.equal(c.send('orig', { flags: ACK, seq: A + 1, ack: B + 1, dataOffset: 15 }, now), 'invalid', 'later: offset past the end')
})

t.test('timeouts move with the state and only with in-window packets', async t => {
  const c = new Conn()
  c.start({ flags: SYN, seq: A }, T0)
  t.equal(c.send('orig', { flags: SYN, seq: A }, T0 + 10 * S), 'valid', 'a retransmitted SYN')
  t.equal(c.expiresIn(T0 + 10 * S), 30, 'restarts the 30 s first-packet timer')
  t.equal(c.send('reply', { flags: SYN, seq: B }, T0 + 11 * S), 'valid', 'a SYN from the other side (simultaneous open)')
  t.equal(c.states(), 'SYN_SENT/SYN_SENT')
  const d = new Conn()
  d.start({ flags: SYN, seq: A }, T0)
  // Before the server answers, pf's loose path accepts an odd ACK near the client's edge, without refreshing.
  t.equal(
    d.send('orig', { flags: ACK, seq: A + 1, ack: 12_345_678 }, T0 + 10 * S),
    'valid',
    'an ACK with a wild ack number before any answer',
  )
  t.equal(d.expiresIn(T0), 30, 'does not move the timer')
  t.equal(
    d.send('orig', { flags: ACK, seq: A + 1_000_000, ack: 12_345_678, data: 10 }, T0 + 10 * S),
    'invalid',
    'but data far past the window is invalid even then',
  )
})
