#!/usr/bin/env python3
"""Tiny UDP/IP helper for the namespace tests (standard library only).

  recv  --port P [--group G --iface-ip IP] --seconds S --ready FILE
        Listens on 0.0.0.0:P (joining multicast group G on the interface that has
        IP), prints one line per datagram "SOURCE_IP PAYLOAD" for S seconds, and
        touches FILE once bound.
  send  --to IP --port P --payload TEXT [--bind IP] [--mdns]
        One datagram (with SO_BROADCAST). --mdns sends a real mDNS PTR query for
        _services._dns-sd._udp.local, with TEXT as the query id's source tag.
  raw   --src IP --dst IP --port P --payload TEXT
        One hand-built IPv4/UDP packet through a raw socket (IP_HDRINCL), so the
        source address can be another host's (spoofing test).
  bridge --bridge IP:PORT --via VIP --src IP --dst IP --port P --payload TEXT
        The same packet handed to a --no-tun yellowtaild's datagram bridge as
        [4-byte destination virtual IP][packet]: the daemon tunnels it as is.
  echo  --to IP --port P
        The smallest round trip (ms) of three RelayEcho datagrams to a yellowtail
        relay (version 1, type 12, u64 nonce; answered with type 13), or "none".
"""
import argparse
import os
import socket
import struct
import sys
import time


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4_udp(src: str, dst: str, port: int, payload: bytes) -> bytes:
    udp = struct.pack("!HHHH", 40000, port, 8 + len(payload), 0) + payload  # checksum 0: none (RFC 768)
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0x1234, 0, 64, 17, 0,
                         socket.inet_aton(src), socket.inet_aton(dst))
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + udp


def mdns_query() -> bytes:
    name = b"".join(bytes([len(p)]) + p for p in [b"_services", b"_dns-sd", b"_udp", b"local"]) + b"\0"
    return struct.pack("!HHHHHH", 0, 0, 1, 0, 0, 0) + name + struct.pack("!HH", 12, 1)  # PTR, IN


def recv(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", args.port))
    if args.group:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                     socket.inet_aton(args.group) + socket.inet_aton(args.iface_ip))
    open(args.ready, "w").close()
    deadline = time.monotonic() + args.seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            data, (source, _) = s.recvfrom(65535)
        except socket.timeout:
            break
        text = "mdns-query" if data == mdns_query() else data.decode(errors="replace")
        print(source, text, flush=True)


def send(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    if args.bind:
        s.bind((args.bind, 0))
    s.sendto(mdns_query() if args.mdns else args.payload.encode(), (args.to, args.port))


def raw(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.sendto(ipv4_udp(args.src, args.dst, args.port, args.payload.encode()), (args.dst, 0))


def bridge(args):
    host, port = args.bridge.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(socket.inet_aton(args.via) + ipv4_udp(args.src, args.dst, args.port, args.payload.encode()),
             (host, int(port)))


def echo(args):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(1.0)
    best = None
    for nonce in range(1, 4):
        start = time.monotonic()
        sock.sendto(struct.pack("!BBQ", 1, 12, nonce), (args.to, args.port))
        try:
            while True:
                data, _ = sock.recvfrom(64)
                if data == struct.pack("!BBQ", 1, 13, nonce):
                    break
        except socket.timeout:
            continue
        rtt = (time.monotonic() - start) * 1000
        best = rtt if best is None else min(best, rtt)
    print("none" if best is None else "%.1f" % best)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("recv")
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--group")
    r.add_argument("--iface-ip")
    r.add_argument("--seconds", type=float, required=True)
    r.add_argument("--ready", required=True)
    s = sub.add_parser("send")
    s.add_argument("--to", required=True)
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--payload", default="")
    s.add_argument("--bind")
    s.add_argument("--mdns", action="store_true")
    w = sub.add_parser("raw")
    b = sub.add_parser("bridge")
    b.add_argument("--bridge", required=True)
    b.add_argument("--via", required=True)
    for q in (w, b):
        q.add_argument("--src", required=True)
        q.add_argument("--dst", required=True)
        q.add_argument("--port", type=int, required=True)
        q.add_argument("--payload", required=True)
    e = sub.add_parser("echo")
    e.add_argument("--to", required=True)
    e.add_argument("--port", type=int, required=True)
    args = p.parse_args()
    {"recv": recv, "send": send, "raw": raw, "bridge": bridge, "echo": echo}[args.mode](args)


if __name__ == "__main__":
    sys.exit(main())
