// The local APIC's register map: the xAPIC page offsets and x2APIC MSRs
// the twin models, and which accesses the CPU itself takes: WRMSR of an
// x2APIC register (SDM Vol. 3A, Table 11-6), reads of the APIC-access page
// that APIC-register virtualization serves (SDM Vol. 3C 29.4.2).
#pragma once

#include "models/core/types.h"

namespace ivsim {

// x2APIC MSRs: the register's xAPIC offset / 16 + 0x800 (SDM Vol. 3A,
// Table 11-6), 0x800-0x8FF in all.
constexpr u32 kX2apicFirst = 0x800, kX2apicLast = 0x8FF;
constexpr u32 kX2apicId = 0x802, kX2apicTpr = 0x808, kX2apicEoi = 0x80B, kX2apicLdr = 0x80D, kX2apicSvr = 0x80F;
constexpr u32 kX2apicEsr = 0x828, kX2apicLvtCmci = 0x82F, kX2apicIcr = 0x830, kX2apicLvtTimer = 0x832;
constexpr u32 kX2apicLvtThermal = 0x833, kX2apicLvtPmc = 0x834, kX2apicLvtLint0 = 0x835, kX2apicLvtLint1 = 0x836;
constexpr u32 kX2apicLvtError = 0x837, kX2apicTimerIcr = 0x838, kX2apicTimerCcr = 0x839, kX2apicTimerDcr = 0x83E;
constexpr u32 kX2apicSelfIpi = 0x83F;
constexpr u32 kX2apicVersion = 0x803, kX2apicPpr = 0x80A, kX2apicIsr0 = 0x810, kX2apicTmr0 = 0x818, kX2apicIrr0 = 0x820;

// xAPIC page offsets: the LVT entries (CMCI, then timer, thermal,
// performance counters, LINT0, LINT1 and error, 16 bytes apart) and the
// interrupt command register's halves.
constexpr u32 kApicLvtCmci = 0x2F0, kApicLvtTimer = 0x320, kApicLvtThermal = 0x330, kApicLvtLint0 = 0x350;
constexpr u32 kApicLvtLint1 = 0x360;
constexpr u32 kApicLvtError = 0x370, kApicIcrLow = 0x300, kApicIcrHigh = 0x310;
inline bool is_apic_lvt(u32 offset) {
  return offset == kApicLvtCmci || (offset >= kApicLvtTimer && offset <= kApicLvtError && (offset & 0xFu) == 0);
}

// A physical LAPIC in x2APIC mode takes WRMSR of this register (SDM Vol.
// 3A, Table 11-6): TPR, EOI, SVR, ESR, the LVTs, ICR, the initial count,
// the divide configuration and SELF IPI. WRMSR of a read-only register (ID,
// version, PPR, LDR, ISR, TMR, IRR, current count) or a reserved one is #GP.
inline bool x2apic_msr_writable(u32 msr) {
  switch (msr) {
    case kX2apicTpr:
    case kX2apicEoi:
    case kX2apicSvr:
    case kX2apicEsr:
    case kX2apicLvtCmci:
    case kX2apicIcr:
    case kX2apicLvtTimer:
    case kX2apicLvtThermal:
    case kX2apicLvtPmc:
    case kX2apicLvtLint0:
    case kX2apicLvtLint1:
    case kX2apicLvtError:
    case kX2apicTimerIcr:
    case kX2apicTimerDcr:
    case kX2apicSelfIpi:
      return true;
    default:
      return false;
  }
}

// A physical LAPIC in x2APIC mode takes RDMSR of this register (SDM Vol.
// 3A, Table 11-6): all but the write-only EOI and SELF IPI; RDMSR of a
// reserved MSR of the range is #GP.
inline bool x2apic_msr_readable(u32 msr) {
  if (msr >= kX2apicIsr0 && msr < kX2apicIrr0 + 8) return true;  // ISR, TMR, IRR
  // CMCI, the ICR (0x831 is no register: the ICR is one MSR), the other
  // LVTs, the initial and current counts.
  if (msr >= kX2apicLvtCmci && msr <= kX2apicTimerCcr) return msr != kX2apicIcr + 1;
  switch (msr) {
    case kX2apicId:
    case kX2apicVersion:
    case kX2apicTpr:
    case kX2apicPpr:
    case kX2apicLdr:
    case kX2apicSvr:
    case kX2apicEsr:
    case kX2apicTimerDcr:
      return true;
    default:
      return false;
  }
}

// An aligned 32-bit xAPIC write at this offset goes into the virtual-APIC
// page (SDM Vol. 3C 29.4.3.1: TPR, EOI, LDR, DFR, SVR, ESR, ICR, the LVTs but
// CMCI, the initial count and the divide configuration); the CPU then
// virtualizes it (TPR, EOI, ICR_HI, a self-IPI) or makes an APIC-write VM
// exit. Any other write is an APIC-access VM exit.
inline bool xapic_write_virtualized(u32 offset) {
  if (offset >= kApicIcrLow && offset <= kApicLvtError + 0x10) return (offset & 0xFu) == 0;  // ICR, LVTs, count
  switch (offset) {
    case 0x80:
    case 0xB0:
    case 0xD0:
    case 0xE0:
    case 0xF0:
    case 0x280:
    case 0x3E0:
      return true;
    default:
      return false;
  }
}

// An xAPIC read at this offset is served from the virtual-APIC page
// without an exit (APIC-register virtualization, SDM Vol. 3C 29.4.2: ID,
// version, TPR, EOI, LDR, DFR, SVR, ISR, TMR, IRR, ESR, ICR, the LVTs but
// CMCI, the initial count and the divide configuration); any other offset
// (PPR, CMCI, the current count, reserved ones) is an APIC-access VM exit.
inline bool xapic_read_virtualized(u32 offset) {
  if (offset >= 0x100 && offset < 0x290) return (offset & 0xFu) == 0;                        // ISR, TMR, IRR, ESR
  if (offset >= kApicIcrLow && offset <= kApicLvtError + 0x10) return (offset & 0xFu) == 0;  // ICR, LVTs, count
  switch (offset) {
    case 0x20:
    case 0x30:
    case 0x80:
    case 0xB0:
    case 0xD0:
    case 0xE0:
    case 0xF0:
    case 0x3E0:
      return true;
    default:
      return false;
  }
}

}  // namespace ivsim
