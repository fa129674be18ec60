#!/usr/bin/env python3
"""A minimal STUN binding responder with CHANGE-REQUEST (RFC 5780 / RFC 3489),
standard library only, for the namespace tests.

miniupnpd 2.3 refuses to map ports when its WAN address is a reserved one (the
documentation ranges the tests use are), unless STUN (ext_perform_stun=yes) shows
the address is reachable from outside without filtering: four binding requests,
asking for answers from the same, another port, another IP, and both. This
answers them: from (IP1, P1) by default, P2 with change-port, IP2 with change-IP.

usage: stun_responder.py IP1 IP2 P1 P2 SECONDS READY_FILE
"""
import select
import socket
import struct
import sys
import time

MAGIC = 0x2112A442


def answer(request: bytes, source) -> bytes:
    transaction = request[8:20]
    ip = socket.inet_aton(source[0])
    port = source[1] ^ (MAGIC >> 16)
    xip = struct.unpack("!I", ip)[0] ^ MAGIC
    attribute = struct.pack("!HHBBHI", 0x0020, 8, 0, 1, port, xip)
    mapped = struct.pack("!HHBBH4s", 0x0001, 8, 0, 1, source[1], ip)
    body = mapped + attribute
    return struct.pack("!HHI", 0x0101, len(body), MAGIC) + transaction + body


def change_flags(request: bytes) -> int:
    at = 20
    while at + 4 <= len(request):
        kind, length = struct.unpack("!HH", request[at:at + 4])
        if kind == 0x0003 and length == 4 and at + 8 <= len(request):
            return struct.unpack("!I", request[at + 4:at + 8])[0]
        at += 4 + (length + 3) // 4 * 4
    return 0


def main():
    ip1, ip2, p1, p2, seconds, ready = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
    sockets = {}
    for ip in (ip1, ip2):
        for port in (p1, p2):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((ip, port))
            sockets[(ip, port)] = s
    open(ready, "w").close()
    end = time.time() + seconds
    while time.time() < end:
        readable, _, _ = select.select(list(sockets.values()), [], [], 0.5)
        for s in readable:
            request, source = s.recvfrom(2048)
            if len(request) < 20 or request[0:2] != b"\x00\x01":
                continue
            local = s.getsockname()
            flags = change_flags(request)
            ip = (ip2 if local[0] == ip1 else ip1) if flags & 0x4 else local[0]
            port = (p2 if local[1] == p1 else p1) if flags & 0x2 else local[1]
            sockets[(ip, port)].sendto(answer(request, source), source)


if __name__ == "__main__":
    main()
