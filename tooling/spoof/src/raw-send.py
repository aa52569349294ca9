#!/usr/bin/env python3
# Sends UDP datagrams with forged source addresses through a raw socket (IP_HDRINCL).
# Input on stdin, one JSON object: {"datagrams": [{"src", "sport", "dst", "dport", "payload" (hex), "count"}]}.
# Prints one JSON line {"sent": N}. Refuses any destination outside loopback and 198.18.0.0/15:
# the attack tests must never put a forged packet on a real network.
import ipaddress
import json
import socket
import struct
import sys

MAX_DATAGRAMS = 1_000_000
ALLOWED = [ipaddress.ip_network(n) for n in ("127.0.0.0/8", "::1/128", "198.18.0.0/15")]


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def udp_segment(src, dst, sport, dport, payload, v6):
    length = 8 + len(payload)
    header = struct.pack("!HHHH", sport, dport, length, 0)
    if v6:
        pseudo = src.packed + dst.packed + struct.pack("!I3xB", length, 17)
    else:
        pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, 17, length)
    sum_ = checksum(pseudo + header + payload)
    if sum_ == 0:
        sum_ = 0xFFFF
    return struct.pack("!HHHH", sport, dport, length, sum_) + payload


def packet(d):
    src = ipaddress.ip_address(d["src"])
    dst = ipaddress.ip_address(d["dst"])
    if not any(dst in n for n in ALLOWED if n.version == dst.version):
        raise SystemExit(f"refusing destination {dst}: only loopback and 198.18.0.0/15")
    if src.version != dst.version:
        raise SystemExit("source and destination families differ")
    payload = bytes.fromhex(d.get("payload", ""))
    ttl = int(d.get("ttl", 64))
    tos = int(d.get("tos", 0))
    udp = udp_segment(src, dst, int(d["sport"]), int(d["dport"]), payload, dst.version == 6)
    if dst.version == 4:
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + len(udp), 0, 0x4000, ttl, 17, 0, src.packed, dst.packed)
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    else:
        ip = struct.pack("!IHBB16s16s", (6 << 28) | (tos << 20), len(udp), 17, ttl, src.packed, dst.packed)
    return dst, ip + udp


def main():
    request = json.load(sys.stdin)
    built = [(packet(d), max(0, int(d.get("count", 1)))) for d in request["datagrams"]]
    if sum(c for _, c in built) > MAX_DATAGRAMS:
        raise SystemExit(f"more than {MAX_DATAGRAMS} datagrams")
    sockets = {}
    sent = 0
    for (dst, data), count in built:
        family = socket.AF_INET6 if dst.version == 6 else socket.AF_INET
        s = sockets.get(family)
        if s is None:
            s = socket.socket(family, socket.SOCK_RAW, socket.IPPROTO_RAW)
            sockets[family] = s
        target = (str(dst), 0, 0, 0) if dst.version == 6 else (str(dst), 0)
        for _ in range(count):
            s.sendto(data, target)
            sent += 1
    for s in sockets.values():
        s.close()
    print(json.dumps({"sent": sent}))


main()
