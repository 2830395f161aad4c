// ls_in_dhcp, IPv6 half: a DHCPv6 server per port (RFC 8415), answered on the slow path (BEHAVIOUR.md step 6).
// Batch mode punts; packet-in mode rate-limits per port, validates the message and builds the Advertise or Reply
// in the reply buffer, out of the ingress port. A port without a DHCPv6 entry is not ours: its messages continue
// (they flood as any multicast), so a tenant's own DHCPv6 server on a network without enable_dhcp still works.
import { DHCP_MAX_OPTION_BYTES } from '../../spec/entry-kinds'
import { STAGE_DHCP } from '../../spec/stages'
import { TRACE_DROP, TRACE_KIND_DHCP, TRACE_PUNT, TRACE_SKIP } from '../../spec/trace'
import {
  REASON_BAD_DHCPV6, REASON_BAD_L4_CHECKSUM, REASON_DHCPV6_OTHER_SERVER, REASON_DHCPV6_RELAY, REASON_DHCP_RATE_LIMIT,
  REASON_PUNT_DHCP,
} from '../../spec/verdicts'
import { copy16, copyMac, equals16, ld16, st16, st32 } from '../codec/bytes'
import { ETH_DST, ETH_HEADER_BYTES, ETH_SRC, ETH_TYPE, ETHERTYPE_IPV6 } from '../codec/ethernet'
import { IPPROTO_UDP } from '../codec/ipv4'
import {
  IPV6_DST, IPV6_HEADER_BYTES, IPV6_HOP_LIMIT, IPV6_NEXT_HEADER, IPV6_PAYLOAD_LEN, IPV6_SRC, IPV6_VER_TC_FLOW,
} from '../codec/ipv6'
import { l4ChecksumValid, writeL4Checksum } from '../codec/l4-checksum'
import { UDP_CHECKSUM, UDP_DST_PORT, UDP_HEADER_BYTES, UDP_LEN, UDP_SRC_PORT } from '../codec/udp'
import { fromOutside, pkt } from '../pipeline/packet'
import { replyBuffer } from '../pipeline/reply'
import { step } from '../pipeline/trace'
import { drop, punt } from '../pipeline/verdict'
import { PortConfigs } from '../tables/port-configs'
import { BUCKET_BYTES, takeToken } from '../tables/token-bucket'
import { eui64LinkLocal } from './router-advert'

// The body of a DHCPV6 entry (datapath/spec/entry-kinds.ts), kept as the table's value, then its bucket.
export const DHCP6_CONFIG_BYTES: i32 = 54
const CFG_STATEFUL: usize = 10
const CFG_PLEN: usize = 11
const CFG_IP: usize = 12
const CFG_SERVER_MAC: usize = 28
const CFG_PREFERRED: usize = 34
const CFG_VALID: usize = 38
const CFG_T1: usize = 42
const CFG_T2: usize = 46
const CFG_RATE: usize = 50
export const DHCP6_CFG_OPTIONS_LEN: usize = 52
const CFG_OPTIONS: usize = 54
const VALUE_BUCKET: usize = (CFG_OPTIONS + <usize>DHCP_MAX_OPTION_BYTES + 7) & ~7
const VALUE_BYTES: i32 = <i32>VALUE_BUCKET + BUCKET_BYTES

