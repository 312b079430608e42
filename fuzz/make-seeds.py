#!/usr/bin/env python3
"""Writes the guest-traffic seed corpus (fuzz/corpus/guest_traffic): each seed
is a guest program of the model tests written as fuzz operations (16 bytes
each: vm, kind, size, sel, offset u32, value u64, little-endian; see
fuzz/README.md). fuzz/make-seeds.sh calls it."""
import os
import struct
import sys

RT, HMI, OTHER = 0, 1, 2           # guests
RT_ID, HMI_ID, OTHER_ID = 0, 2, 3  # their VM ids (doorbell peers)
(CFG_READ, CFG_WRITE, PIO, ECAM_READ, ECAM_WRITE, BAR0, BAR1, BAR2, BAR_MOVE, DOORBELL, MSIX_ENTRY,
 MSIX_CONTROL, HYPERCALL, ANY_GPA, COMPUTE, PROBE, BLOCK, CMPXCHG, LAPIC, HLT) = range(20)
SVR, LVT_TIMER, TSC_DEADLINE, TIMER_ICR, TIMER_DCR = 0, 1, 2, 3, 4  # LAPIC: sel % 5
W = 0x80      # sel: a write
S1, S2, S4, S8 = 0, 1, 2, 3  # memory size codes; I/O: 0 byte, 1 word, 2 dword


def op(vm, kind, size=S4, sel=0, offset=0, value=0):
    return struct.pack("<BBBBIQ", vm, kind, size, sel, offset & 0xFFFFFFFF, value & 0xFFFFFFFFFFFFFFFF)


def doorbell(vm, peer, vector):
    return op(vm, DOORBELL, value=(peer << 16) | vector)


