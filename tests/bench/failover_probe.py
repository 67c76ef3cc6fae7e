#!/usr/bin/env python3
"""Failover as a client sees it.

Runs in a client network namespace on the VRRP LAN. It pings the VIP every --interval-ms
(ICMP echo on a raw socket) and listens to the VRRP adverts on the LAN. Once the VIP has
answered without a miss for --warmup-s, it waits for the next advert from the master
(--master) and runs --crash right after it, so every run crashes at the same point of the
advert cycle: the backup's master-down timer was just restarted, and the outage is the full
master-down interval plus whatever the implementation adds. It then probes until the VIP has
answered steadily again for --settle-s and prints one line of key=value figures (ms):

  outage   crash -> first answered probe after it
  max_gap  longest gap between two consecutive answered probes (receive times) in the run
  after_last_advert  last advert of the old master -> first answered probe
  new_advert  crash -> first advert from another router
All times are CLOCK_MONOTONIC in this one process.
"""
import argparse
import os
import select
import socket
import struct
import subprocess
import sys
import time

VRRP_PROTO = 112


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def echo_request(ident: int, seq: int) -> bytes:
    payload = struct.pack("!Q", seq)
    header = struct.pack("!BBHHH", 8, 0, 0, ident, seq & 0xFFFF)
    csum = checksum(header + payload)
    return struct.pack("!BBHHH", 8, 0, csum, ident, seq & 0xFFFF) + payload


def now_ms() -> float:
    return time.monotonic_ns() / 1e6


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vip", required=True)
    ap.add_argument("--master", required=True, help="source address of the master's adverts")
    ap.add_argument("--crash", required=True, help="shell command that crashes the master")
    ap.add_argument("--interface", default="eth0")
    ap.add_argument("--local", required=True, help="this host's address on --interface")
    ap.add_argument("--group", default="224.0.0.18")
    ap.add_argument("--interval-ms", type=float, default=2.0)
    ap.add_argument("--warmup-s", type=float, default=0.5)
    ap.add_argument("--settle-s", type=float, default=0.3)
    ap.add_argument("--timeout-s", type=float, default=15.0)
    args = ap.parse_args()

    icmp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    icmp.setblocking(False)
    vrrp = socket.socket(socket.AF_INET, socket.SOCK_RAW, VRRP_PROTO)
    vrrp.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, args.interface.encode())
    mreq = socket.inet_aton(args.group) + socket.inet_aton(args.local)
    vrrp.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    vrrp.setblocking(False)

    ident = os.getpid() & 0xFFFF
    vip = args.vip
    seq = 0
    interval = args.interval_ms
    next_send = now_ms()
    start = next_send
    deadline = start + args.timeout_s * 1000

    answered = []            # receive times of answered probes
    sent = 0
    last_answer = None
    steady_since = None      # first answer of the current run of answers without a miss
    outstanding = {}         # seq -> send time
    crash_at = None
    crash_rc = 0
    last_master_advert = None
    advert_before_crash = None
    new_advert = None
    first_after = None
    armed = False            # warm-up done, crash at the next master advert

    while True:
        t = now_ms()
        if t > deadline:
            print(f"error=timeout phase={'after' if crash_at else 'before'} crash", file=sys.stderr)
            break
        if t >= next_send:
            try:
                icmp.sendto(echo_request(ident, seq), (vip, 0))
            except OSError:
                pass  # no route / ARP failure while the VIP moves: an unanswered probe
            outstanding[seq] = t
            seq += 1
            sent += 1
            next_send += interval
            # A probe unanswered after 3 intervals is a miss: the VIP is not answering steadily.
            stale = [s for s, ts in outstanding.items() if t - ts > 3 * interval + 20]
            if stale:
                for s in stale:
                    del outstanding[s]
                steady_since = None
        timeout = max(0.0, (next_send - now_ms()) / 1000)
        readable, _, _ = select.select([icmp, vrrp], [], [], timeout)
        for sock in readable:
            try:
                data, addr = sock.recvfrom(2048)
            except BlockingIOError:
                continue
            t = now_ms()
            ihl = (data[0] & 0x0F) * 4
            if sock is icmp:
                if addr[0] != vip or len(data) < ihl + 8:
                    continue
                typ, _, _, rid, rseq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
                if typ != 0 or rid != ident:
                    continue
                sent_at = outstanding.pop(rseq, None)
                if sent_at is None:
                    continue
                if crash_at is not None and sent_at < crash_at:
                    # Answered by the old master before it went; read only after the crash
                    # command returned, so its arrival is known to be before that.
                    answered.append(min(t, crash_at))
                    continue
                answered.append(t)
                if steady_since is None:
                    steady_since = t
                if crash_at is not None and first_after is None:
                    first_after = t
            else:
                if addr[0] == args.master:
                    last_master_advert = t
                    if armed and crash_at is None:
                        advert_before_crash = t
                        # Synchronous: no probe leaves while the cable is being cut, so
                        # every probe sent after crash_at finds the master gone.
                        crash_at = now_ms()
                        crash_rc = subprocess.run(["sh", "-c", args.crash]).returncode
                        steady_since = None
                        next_send = now_ms()
                elif crash_at is not None and new_advert is None:
                    new_advert = t
        t = now_ms()
        if crash_at is None and not armed and steady_since is not None and t - steady_since >= args.warmup_s * 1000:
            armed = True
        if first_after is not None and steady_since is not None and t - steady_since >= args.settle_s * 1000:
            break

    if crash_rc:
        print(f"error=crash_command_failed rc={crash_rc}")
        return 1
    if crash_at is None or first_after is None:
        print(f"error=no_failover sent={sent} answered={len(answered)} armed={armed}")
        return 1
    gaps = [b - a for a, b in zip(answered, answered[1:])]
    max_gap = max(gaps) if gaps else 0.0
    print(f"outage={first_after - crash_at:.1f} max_gap={max_gap:.1f} "
          f"after_last_advert={first_after - advert_before_crash:.1f} "
          f"new_advert={(new_advert - crash_at) if new_advert else -1:.1f} "
          f"sent={sent} answered={len(answered)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
