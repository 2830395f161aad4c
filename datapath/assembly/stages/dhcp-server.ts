// ls_in_dhcp: a DHCPv4 server per port (RFC 2131), answered on the slow path (BEHAVIOUR.md step 6).
// Batch mode punts; packet-in mode rate-limits per port, validates the request and builds the reply.
import { DHCP_MAX_OPTION_BYTES } from '../../spec/entry-kinds'
import { STAGE_DHCP } from '../../spec/stages'
import { TRACE_DROP, TRACE_KIND_DHCP, TRACE_MISS, TRACE_PUNT, TRACE_SKIP } from '../../spec/trace'
import {
  REASON_BAD_DHCP, REASON_BAD_L4_CHECKSUM, REASON_DHCP_RATE_LIMIT, REASON_DHCP_UNKNOWN_PORT, REASON_PUNT_DHCP,
} from '../../spec/verdicts'
import { copyMac, ld16, ld32, macEquals, st16, st32 } from '../codec/bytes'
import {
  BOOTREPLY, BOOTREQUEST, DHCPACK, DHCPDECLINE, DHCPDISCOVER, DHCPINFORM, DHCPNAK, DHCPOFFER, DHCPRELEASE,
  DHCPREQUEST, DHCP_CHADDR, DHCP_CIADDR, DHCP_COOKIE, DHCP_FIXED_BYTES, DHCP_FLAGS, DHCP_FLAG_BROADCAST,
  DHCP_GIADDR, DHCP_HLEN, DHCP_HTYPE, DHCP_MAGIC_COOKIE, DHCP_OP, DHCP_OPTIONS, DHCP_XID, DHCP_YIADDR,
  OPT_END, OPT_LEASE_TIME, OPT_MESSAGE_TYPE, OPT_PAD, OPT_REBINDING_TIME, OPT_RENEWAL_TIME, OPT_REQUESTED_IP,
  OPT_SERVER_ID, OPT_SUBNET_MASK,
} from '../codec/dhcp'
import { ETH_DST, ETH_HEADER_BYTES, ETH_SRC, ETH_TYPE, ETHERTYPE_IPV4 } from '../codec/ethernet'
import { l4ChecksumValid } from '../codec/l4-checksum'
import { IPPROTO_UDP } from '../codec/ipv4'
import { UDP_CHECKSUM, UDP_DST_PORT, UDP_HEADER_BYTES, UDP_LEN, UDP_PORT_DHCP_CLIENT, UDP_PORT_DHCP_SERVER } from '../codec/udp'
import { fromOutside, pkt } from '../pipeline/packet'
import { replyBuffer, writeIpv4Header, writeUdp } from '../pipeline/reply'
import { step } from '../pipeline/trace'
import { drop, punt } from '../pipeline/verdict'
import { PortConfigs } from '../tables/port-configs'
import { BUCKET_BYTES, takeToken } from '../tables/token-bucket'

// Configuration of one port (the body of a DHCP entry, see datapath/spec/entry-kinds.ts), then its bucket.
export const DHCP_CONFIG_BYTES: i32 = 43
const CFG_MAC: usize = 4
const CFG_IP: usize = 10
const CFG_PLEN: usize = 14
const CFG_SERVER_IP: usize = 15
const CFG_SERVER_MAC: usize = 19
const CFG_LEASE: usize = 25
const CFG_T1: usize = 29
const CFG_T2: usize = 33
const CFG_RATE: usize = 39
const CFG_OPTIONS_LEN: usize = 41
const CFG_OPTIONS: usize = 43
const VALUE_BUCKET: usize = (CFG_OPTIONS + <usize>DHCP_MAX_OPTION_BYTES + 7) & ~7
const VALUE_BYTES: i32 = <i32>VALUE_BUCKET + BUCKET_BYTES

/** BOOTP messages are padded to 300 bytes (RFC 951 "vend" field of 64 bytes; RFC 1542 2.1). */
const BOOTP_MIN_BYTES: i32 = 300
const IPV4_BROADCAST: u32 = 0xffffffff

/** port u32 -> configuration + token bucket */
const configs = new PortConfigs(VALUE_BYTES)

/** Adds or replaces the configuration of a port from an entry body of `len` bytes (checked by the caller). */
export function addDhcp(body: usize, len: i32): void {
  configs.add(body, len)
}

export function removeDhcp(port: u32): bool {
  return configs.remove(port)
}

export function clearDhcp(): void {
  configs.clear()
}

/** DHCP from a local port: IPv4 UDP to the server port (RFC 2131 4.1). */
@inline function isDhcpRequest(): bool {
  return pkt.family == 4 && pkt.proto == IPPROTO_UDP && !pkt.laterFragment && !fromOutside() &&
    ld16(pkt.l4 + UDP_DST_PORT) == UDP_PORT_DHCP_SERVER
}