seeds = {
    # test_devices: config space reads as init_ivshmem_vdev sets it.
    "config-space": b"".join(op(RT, CFG_READ, size, 0, reg) for reg, size in
                             [(0x00, 2), (0x08, 2), (0x0E, 0), (0x2C, 2), (0x34, 0), (0x40, 2), (0x44, 2),
                              (0x48, 2), (0x3D, 0), (0x06, 1), (0x04, 1)]),
    # test_devices: a bus scan through ECAM finds what 0xCF8/0xCFC finds.
    "ecam-scan": b"".join([op(HMI, ECAM_READ, S4, 0, 0), op(HMI, ECAM_READ, S4, 1, 0),
                           op(HMI, ECAM_READ, S4, 3, 0, 0x0050 << 48), op(HMI, ECAM_READ, S2, 0, 0x0E),
                           op(HMI, ECAM_READ, S8, 0, 0x10), op(HMI, ECAM_READ, S4, 0, 0x100),
                           op(HMI, CFG_READ, 2, 1, 0), op(HMI, CFG_READ, 2, 2, 0)]),
    # pingpong with the doorbell: write, ring, the peer reads and answers.
    "doorbell-pingpong": b"".join(
        [op(HMI, BAR2, S8, W, 0, 0x1234), doorbell(HMI, RT_ID, 0), op(RT, BAR2, S8, 0, 0),
         op(RT, BAR2, S8, W, 64, 0x5678), doorbell(RT, HMI_ID, 1), op(HMI, BAR2, S8, 0, 64)] * 4),
    # IVPosition, the interrupt registers, doorbells to every peer id.
    "bar0-registers": b"".join([op(RT, BAR0, S4, 0, 8), op(HMI, BAR0, S4, 0, 8), op(RT, BAR0, S4, W, 0, 0xFFFFFFFF),
                                op(RT, BAR0, S4, 0, 4), op(RT, BAR0, S2, 0, 0x0C), op(RT, BAR0, S8, 0, 0x10)] +
                               [doorbell(RT, p, v) for p in range(0, 17) for v in (0, 1, 7, 8)]),
    # test_ivshmem_mapping: BAR2 sized, moved and used where it went.
    "bar-move": b"".join([op(RT, BAR_MOVE, 0, 2), op(RT, BAR_MOVE, 0, 3), op(RT, BAR_MOVE, 1, 2, 0, 0x200),
                          op(RT, BAR_MOVE, 2, 3, 0, 0), op(RT, BAR2, S8, W, 0, 0xAA), doorbell(RT, HMI_ID, 0),
                          op(HMI, BAR2, S8, 0, 0), op(RT, BAR_MOVE, 1, 0, 0, 0x300), op(RT, BAR0, S4, 0, 8),
                          op(RT, BAR_MOVE, 1, 1, 0, 0x301), op(RT, BAR1, S4, W, 0, 0xFEE00000),
                          op(HMI, BAR_MOVE, 2, 2, 0, 0x8040000C), op(HMI, BAR2, S4, 0, 0)]),
    # Memory decode off and on (the command register), BARs used meanwhile.
    "command-register": b"".join([op(RT, BAR_MOVE, 6, 5, 0, 0x0000), op(RT, BAR2, S8, 0, 0),
                                  op(RT, BAR0, S4, 0, 8), doorbell(RT, HMI_ID, 0),
                                  op(RT, BAR_MOVE, 6, 5, 0, 0x0002), op(RT, BAR2, S8, 0, 0),
                                  op(RT, CFG_WRITE, 1, 0, 0x04, 0x0000), op(RT, CFG_WRITE, 1, 0, 0x04, 0x0006)]),
    # MSI-X: entries pointed, masked, unmasked; the function mask; MSI-X off.
    "msix": b"".join([op(HMI, MSIX_ENTRY, 0, 2, 0, (1 << 63) | 0x0), op(HMI, MSIX_ENTRY, 2, 2, 0, 0x60),
                      op(HMI, MSIX_ENTRY, 3, 2, 0, 1), doorbell(RT, HMI_ID, 2),
                      op(HMI, MSIX_ENTRY, 3, 2, 0, 0), doorbell(RT, HMI_ID, 2),
                      op(HMI, MSIX_CONTROL, value=0xC000), doorbell(RT, HMI_ID, 0),
                      op(HMI, MSIX_CONTROL, value=0x0000), doorbell(RT, HMI_ID, 0),
                      op(HMI, MSIX_ENTRY, 0, 9, 0, 5), op(HMI, BAR1, S4, 0, 0x800), op(HMI, BAR1, S8, 0, 0x10),
                      op(HMI, MSIX_CONTROL, value=0x8000), doorbell(RT, HMI_ID, 0)]),
    # The non-member aims at the members' GPAs, the device's BDF and its peers.
    "non-member": b"".join([op(OTHER, BAR2, S8, 0, 0), op(OTHER, BAR2, S8, W, 0, 0x66), op(OTHER, BAR0, S4, 0, 8),
                            doorbell(OTHER, RT_ID, 0), doorbell(OTHER, HMI_ID, 0), op(OTHER, BAR1, S4, W, 0, 0xFEE00000),
                            op(OTHER, CFG_READ, 2, 0, 0), op(OTHER, CFG_WRITE, 2, 0, 0x18, 0x80000000),
                            op(OTHER, ECAM_WRITE, S4, 0, 0x10, 0x80000000), op(OTHER, BAR_MOVE, 1, 2),
                            op(OTHER, ANY_GPA, S8, 0, 0, 0x80400000), op(OTHER, ANY_GPA, S8, 0, 0, 0xE0040000),
                            doorbell(RT, OTHER_ID, 0), op(OTHER, PROBE), op(OTHER, BLOCK, 0, 0, 0, 0xFF),
                            op(OTHER, CMPXCHG, 0, 0, 0, 0)]),
    # Hypercalls, with numbers a guest may try.
    "hypercalls": b"".join(op(vm, HYPERCALL, value=nr) for vm in (RT, HMI, OTHER)
                           for nr in (0, 1, 0x80000000, 0x80000042, 0xFFFFFFFFFFFFFFFF)),
    # Port I/O around 0xCF8: byte and word writes into the address latch, reads across.
    "pio": b"".join([op(RT, PIO, 2, W, 0, 0x80004000), op(RT, PIO, 0, W, 1, 0x40), op(RT, PIO, 1, 0, 4),
                     op(RT, PIO, 2, 0, 5), op(RT, PIO, 0, 0, 7), op(RT, PIO, 1, W, 2, 0x8000),
                     op(HMI, PIO, 2, W | 0x40, 0x70, 0), op(HMI, PIO, 0, 0x40, 0x71), op(HMI, PIO, 2, 0x40, 0xCFC),
                     op(RT, PIO, 2, 0x40, 0xFFFF)]),
    # Block copies and locked operations across line and page ends and past BAR2.
    "block-cmpxchg": b"".join([op(RT, BLOCK, 0, W, 0, 0x55FF), op(HMI, BLOCK, 0, 0, 0, 0xFF),
                               op(RT, BLOCK, 0, W, 4090, 0x1010), op(HMI, BLOCK, 0, 0, 0x1FFFF0, 0xFF),
                               op(RT, CMPXCHG, 0, 0, 0, 0), op(HMI, CMPXCHG, 1, 0, 0, 0xFFFFFFFFFFFFFFFF),
                               op(RT, CMPXCHG, 1, 0, 60, 0), op(RT, BAR2, S8, W, 0x1FFFFC, 1),
                               op(RT, BAR2, S8, 0, 0x200000)]),
    # Loads and stores anywhere: RAM, holes, the ECAM window, above 4 GiB.
    "any-gpa": b"".join(op(vm, ANY_GPA, size, sel, 7, gpa) for vm in (RT, HMI, OTHER)
                        for gpa, size, sel in [(0x1000, S8, W), (0x03FFF000, S4, 0), (0x7FFFFFFF, S2, 0),
                                               (0xE0000000, S4, 0), (0xFEE00000, S4, W),
                                               (0x100000000, S8, 1), (0xFFFFFFFFFFFFFFF8, S8, 1),
                                               (0x0000FFFFFFFFF000, S8, W | 1)]),
    # test_vlapic_timer: the timer armed near now, re-armed, disarmed with 0,
    # armed and expiring; the LAPIC software-disabled while a doorbell comes,
    # enabled again.
    "lapic": b"".join([op(RT, LAPIC, 2, W | LVT_TIMER), op(RT, LAPIC, 1, TSC_DEADLINE, 0, 5000),
                       op(RT, LAPIC, 1, TSC_DEADLINE, 0, 50000), op(RT, COMPUTE, value=20000),
                       op(RT, LAPIC, 0, TSC_DEADLINE, 0, 0), op(RT, COMPUTE, value=100000),
                       op(RT, LAPIC, 1, TSC_DEADLINE, 0, 20000), op(RT, COMPUTE, value=100000),
                       op(RT, LAPIC, S4, W | SVR, 0, 0xFF), doorbell(HMI, RT_ID, 0), op(RT, LAPIC, S4, SVR),
                       op(RT, LAPIC, S4, W | SVR, 0, 0x1FF), doorbell(HMI, RT_ID, 0), op(RT, LAPIC, S4, LVT_TIMER),
                       op(OTHER, LAPIC, 2, W | LVT_TIMER), op(OTHER, LAPIC, 1, TSC_DEADLINE, 0, 10),
                       op(OTHER, COMPUTE, value=1000), op(OTHER, LAPIC, S4, W | SVR, 0, 0)]),
    # test_vlapic_timer: a periodic count-down timer at divide-by-1 ticking
    # through computes and an MSI, its current count read, stopped with 0; a
    # one-shot one at divide-by-2 (DCR 0), then disarmed by a change of mode.
    "lapic-periodic": b"".join([op(RT, LAPIC, S1, W | LVT_TIMER, 0, (1 << 17) | 0x40),
                                op(RT, LAPIC, S4, W | TIMER_DCR, 0, 0xB), op(RT, LAPIC, S4, W | TIMER_ICR, 0, 3000),
                                op(RT, COMPUTE, value=20000), op(RT, LAPIC, S4, TIMER_ICR),
                                doorbell(HMI, RT_ID, 0), op(RT, COMPUTE, value=20000),
                                op(RT, LAPIC, S4, W | TIMER_ICR, 0, 0), op(RT, COMPUTE, value=20000),
                                op(RT, LAPIC, S1, W | LVT_TIMER, 0, 0x40), op(RT, LAPIC, S4, W | TIMER_DCR, 0, 0),
                                op(RT, LAPIC, S4, W | TIMER_ICR, 0, 2000), op(RT, LAPIC, S4, TIMER_DCR),
                                op(RT, COMPUTE, value=20000), op(RT, LAPIC, S4, W | TIMER_ICR, 0, 4000),
                                op(RT, LAPIC, S4, W | LVT_TIMER, 0, 0x40), op(RT, COMPUTE, value=20000)]),
    # HLT woken by its timer (a TSC deadline, a one-shot count, a deadline
    # already passed), by a doorbell pending before it, and the non-member's,
    # which does not halt.
    "hlt": b"".join([op(RT, HLT, 0, 0, 0, 20000), op(HMI, HLT, 1, 0, 0, 3000), op(RT, HLT, 0, 0, 0, 0),
                     doorbell(HMI, RT_ID, 0), op(RT, HLT, 0, 0, 0, 0xFFFFF), op(OTHER, HLT),
                     op(RT, LAPIC, S4, W | SVR, 0, 0xFF), op(RT, HLT, 1, 0, 0, 0)]),
    # Time passing between accesses.
    "compute": b"".join([op(RT, COMPUTE, value=1000), op(HMI, BAR2, S8, 0), op(RT, COMPUTE, value=0xFFFFF),
                         doorbell(HMI, RT_ID, 1), op(RT, PROBE), op(HMI, PROBE)]),
}

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "guest_traffic")
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
