#!/usr/bin/env python3
"""Regenerate the fuzz seed corpora (tests/fuzz/corpus/*). Deterministic."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
BASE = 0x100000000  # VMSG_LOOP_BASE: first loopback DMA region


def msg(typ, mid, payload=b"", dev=0, token=0):
    return struct.pack("<BBHHH", typ, mid, dev, token, 8 + len(payload)) + payload


def write(name, items):
    d = os.path.join(HERE, "corpus", name)
    os.makedirs(d, exist_ok=True)
    for i, data in enumerate(items):
        with open(os.path.join(d, "seed-%02d" % i), "wb") as f:
            f.write(data)


def decode_seeds():
    L = struct.pack
    return [
        msg(0, 0x02, dev=1),
        msg(1, 0x02, L("<IIIIIHH", 2, 0, 64, 60, 4, 0, 0), dev=1, token=3),
        msg(0, 0x03, L("<II", 0, 2)),
        msg(1, 0x03, L("<IIII", 0, 2, 0x30000000, 1)),
        msg(0, 0x04, L("<III", 0, 1, 0x20000000)),
        msg(1, 0x04),
        msg(0, 0x05, L("<II", 0, 8)),
        msg(1, 0x05, L("<III", 5, 0, 4) + b"abcd"),
        msg(0, 0x06, L("<III", 5, 4, 2) + b"xy"),
        msg(1, 0x06, L("<III", 6, 4, 2)),
        msg(0, 0x07), msg(1, 0x07, L("<I", 15)),
        msg(0, 0x08, L("<I", 3)), msg(1, 0x08, L("<I", 3)),
        msg(0, 0x09, L("<I", 0)),
        msg(1, 0x09, L("<IIIIQQQ", 0, 256, 0, 0, 0, 0, 0)),
        msg(0, 0x0A, L("<IIIIQQQ", 0, 0, 16, 0, 0x1000, 0x2000, 0x3000)),
        msg(1, 0x0A), msg(0, 0x0B, L("<I", 1)), msg(1, 0x0B),
        msg(0, 0x0C, L("<I", 0)), msg(1, 0x0C, L("<III", 0, 0, 0)),
        msg(0, 0x40, L("<IIII", 0x4F, 9, 0, 2) + b"zz"),
        msg(0, 0x41, L("<II", 0, 0x80000005)), msg(0, 0x42, L("<I", 0)),
        msg(2, 0x02, L("<HH", 0, 16)),
        msg(3, 0x02, L("<HHH", 0, 16, 0) + b"\x25\x00"),
        msg(2, 0x03, L("<I", 7)), msg(3, 0x03, L("<I", 7)),
        msg(2, 0x40, L("<HH", 4, 1)),
    ]


def ring_image(num, descs, avail, mem_size=4096, fill=None):
    """Rings at offset 0 (desc, avail, used) as fuzz_virtq lays them out."""
    mem = bytearray(mem_size)
    for i, (addr, ln, flags, nxt) in enumerate(descs):
        struct.pack_into("<QIHH", mem, 16 * i, addr, ln, flags, nxt)
    aoff = 16 * num
    struct.pack_into("<HH", mem, aoff, 0, len(avail))
    for i, h in enumerate(avail):
        struct.pack_into("<H", mem, aoff + 4 + 2 * i, h)
    for off, data in (fill or []):
        mem[off:off + len(data)] = data
    return bytes(mem)


def virtq_seeds():
    NEXT, WRITE, INDIRECT = 1, 2, 4
    good = ring_image(16, [(BASE + 1024, 100, NEXT, 1), (BASE + 2048, 50, WRITE, 0)], [0])
    table = struct.pack("<QIHH", BASE + 3000, 10, NEXT, 1) + struct.pack("<QIHH", BASE + 3100, 10, WRITE, 0)
    indirect = ring_image(16, [(BASE + 2000, 32, INDIRECT, 0)], [0], fill=[(2000, table)])
    loop = ring_image(16, [(BASE + 1024, 8, NEXT, 1), (BASE + 1024, 8, NEXT, 0)], [0])
    many = ring_image(16, [(BASE + 1024 + 16 * i, 16, NEXT if i < 7 else WRITE, i + 1) for i in range(8)], [0, 0])
    return [bytes([4, 3]) + good, bytes([4, 7]) + indirect, bytes([4, 1]) + loop,
            bytes([4, 0]) + many, bytes([0, 0]) + good[:64]] + packed_seeds()


def packed_image(num, descs, mem_size=4096, fill=None):
    """A packed ring at offset 0, event areas after it (fuzz_virtq's layout)."""
    mem = bytearray(mem_size)
    for i, (addr, ln, bid, flags) in enumerate(descs):
        struct.pack_into("<QIHH", mem, 16 * i, addr, ln, bid, flags)
    for off, data in (fill or []):
        mem[off:off + len(data)] = data
    return bytes(mem)


def packed_seeds():
    NEXT, WRITE, INDIRECT, AV = 1, 2, 4, 1 << 7
    # byte 0: size - 1; byte 1: bit 4 packed, bits 0/1 EVENT_IDX/INDIRECT
    chain = packed_image(12, [(BASE + 1024, 100, 3, AV | NEXT), (BASE + 2048, 50, 3, AV | WRITE),
                              (BASE + 2100, 8, 4, AV)])
    table = struct.pack("<QIHH", BASE + 3000, 10, 0, 0) + struct.pack("<QIHH", BASE + 3100, 10, 0, WRITE)
    indirect = packed_image(12, [(BASE + 2000, 32, 1, AV | INDIRECT)], fill=[(2000, table)])
    wraps = packed_image(5, [(BASE + 1024 + 64 * i, 16, i, AV | (NEXT if i % 2 == 0 else WRITE))
                             for i in range(5)])
    return [bytes([11, 16 | 3]) + chain, bytes([11, 16 | 2 | 8]) + indirect,
            bytes([4, 16 | 1 | 4]) + wraps]


def device_seeds():
    L = struct.pack

    def rec(m):
        return bytes([len(m)]) + m

    feats = L("<III", 0, 2, (1 << 29)) + L("<I", 1)      # EVENT_IDX | VERSION_1
    init = b"".join(rec(m) for m in [
        msg(0, 0x02), msg(0, 0x08, L("<I", 1)), msg(0, 0x08, L("<I", 3)),
        msg(0, 0x03, L("<II", 0, 2)), msg(0, 0x04, feats), msg(0, 0x08, L("<I", 11)),
        msg(0, 0x09, L("<I", 0)),
        msg(0, 0x0A, L("<IIIIQQQ", 0, 0, 16, 0, BASE, BASE + 256, BASE + 296)),
        msg(0, 0x08, L("<I", 15)), msg(0, 0x41, L("<II", 0, 0)),
        msg(0, 0x05, L("<II", 0, 32)), msg(0, 0x06, L("<III", 0, 8, 4) + b"abcd"),
        msg(0, 0x0B, L("<I", 0)), msg(0, 0x08, L("<I", 0)),
    ]) + b"\x00"
    mem = ring_image(16, [(BASE + 1024, 100, 1, 1), (BASE + 2048, 50, 2, 0)], [0])
    # The same with a packed ring of 12 (VERSION_1 | RING_PACKED in the high word).
    pfeats = L("<III", 0, 2, (1 << 29)) + L("<I", 1 | 4)
    pinit = b"".join(rec(m) for m in [
        msg(0, 0x08, L("<I", 1)), msg(0, 0x08, L("<I", 3)),
        msg(0, 0x04, pfeats), msg(0, 0x08, L("<I", 11)),
        msg(0, 0x0A, L("<IIIIQQQ", 0, 0, 12, 0, BASE, BASE + 192, BASE + 196)),
        msg(0, 0x08, L("<I", 15)), msg(0, 0x41, L("<II", 0, 0)),
    ]) + b"\x00"
    pmem = packed_image(12, [(BASE + 1024, 100, 5, (1 << 7) | 1), (BASE + 2048, 50, 5, (1 << 7) | 2)])
    return [init + mem, init[:40], rec(msg(2, 0x03, L("<I", 5))) + rec(msg(0, 0x0D)),
            pinit + pmem]


write("decode", decode_seeds())
write("virtq", virtq_seeds())
write("device", device_seeds())