/** True when the packet got its verdict here. */
export function dhcpServer(): bool {
  if (!isDhcpRequest()) {
    step(STAGE_DHCP, TRACE_SKIP, TRACE_KIND_DHCP, 0, pkt.srcPort, 0, 0)
    return false
  }
  const cfg = configs.find(pkt.srcPort)
  if (cfg == 0) {
    step(STAGE_DHCP, TRACE_MISS, TRACE_KIND_DHCP, REASON_DHCP_UNKNOWN_PORT, pkt.srcPort, 0, 0)
    return drop(REASON_DHCP_UNKNOWN_PORT)
  }
  if (!pkt.slowPath) {
    step(STAGE_DHCP, TRACE_PUNT, TRACE_KIND_DHCP, REASON_PUNT_DHCP, pkt.srcPort, 0, 0)
    return punt(REASON_PUNT_DHCP)
  }
  return answer(cfg)
}

// What the request said, from its options.
let messageType: u32 = 0
let requestedIp: u32 = 0

function answer(cfg: usize): bool {
  const port = pkt.srcPort
  if (!takeToken(cfg + VALUE_BUCKET, <f64>ld16raw(cfg + CFG_RATE), pkt.nowMs)) return refuse(REASON_DHCP_RATE_LIMIT, 0)
  const udp = pkt.l4
  const udpLen = <i32>min(<usize>ld16(udp + UDP_LEN), pkt.ipEnd - udp)
  if (udpLen < UDP_HEADER_BYTES) return refuse(REASON_BAD_DHCP, 0)
  // A zero UDP checksum over IPv4 means none was computed (RFC 768).
  if (ld16(udp + UDP_CHECKSUM) != 0 && !l4ChecksumValid(4, pkt.l3, IPPROTO_UDP, udp, udpLen)) {
    return refuse(REASON_BAD_L4_CHECKSUM, 0)
  }
  const msg = udp + <usize>UDP_HEADER_BYTES
  const msgLen = udpLen - UDP_HEADER_BYTES
  if (!parseRequest(msg, msgLen)) return refuse(REASON_BAD_DHCP, messageType)
  let reply: u32 = 0
  if (messageType == DHCPDISCOVER) reply = DHCPOFFER
  else if (messageType == DHCPREQUEST) {
    // RFC 2131 4.3.2: the requested address (option 50, or ciaddr when renewing) must be the port's.
    const wanted = requestedIp != 0 ? requestedIp : ld32(msg + DHCP_CIADDR)
    reply = wanted == 0 || wanted == ld32(cfg + CFG_IP) ? DHCPACK : DHCPNAK
  } else if (messageType == DHCPINFORM) reply = DHCPACK
  else if (messageType != DHCPRELEASE && messageType != DHCPDECLINE) return refuse(REASON_BAD_DHCP, messageType)
  step(STAGE_DHCP, TRACE_PUNT, TRACE_KIND_DHCP, REASON_PUNT_DHCP, port, messageType, reply)
  if (reply != 0) buildReply(cfg, msg, reply)
  return punt(REASON_PUNT_DHCP)
}

/** Host-order u16 stored little-endian by the host encoder. */
@inline function ld16raw(p: usize): u32 {
  return <u32>load<u16>(p)
}

function refuse(reason: i32, type: u32): bool {
  step(STAGE_DHCP, TRACE_DROP, TRACE_KIND_DHCP, reason, pkt.srcPort, type, 0)
  return drop(reason)
}

/** RFC 2131 2 and RFC 2132 2: fixed fields, magic cookie, then options; false when malformed. */
function parseRequest(msg: usize, len: i32): bool {
  messageType = 0
  requestedIp = 0
  if (len < DHCP_FIXED_BYTES) return false
  if (<u32>load<u8>(msg + DHCP_OP) != BOOTREQUEST || ld32(msg + DHCP_COOKIE) != DHCP_MAGIC_COOKIE) return false
  if (!macEquals(msg + DHCP_CHADDR, pkt.base + ETH_SRC)) return false
  const end = msg + <usize>len
  let p = msg + DHCP_OPTIONS
  while (p < end) {
    const code = <u32>load<u8>(p)
    if (code == OPT_END) break
    if (code == OPT_PAD) { p++; continue }
    if (p + 2 > end) return false
    const optLen = <usize>load<u8>(p + 1)
    const value = p + 2
    if (value + optLen > end) return false
    if (code == OPT_MESSAGE_TYPE && optLen == 1) messageType = <u32>load<u8>(value)
    else if (code == OPT_REQUESTED_IP && optLen == 4) requestedIp = ld32(value)
    p = value + optLen
  }
  return messageType != 0
}

