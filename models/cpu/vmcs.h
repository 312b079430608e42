// The VMCS fields a vCPU's CPU consults without the hypervisor: the MSR
// bitmap (which RDMSR and WRMSR exit), the TSC offset (what RDTSC and an
// unintercepted RDMSR of the TSC return), the guest's IA32_PAT (loaded on
// VM entry) and the APIC-access page's virtualization. The hypervisor
// writes them (exec_vmwrite64 in ACRN; here through Vm::vmcs), the vCPU
// reads them.
#pragma once

#include <array>

#include "models/core/types.h"

namespace ivsim {

// enable_msr_interception's modes (vmsr.c).
constexpr unsigned kInterceptDisable = 0, kInterceptRead = 1, kInterceptWrite = 2,
                   kInterceptReadWrite = kInterceptRead | kInterceptWrite;

// The 4 KiB MSR bitmap (Intel SDM Vol. 3C, "MSR-Bitmap Address"): read bits
// for MSRs 0-0x1FFF, then for 0xC0000000-0xC0001FFF, then the same two for
// writes. An MSR outside both ranges always exits.
class MsrBitmap {
 public:
  static bool in_range(u32 msr) { return msr <= 0x1FFF || (msr >= 0xC000'0000u && msr <= 0xC000'1FFFu); }

  // enable_msr_interception: sets or clears the MSR's read and write bits.
  void set(u32 msr, unsigned mode) {
    if (!in_range(msr)) return;  // "Invalid MSR": nothing to set
    const unsigned index = bit_index(msr);
    set_bit(index, (mode & kInterceptRead) != 0);
    set_bit(kWriteBits + index, (mode & kInterceptWrite) != 0);
  }
  bool intercepts(u32 msr, bool write) const {
    if (!in_range(msr)) return true;
    const unsigned index = (write ? kWriteBits : 0) + bit_index(msr);
    return (bits_[index >> 3] >> (index & 7)) & 1;
  }
  void clear() { bits_.fill(0); }

 private:
  static constexpr unsigned kWriteBits = 2048 * 8;
  static unsigned bit_index(u32 msr) { return ((msr & 0xC000'0000u) ? 1024 * 8 : 0) + (msr & 0x1FFF); }
  void set_bit(unsigned index, bool on) {
    const u8 mask = static_cast<u8>(1u << (index & 7));
    if (on)
      bits_[index >> 3] |= mask;
    else
      bits_[index >> 3] &= static_cast<u8>(~mask);
  }
  std::array<u8, 4096> bits_{};
};

// IA32_PAT at power-on (SDM Vol. 3A, "Memory Type Setting of PAT Entries
// Following a Power-up or Reset"; ACRN's PAT_POWER_ON_VALUE): entries 0-7
// WB, WT, UC-, UC, WB, WT, UC-, UC.
constexpr u64 kPatPowerOn = 0x0007'0406'0007'0406ULL;

struct Vmcs {
  MsrBitmap msr_bitmap;
  // VMX_TSC_OFFSET_FULL: the guest's TSC is the host's plus this (mod 2^64).
  u64 tsc_offset = 0;
  // VMX_GUEST_IA32_PAT_FULL: the PAT the guest's accesses use.
  u64 guest_pat = kPatPowerOn;
  // VMX_PROCBASED_CTLS2_VAPIC, "virtualize APIC accesses", and
  // VMX_APIC_ACCESS_ADDR_FULL: while on, an access whose host physical
  // address is in that page is the virtual LAPIC's and never reaches memory
  // (SDM Vol. 3C 29.4).
  bool virtualize_apic_accesses = false;
  Hpa apic_access_addr = 0;
};

}  // namespace ivsim
