#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Forged and replayed MARS datagrams for the cluster tests (run in the
# devnet client namespace, which routes between the nodes).  Layout:
# docs/protocol.md, "Cluster messages (MARS)".
#
#   mars_forge.py capture IFACE DST_IP PORT [TIMEOUT_S]
#       waits for one UDP datagram to DST_IP:PORT crossing IFACE (a packet
#       socket: the genuine traffic between two nodes goes through the
#       client namespace) and prints its payload in hex
#   mars_forge.py send DST_IP PORT KIND [HEX]
#       sends one datagram of KIND to DST_IP:PORT:
#         short     20 random bytes                   -> TRUNCATED
#         badmagic  100 random bytes, not "HYMS"      -> BAD_MAGIC
#         badkey    a well-formed header naming key id 7 (devnet has
#                   key 0 only), random body and tag  -> BAD_KEY_ID
#         badtag    a well-formed header (key 0, REPORT, sender 9),
#                   random body and tag               -> AUTH_FAILED
#         flipped   HEX with its last byte changed    -> AUTH_FAILED
#         replay    HEX as it is                      -> REPLAYED
import os
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003


def header(key_id, mtype=7, flags=0, sender=9, term=1):
    seq = (int(time.time() * 1000) << 16) & ((1 << 64) - 1)
    boot = struct.unpack(">I", os.urandom(4))[0] | 1
    return b"HYMS" + struct.pack(">BBBBIIQQ", 1, mtype, key_id, flags, sender, boot, term, seq)


def capture(iface, dst, port, timeout):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.settimeout(0.5)
    want = socket.inet_aton(dst)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            frame = s.recv(65535)
        except socket.timeout:
            continue
        # Ethernet II, IPv4, UDP
        if len(frame) < 14 + 20 + 8 or frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        ihl = (ip[0] & 0x0F) * 4
        if ip[9] != 17 or ip[16:20] != want:
            continue
        udp = ip[ihl:]
        dport, ulen = struct.unpack(">HH", udp[2:6])
        if dport != port:
            continue
        print(udp[8:ulen].hex())
        return 0
    print("nothing captured", file=sys.stderr)
    return 1


def send(dst, port, kind, hexdata):
    if kind == "short":
        data = os.urandom(20)
    elif kind == "badmagic":
        data = b"XYMS" + os.urandom(96)
    elif kind == "badkey":
        data = header(7) + os.urandom(40 + 16)
    elif kind == "badtag":
        data = header(0) + os.urandom(40 + 16)
    elif kind in ("flipped", "replay"):
        data = bytearray(bytes.fromhex(hexdata))
        if kind == "flipped":
            data[-1] ^= 0x01
        data = bytes(data)
    else:
        raise SystemExit("mars_forge.py: unknown kind " + kind)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(data, (dst, port))
    return 0


def main():
    a = sys.argv[1:]
    if len(a) >= 4 and a[0] == "capture":
        return capture(a[1], a[2], int(a[3]), float(a[4]) if len(a) > 4 else 5.0)
    if len(a) >= 4 and a[0] == "send":
        return send(a[1], int(a[2]), a[3], a[4] if len(a) > 4 else "")
    raise SystemExit("usage: mars_forge.py capture IFACE DST_IP PORT [TIMEOUT_S] | "
                     "send DST_IP PORT KIND [HEX]")


if __name__ == "__main__":
    sys.exit(main())