/** RFC 8415 7.2 */
const UDP_PORT_DHCPV6_CLIENT: u32 = 546
const UDP_PORT_DHCPV6_SERVER: u32 = 547
/** RFC 8415 7.3 message types */
const SOLICIT: u32 = 1
const ADVERTISE: u32 = 2
const REQUEST: u32 = 3
const CONFIRM: u32 = 4
const RENEW: u32 = 5
const REBIND: u32 = 6
const REPLY: u32 = 7
const RELEASE: u32 = 8
const DECLINE: u32 = 9
const INFORMATION_REQUEST: u32 = 11
const RELAY_FORW: u32 = 12
/** RFC 8415 21: option codes */
const OPTION_CLIENTID: u32 = 1
const OPTION_SERVERID: u32 = 2
const OPTION_IA_NA: u32 = 3
const OPTION_IAADDR: u32 = 5
const OPTION_STATUS_CODE: u32 = 13
const OPTION_RAPID_COMMIT: u32 = 14
/** RFC 8415 21.13 status codes */
const STATUS_SUCCESS: u32 = 0
const STATUS_NO_ADDRS_AVAIL: u32 = 2
const STATUS_NO_BINDING: u32 = 3
const STATUS_NOT_ON_LINK: u32 = 4
/** msg-type u8 + transaction-id[3] (RFC 8415 8) */
const MSG_HEADER_BYTES: i32 = 4
/** option-code u16 + option-len u16 (RFC 8415 21.1) */
const OPT_HEADER_BYTES: i32 = 4
/** IAID, T1, T2 (RFC 8415 21.4) */
const IA_NA_FIXED_BYTES: i32 = 12
/** address, preferred, valid (RFC 8415 21.6) */
const IAADDR_FIXED_BYTES: i32 = 24
/** DUID-LL (RFC 8415 11.4): type 3, hardware type 1 (Ethernet), the 6-byte MAC */
const DUID_LL: u32 = 3
const HWTYPE_ETHERNET: u32 = 1
const DUID_LL_BYTES: i32 = 10
/** DUIDs are at most 128 bytes (RFC 8415 11.1); a client id longer than that is malformed */
const DUID_MAX_BYTES: i32 = 128
/** On-link only; as ND's (RFC 4861 6.1.2) so that a reply that crossed a router would be noticed */
const REPLY_HOP_LIMIT: u32 = 255

/** port u32 -> configuration + token bucket */
const configs = new PortConfigs(VALUE_BYTES)
const serverLinkLocal: usize = memory.data(16)
const serverDuid: usize = memory.data(16)

/** Adds or replaces the DHCPv6 configuration of a port from an entry body of `len` bytes (checked by the caller). */
export function addDhcp6(body: usize, len: i32): void {
  configs.add(body, len)
}

export function removeDhcp6(port: u32): bool {
  return configs.remove(port)
}

export function clearDhcp6(): void {
  configs.clear()
}

/** True for IPv6 UDP to the DHCPv6 server port from a port of the cloud (RFC 8415 7.2). */
export function isDhcp6Message(): bool {
  return pkt.family == 6 && pkt.proto == IPPROTO_UDP && !pkt.laterFragment && !fromOutside() &&
    ld16(pkt.l4 + UDP_DST_PORT) == UDP_PORT_DHCPV6_SERVER
}

/** True when the packet got its verdict here. */
export function dhcp6Server(): bool {
  if (!isDhcp6Message()) {
    step(STAGE_DHCP, TRACE_SKIP, TRACE_KIND_DHCP, 0, pkt.srcPort, 0, 0)
    return false
  }
  const cfg = configs.find(pkt.srcPort)
  if (cfg == 0) {
    step(STAGE_DHCP, TRACE_SKIP, TRACE_KIND_DHCP, 0, pkt.srcPort, 0, 0)
    return false
  }
  if (!pkt.slowPath) {
    step(STAGE_DHCP, TRACE_PUNT, TRACE_KIND_DHCP, REASON_PUNT_DHCP, pkt.srcPort, 0, 0)
    return punt(REASON_PUNT_DHCP)
  }
  return answer(cfg)
}

// What the message said, from its options (offsets of option values, 0 = absent).
let messageType: u32 = 0
let clientId: usize = 0
let clientIdLen: i32 = 0
let serverIdFound: bool = false
let serverIdOurs: bool = false
let iaNa: usize = 0
let iaNaLen: i32 = 0
let rapidCommit: bool = false

/** Trace arguments carry DHCPv6 message types with this bit, to tell them from DHCPv4's (trace-format.ts). */
const TRACE_DHCPV6: u32 = 0x100

function refuse(reason: i32): bool {
  step(STAGE_DHCP, TRACE_DROP, TRACE_KIND_DHCP, reason, pkt.srcPort, TRACE_DHCPV6 | messageType, 0)
  return drop(reason)
}