/** Writes a one-option TLV carrying a u32 and returns the next position. */
@inline function optU32(p: usize, code: u32, value: u32): usize {
  store<u8>(p, <u8>code)
  store<u8>(p, 4, 1)
  st32(p + 2, value)
  return p + 6
}

/** The reply (RFC 2131 4.3.1, table 3) in the reply buffer, out of the ingress port. */
function buildReply(cfg: usize, req: usize, type: u32): void {
  const frame = replyBuffer()
  const ip = frame + <usize>ETH_HEADER_BYTES
  const udp = ip + 20
  const msg = udp + <usize>UDP_HEADER_BYTES
  memory.fill(msg, 0, <usize>DHCP_FIXED_BYTES)
  const inform = ld32(req + DHCP_CIADDR) != 0 && messageType == DHCPINFORM
  store<u8>(msg + DHCP_OP, <u8>BOOTREPLY)
  store<u8>(msg + DHCP_HTYPE, 1)
  store<u8>(msg + DHCP_HLEN, 6)
  store<u32>(msg + DHCP_XID, load<u32>(req + DHCP_XID))
  store<u16>(msg + DHCP_FLAGS, load<u16>(req + DHCP_FLAGS))
  if (type == DHCPACK) store<u32>(msg + DHCP_CIADDR, load<u32>(req + DHCP_CIADDR))
  const yiaddr = type == DHCPNAK || messageType == DHCPINFORM ? <u32>0 : load<u32>(cfg + CFG_IP)
  store<u32>(msg + DHCP_YIADDR, yiaddr)
  store<u32>(msg + DHCP_GIADDR, load<u32>(req + DHCP_GIADDR))
  memory.copy(msg + DHCP_CHADDR, req + DHCP_CHADDR, 16)
  st32(msg + DHCP_COOKIE, DHCP_MAGIC_COOKIE)
  // Options in the order BEHAVIOUR.md fixes: 53, 54, 51, 58, 59, 1, the port's options, 255.
  let p = msg + DHCP_OPTIONS
  store<u8>(p, <u8>OPT_MESSAGE_TYPE)
  store<u8>(p, 1, 1)
  store<u8>(p, <u8>type, 2)
  p += 3
  p = optU32(p, OPT_SERVER_ID, ld32(cfg + CFG_SERVER_IP))
  if (type != DHCPNAK) {
    if (messageType != DHCPINFORM) {
      // RFC 2131 4.3.5: no lease parameters in the answer to an INFORM.
      p = optU32(p, OPT_LEASE_TIME, load<u32>(cfg + CFG_LEASE))
      p = optU32(p, OPT_RENEWAL_TIME, load<u32>(cfg + CFG_T1))
      p = optU32(p, OPT_REBINDING_TIME, load<u32>(cfg + CFG_T2))
    }
    const plen = <i32>load<u8>(cfg + CFG_PLEN)
    p = optU32(p, OPT_SUBNET_MASK, plen == 0 ? 0 : <u32>0xffffffff << (32 - plen))
    const extra = <usize>load<u16>(cfg + CFG_OPTIONS_LEN)
    memory.copy(p, cfg + CFG_OPTIONS, extra)
    p += extra
  }
  store<u8>(p, <u8>OPT_END)
  p++
  let msgLen = <i32>(p - msg)
  if (msgLen < BOOTP_MIN_BYTES) {
    memory.fill(p, 0, <usize>(BOOTP_MIN_BYTES - msgLen))
    msgLen = BOOTP_MIN_BYTES
  }
  // RFC 2131 4.1: broadcast when the client asked for it or for a NAK; an INFORM is answered to ciaddr.
  const broadcast = type == DHCPNAK || (ld16(req + DHCP_FLAGS) & DHCP_FLAG_BROADCAST) != 0
  const dst = broadcast ? IPV4_BROADCAST : inform ? ld32(req + DHCP_CIADDR) : yiaddr == 0 ? IPV4_BROADCAST : bswap<u32>(yiaddr)
  copyMac(frame + ETH_DST, req + DHCP_CHADDR)
  copyMac(frame + ETH_SRC, cfg + CFG_SERVER_MAC)
  st16(frame + ETH_TYPE, ETHERTYPE_IPV4)
  const udpLen = UDP_HEADER_BYTES + msgLen
  writeIpv4Header(ip, IPPROTO_UDP, udpLen, ld32(cfg + CFG_SERVER_IP), dst)
  writeUdp(ip, UDP_PORT_DHCP_SERVER, UDP_PORT_DHCP_CLIENT, udpLen)
  pkt.replyLen = ETH_HEADER_BYTES + 20 + udpLen
  pkt.replyPort = pkt.inPort
}
