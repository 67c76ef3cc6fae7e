#!/usr/bin/env python3
"""The soak's eyes (scripts/soak): who holds the VIP and whose Redis is a master, sampled every
--interval-ms in every node at once, from one process (a netlink socket and a Redis connection
opened inside each node's namespace), so that a loaded machine still gets its samples in.

  soak_monitor.py --vip A.B.C.D [--interval-ms 25] NAME=NETNS...

Prints a line when what it sees changes (and a line every 10 s, so gaps in sampling show):
  <unix ms> holders=<names or -> masters=<names or -> silent=<names or ->
holders: the VIP is on one of the node's addresses; masters: INFO replication says role:master;
silent: the Redis did not answer within the sample (killed, paused, restarting). Runs until
SIGTERM; flushes every line.
"""
import argparse
import ctypes
import os
import select
import signal
import socket
import struct
import sys
import time

CLONE_NEWNET = 0x40000000
RTM_GETADDR, RTM_NEWADDR, NLMSG_DONE, NLMSG_ERROR = 22, 20, 3, 2
NLM_F_REQUEST, NLM_F_DUMP = 1, 0x300
IFA_ADDRESS, IFA_LOCAL = 1, 2
libc = ctypes.CDLL(None, use_errno=True)
HOME = os.open("/proc/self/ns/net", os.O_RDONLY)


def in_netns(ns, make):
    """make() called inside namespace ns; the socket it returns stays there."""
    fd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {ns}")
        return make()
    finally:
        libc.setns(HOME, CLONE_NEWNET)
        os.close(fd)


class Node:
    def __init__(self, name, ns, vip):
        self.name, self.ns, self.vip = name, ns, socket.inet_aton(vip)
        self.nl = in_netns(ns, lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0))
        self.seq = 0
        self.redis = None
        self.buf = b""

    def holds_vip(self):
        self.seq += 1
        self.nl.send(struct.pack("=LHHLL", 24, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, self.seq, 0) +
                     struct.pack("=BBBBL", socket.AF_INET, 0, 0, 0, 0))
        found = False
        while True:
            data, off = self.nl.recv(65536), 0
            while off + 16 <= len(data):
                length, typ, _, seq, _ = struct.unpack_from("=LHHLL", data, off)
                if length < 16:
                    return found
                if seq == self.seq:
                    if typ in (NLMSG_DONE, NLMSG_ERROR):
                        return found
                    if typ == RTM_NEWADDR:
                        a = off + 24  # nlmsghdr + ifaddrmsg
                        while a + 4 <= off + length:
                            alen, atyp = struct.unpack_from("=HH", data, a)
                            if alen < 4:
                                break
                            found |= atyp in (IFA_ADDRESS, IFA_LOCAL) and data[a + 4:a + alen] == self.vip
                            a += (alen + 3) & ~3
                off += (length + 3) & ~3

    def ask_role(self):
        """Sends INFO replication (connecting first when needed); False when it cannot."""
        try:
            if self.redis is None:
                def connect():
                    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    s.settimeout(0.05)
                    s.connect(("127.0.0.1", 6379))
                    s.setblocking(False)
                    return s
                self.redis, self.buf = in_netns(self.ns, connect), b""
            self.redis.send(b"*2\r\n$4\r\nINFO\r\n$11\r\nreplication\r\n")
            return True
        except OSError:
            self.drop()
            return False

    def drop(self):
        if self.redis is not None:
            self.redis.close()
        self.redis = None

    def read_role(self):
        """None until the whole bulk reply is in; then 'master', 'slave' or '?'."""
        try:
            chunk = self.redis.recv(65536)
        except BlockingIOError:
            return None
        except OSError:
            self.drop()
            return "?"
        if not chunk:
            self.drop()
            return "?"
        self.buf += chunk
        head, sep, rest = self.buf.partition(b"\r\n")
        if not sep:
            return None
        if not head.startswith(b"$"):
            self.buf = b""
            return "?"  # -LOADING and the like
        if len(rest) < int(head[1:]) + 2:
            return None
        self.buf = b""
        for line in rest.split(b"\r\n"):
            if line.startswith(b"role:"):
                return line[5:].decode()
        return "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vip", required=True)
    ap.add_argument("--interval-ms", type=float, default=25)
    ap.add_argument("nodes", nargs="+", help="NAME=NETNS")
    args = ap.parse_args()
    nodes = [Node(*spec.split("=", 1), args.vip) for spec in args.nodes]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    last, last_print = None, 0.0
    while True:
        start = time.time()
        holders = [n.name for n in nodes if n.holds_vip()]
        waiting = {n: None for n in nodes if n.ask_role()}
        deadline = start + 0.08
        while any(v is None for v in waiting.values()) and time.time() < deadline:
            socks = [n.redis for n, v in waiting.items() if v is None and n.redis is not None]
            if not socks:
                break
            select.select(socks, [], [], max(0.0, deadline - time.time()))
            for n, v in waiting.items():
                if v is None and n.redis is not None:
                    waiting[n] = n.read_role()
        for n, v in waiting.items():
            if v is None:
                n.drop()  # a reply that did not come in time: start over on a new connection
        masters = [n.name for n, v in waiting.items() if v == "master"]
        silent = [n.name for n in nodes if waiting.get(n) in (None, "?")]
        seen = (holders, masters, silent)
        if seen != last or start - last_print >= 10:
            print(f"{int(start * 1000)} holders={','.join(holders) or '-'} masters={','.join(masters) or '-'}"
                  f" silent={','.join(silent) or '-'}", flush=True)
            last, last_print = seen, start
        time.sleep(max(0.0, args.interval_ms / 1000 - (time.time() - start)))


if __name__ == "__main__":
    main()
