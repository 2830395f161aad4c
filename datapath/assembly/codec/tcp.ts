// TCP header (RFC 9293 3.1): the datapath only needs its presence and size.

export const TCP_DATA_OFFSET: usize = 12
export const TCP_MIN_HEADER_BYTES: i32 = 20