function answer(cfg: usize): bool {
  // before any check, as DHCPv4's: a flood of invalid messages costs the slow path no more than valid ones
  if (!takeToken(cfg + VALUE_BUCKET, <f64>load<u16>(cfg + CFG_RATE), pkt.nowMs)) return refuse(REASON_DHCP_RATE_LIMIT)
  messageType = 0
  const udp = pkt.l4
  const udpLen = <i32>min(<usize>ld16(udp + UDP_LEN), pkt.ipEnd - udp)
  if (udpLen < UDP_HEADER_BYTES + MSG_HEADER_BYTES) return refuse(REASON_BAD_DHCPV6)
  // over IPv6 the UDP checksum is mandatory (RFC 8200 8.1): zero is not "none"
  if (!l4ChecksumValid(6, pkt.l3, IPPROTO_UDP, udp, udpLen)) return refuse(REASON_BAD_L4_CHECKSUM)
  eui64LinkLocal(serverLinkLocal, cfg + CFG_SERVER_MAC)
  writeServerDuid(cfg)
  const dst = pkt.l3 + IPV6_DST
  if (!isAllDhcpAgents(dst) && !equals16(dst, serverLinkLocal)) return refuse(REASON_BAD_DHCPV6)
  const msg = udp + <usize>UDP_HEADER_BYTES
  messageType = <u32>load<u8>(msg)
  if (messageType == RELAY_FORW) return refuse(REASON_DHCPV6_RELAY)
  if (!parseOptions(msg + <usize>MSG_HEADER_BYTES, udpLen - UDP_HEADER_BYTES - MSG_HEADER_BYTES)) {
    return refuse(REASON_BAD_DHCPV6)
  }
  const reason = messageProblem()
  if (reason != 0) return refuse(reason)
  const stateful = load<u8>(cfg + CFG_STATEFUL) != 0
  let reply = REPLY
  if (messageType == SOLICIT && !rapidCommit) reply = ADVERTISE
  // RFC 8415 18.3.3: a Confirm without addresses gets no reply
  if (messageType == CONFIRM && confirmStatus(cfg) < 0) {
    step(STAGE_DHCP, TRACE_PUNT, TRACE_KIND_DHCP, REASON_PUNT_DHCP, pkt.srcPort, TRACE_DHCPV6 | messageType, 0)
    return punt(REASON_PUNT_DHCP)
  }
  step(STAGE_DHCP, TRACE_PUNT, TRACE_KIND_DHCP, REASON_PUNT_DHCP, pkt.srcPort, TRACE_DHCPV6 | messageType, TRACE_DHCPV6 | reply)
  buildReply(cfg, msg, reply, stateful)
  return punt(REASON_PUNT_DHCP)
}

@inline function isAllDhcpAgents(p: usize): bool {
  // ff02::1:2, All_DHCP_Relay_Agents_and_Servers (RFC 8415 7.1)
  return load<u64>(p) == 0x02ff && load<u64>(p, 8) == <u64>0x0200010000000000
}

/** DUID-LL of the DHCP port's MAC (RFC 8415 11.4): stable across restarts, as the MAC comes from the model. */
function writeServerDuid(cfg: usize): void {
  st16(serverDuid, DUID_LL)
  st16(serverDuid + 2, HWTYPE_ETHERNET)
  copyMac(serverDuid + 4, cfg + CFG_SERVER_MAC)
}

/** Walks the options (RFC 8415 21.1); false when one runs past the end or an id is malformed. */
function parseOptions(p: usize, len: i32): bool {
  clientId = 0
  clientIdLen = 0
  serverIdFound = false
  serverIdOurs = false
  iaNa = 0
  iaNaLen = 0
  rapidCommit = false
  const end = p + <usize>len
  while (p < end) {
    if (p + <usize>OPT_HEADER_BYTES > end) return false
    const code = ld16(p)
    const optLen = <i32>ld16(p + 2)
    const value = p + <usize>OPT_HEADER_BYTES
    if (value + <usize>optLen > end) return false
    if (code == OPTION_CLIENTID) {
      if (optLen < 2 || optLen > DUID_MAX_BYTES || clientId != 0) return false
      clientId = value
      clientIdLen = optLen
    } else if (code == OPTION_SERVERID) {
      if (optLen < 2 || optLen > DUID_MAX_BYTES || serverIdFound) return false
      serverIdFound = true
      serverIdOurs = optLen == DUID_LL_BYTES && load<u64>(value) == load<u64>(serverDuid) &&
        load<u16>(value, 8) == load<u16>(serverDuid, 8)
    } else if (code == OPTION_IA_NA) {
      if (optLen < IA_NA_FIXED_BYTES) return false
      // the first IA_NA is the one answered (BEHAVIOUR.md 6: a port has one address)
      if (iaNa == 0) {
        iaNa = value
        iaNaLen = optLen
      }
    } else if (code == OPTION_RAPID_COMMIT) {
      if (optLen != 0) return false
      rapidCommit = true
    }
    p = value + <usize>optLen
  }
  return true
}

/**
 * RFC 8415 16.2-16.12: which messages must and must not carry a server id and a client id. 0 = valid, else the
 * drop reason. A server id that is not ours means the message is for another server (16.2: "discard").
 */
function messageProblem(): i32 {
  const t = messageType
  const needsClient = t != INFORMATION_REQUEST
  const needsServer = t == REQUEST || t == RENEW || t == RELEASE || t == DECLINE
  const forbidsServer = t == SOLICIT || t == CONFIRM || t == REBIND
  const known = t == SOLICIT || t == REQUEST || t == CONFIRM || t == RENEW || t == REBIND || t == RELEASE ||
    t == DECLINE || t == INFORMATION_REQUEST
  if (!known) return REASON_BAD_DHCPV6
  if (needsClient && clientId == 0) return REASON_BAD_DHCPV6
  if (needsServer && !serverIdFound) return REASON_BAD_DHCPV6
  if (forbidsServer && serverIdFound) return REASON_BAD_DHCPV6
  if (serverIdFound && !serverIdOurs) return REASON_DHCPV6_OTHER_SERVER
  return 0
}

/**
 * RFC 8415 18.3.3: Success when every address of the Confirm's IA_NA is on the port's link (in its subnet),
 * NotOnLink otherwise; -1 when it names no address.
 */
function confirmStatus(cfg: usize): i32 {
  if (iaNa == 0) return -1
  let found = false
  const end = iaNa + <usize>iaNaLen
  let p = iaNa + <usize>IA_NA_FIXED_BYTES
  while (p + <usize>OPT_HEADER_BYTES <= end) {
    const optLen = <i32>ld16(p + 2)
    const value = p + <usize>OPT_HEADER_BYTES
    if (value + <usize>optLen > end) break
    if (ld16(p) == OPTION_IAADDR && optLen >= IAADDR_FIXED_BYTES) {
      found = true
      if (load<u8>(cfg + CFG_STATEFUL) == 0 || !samePrefix(value, cfg + CFG_IP, <i32>load<u8>(cfg + CFG_PLEN))) {
        return <i32>STATUS_NOT_ON_LINK
      }
    }
    p = value + <usize>optLen
  }
  return found ? <i32>STATUS_SUCCESS : -1
}

function samePrefix(a: usize, b: usize, plen: i32): bool {
  for (let i = 0; i < 16; i++) {
    const bits = min(8, max(0, plen - i * 8))
    if (bits == 0) return true
    const mask = <u32>(0xff00 >> bits) & 0xff
    if (((<u32>load<u8>(a + <usize>i) ^ <u32>load<u8>(b + <usize>i)) & mask) != 0) return false
  }
  return true
}

@inline function optHeader(p: usize, code: u32, len: i32): usize {
  st16(p, code)
  st16(p + 2, <u32>len)
  return p + <usize>OPT_HEADER_BYTES
}

/** A Status Code option with no message (RFC 8415 21.13); returns the next position. */
function statusOption(p: usize, code: u32): usize {
  p = optHeader(p, OPTION_STATUS_CODE, 2)
  st16(p, code)
  return p + 2
}

/**
 * The IA_NA answering the client's (RFC 8415 21.4): the port's address with the entry's lifetimes, or a status
 * alone (NoAddrsAvail to a Request on a stateless subnet, NoBinding when a port of one renews or rebinds).
 */
function iaNaOption(p: usize, cfg: usize, stateful: bool): usize {
  const start = p
  p = optHeader(p, OPTION_IA_NA, 0)
  store<u32>(p, load<u32>(iaNa)) // IAID as the client sent it
  const t = messageType
  if (!stateful) {
    st32(p + 4, 0)
    st32(p + 8, 0)
    p = statusOption(p + <usize>IA_NA_FIXED_BYTES, t == RENEW || t == REBIND ? STATUS_NO_BINDING : STATUS_NO_ADDRS_AVAIL)
  } else {
    st32(p + 4, load<u32>(cfg + CFG_T1))
    st32(p + 8, load<u32>(cfg + CFG_T2))
    p = optHeader(p + <usize>IA_NA_FIXED_BYTES, OPTION_IAADDR, IAADDR_FIXED_BYTES)
    copy16(p, cfg + CFG_IP)
    st32(p + 16, load<u32>(cfg + CFG_PREFERRED))
    st32(p + 20, load<u32>(cfg + CFG_VALID))
    p += <usize>IAADDR_FIXED_BYTES
  }
  st16(start + 2, <u32>(p - start - <usize>OPT_HEADER_BYTES))
  return p
}

/**
 * The Advertise or Reply (RFC 8415 18.3) in the reply buffer. Options in the order BEHAVIOUR.md 6 fixes:
 * client id (echoed), server id, rapid commit, IA_NA, status, then the entry's (23 DNS servers, 24 domains).
 */
function buildReply(cfg: usize, req: usize, type: u32, stateful: bool): void {
  const frame = replyBuffer()
  const ip = frame + <usize>ETH_HEADER_BYTES
  const udp = ip + <usize>IPV6_HEADER_BYTES
  const msg = udp + <usize>UDP_HEADER_BYTES
  store<u32>(msg, load<u32>(req)) // transaction id as the client sent it
  store<u8>(msg, <u8>type)
  let p = msg + <usize>MSG_HEADER_BYTES
  if (clientId != 0) {
    p = optHeader(p, OPTION_CLIENTID, clientIdLen)
    memory.copy(p, clientId, <usize>clientIdLen)
    p += <usize>clientIdLen
  }
  p = optHeader(p, OPTION_SERVERID, DUID_LL_BYTES)
  memory.copy(p, serverDuid, <usize>DUID_LL_BYTES)
  p += <usize>DUID_LL_BYTES
  const t = messageType
  if (t == SOLICIT && rapidCommit) p = optHeader(p, OPTION_RAPID_COMMIT, 0)
  // RFC 8415 18.3.7, 18.3.8: Release and Decline are answered with a top-level Success alone; 18.3.9: an
  // Advertise that assigns nothing carries only the NoAddrsAvail status, no IA
  const leasing = t == REQUEST || t == RENEW || t == REBIND || (t == SOLICIT && stateful)
  if (leasing && iaNa != 0) p = iaNaOption(p, cfg, stateful)
  if (t == CONFIRM) p = statusOption(p, <u32>confirmStatus(cfg))
  else if (t == RELEASE || t == DECLINE) p = statusOption(p, STATUS_SUCCESS)
  else if (t == SOLICIT && (!stateful || iaNa == 0)) {
    // RFC 8415 18.3.9: a server that will assign no address advertises only NoAddrsAvail
    p = statusOption(p, STATUS_NO_ADDRS_AVAIL)
  }
  if (t != RELEASE && t != DECLINE) {
    const extra = <usize>load<u16>(cfg + DHCP6_CFG_OPTIONS_LEN)
    memory.copy(p, cfg + CFG_OPTIONS, extra)
    p += extra
  }
  const udpLen = <i32>(p - udp)
  // from the DHCP port's link-local address to the client's source (RFC 8415 18.3.10: to the client's address)
  st32(ip + IPV6_VER_TC_FLOW, 0x60000000)
  st16(ip + IPV6_PAYLOAD_LEN, <u32>udpLen)
  store<u8>(ip + IPV6_NEXT_HEADER, <u8>IPPROTO_UDP)
  store<u8>(ip + IPV6_HOP_LIMIT, <u8>REPLY_HOP_LIMIT)
  copy16(ip + IPV6_SRC, serverLinkLocal)
  copy16(ip + IPV6_DST, pkt.l3 + IPV6_SRC)
  st16(udp + UDP_SRC_PORT, UDP_PORT_DHCPV6_SERVER)
  st16(udp + UDP_DST_PORT, UDP_PORT_DHCPV6_CLIENT)
  st16(udp + UDP_LEN, <u32>udpLen)
  writeL4Checksum(6, ip, IPPROTO_UDP, udp, udpLen, UDP_CHECKSUM)
  copyMac(frame + ETH_DST, pkt.base + ETH_SRC)
  copyMac(frame + ETH_SRC, cfg + CFG_SERVER_MAC)
  st16(frame + ETH_TYPE, ETHERTYPE_IPV6)
  pkt.replyLen = ETH_HEADER_BYTES + IPV6_HEADER_BYTES + udpLen
  pkt.replyPort = pkt.inPort
}
