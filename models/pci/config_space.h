// A type-0 PCI configuration space with BAR sizing masks and a capability
// list, as ACRN's vPCI keeps it per virtual device (hypervisor/dm/vpci/vdev.c,
// pci_vdev_read_vcfg / pci_vdev_write_vcfg / pci_vdev_update_vbar_base).
#pragma once

#include <array>
#include <optional>

#include "models/core/types.h"

namespace ivsim::pci {

// Standard header offsets.
constexpr u32 kVendorId = 0x00;
constexpr u32 kDeviceId = 0x02;
constexpr u32 kCommand = 0x04;
constexpr u32 kStatus = 0x06;
constexpr u32 kRevisionId = 0x08;
constexpr u32 kClassProgIf = 0x09;
constexpr u32 kSubclass = 0x0A;
constexpr u32 kBaseClass = 0x0B;
constexpr u32 kHeaderType = 0x0E;
constexpr u32 kBar0 = 0x10;
constexpr u32 kSubsystemVendorId = 0x2C;
constexpr u32 kSubsystemId = 0x2E;
constexpr u32 kCapPointer = 0x34;
constexpr u32 kInterruptLine = 0x3C;
constexpr u32 kInterruptPin = 0x3D;
constexpr u32 kHeaderLength = 0x40;  // PCI_CFG_HEADER_LENGTH: first capability goes here

constexpr u32 kConfigBytes = 256;           // PCI_CONFIG_SPACE_SIZE (legacy space; no extended capabilities)
constexpr u32 kExtendedConfigBytes = 4096;  // with extended space (PCIe), as ECAM reaches it
constexpr u32 kRomBar = 0x30;               // PCIR_BIOS, the expansion ROM BAR
constexpr u16 kStatusCapList = 0x0010;
constexpr u8 kHeaderTypeMultiFunction = 0x80;
constexpr unsigned kNumBars = 6;

// BAR low flag bits.
constexpr u32 kBarMemType64 = 0x4;
constexpr u32 kBarPrefetch = 0x8;
constexpr u32 kBarFlagBits = 0xF;  // ~PCI_BASE_ADDRESS_MEM_MASK: type/prefetch bits, never part of the base

// Config offset of BAR `idx` (ACRN pci_bar_offset).
constexpr u32 bar_offset(unsigned idx) { return kBar0 + 4 * idx; }

enum class BarKind : u8 { none, mem32, mem64 /* this BAR + the next as upper half */ };

struct BarInfo {
  BarKind kind = BarKind::none;
  u64 size = 0;  // power of two, >= 16
  bool prefetchable = false;
};

// What a config write did to a memory BAR, so the device can unmap the old
// window and map the new one (ACRN vpci_update_one_vbar).
struct BarUpdate {
  unsigned bar = 0;  // index of the lower BAR of the pair
  u64 old_base = 0;  // 0 = was not decoded (never programmed, or sizing)
  u64 new_base = 0;  // 0 = not decoded now (sizing: all-ones written)
};

class ConfigSpace {
 public:
  ConfigSpace();

  // Initial values; bypass the write masks (for device init).
  void init_u8(u32 off, u8 v);
  void init_u16(u32 off, u16 v);
  void init_u32(u32 off, u32 v);

  // Declare BAR `idx` (and idx+1 for mem64) with its size; sets the sizing
  // mask ~(size-1) and the read-only flag bits. `initial_base` is the value
  // the BAR holds at reset (ACRN writes the configured base into vcfg
  // without mapping it).
  void declare_bar(unsigned idx, BarKind kind, u64 size, bool prefetchable, u64 initial_base);
  const BarInfo& bar_info(unsigned idx) const { return bars_[idx]; }
  // True for the register holding the upper 32 bits of a mem64 BAR (its
  // bar_info() is BarKind::none; the pair is described at idx-1).
  bool is_mem64_upper(unsigned idx) const { return idx < kNumBars && mem64_hi_[idx]; }
  // The decoded base of BAR idx (0 when never written by the guest since
  // reset, or while sizing) — what is mapped now. For a mem64 pair pass
  // either index; the answer is for the pair.
  u64 bar_base(unsigned idx) const;
  // The base currently held in the register(s), regardless of decode state.
  u64 bar_register_base(unsigned idx) const;
  // The register base unless sizing: for devices whose BARs decode from
  // reset (acrn-dm programs them before the guest boots).
  u64 bar_base_from_reset(unsigned idx) const { return idx < kNumBars ? decode(pair_lower(idx)) : 0; }

  // Guest config access. Size 1, 2 or 4, naturally aligned; anything else
  // reads all-ones and writes nothing. off < 256.
  u32 read(u32 off, unsigned size) const;
  // Returns the BAR change when the write hit a memory BAR. BAR registers
  // follow the sizing rule, not the write mask; a 1- or 2-byte write to a BAR
  // replaces the whole register with the zero-extended value, as ACRN's
  // ivshmem vdev does (see config_space.cpp).
  std::optional<BarUpdate> write(u32 off, unsigned size, u32 value);

  // Capabilities: reserve `len` bytes for a capability with id `cap_id`,
  // chained after the previous one (first at 0x40); returns its offset.
  // Sets Status.CapList and the capability pointer.
  u32 add_capability(u8 cap_id, u32 len);
  // Make bits writable by the guest (defaults: Command register only). Has
  // no effect on BAR registers.
  void set_write_mask(u32 off, unsigned size, u32 mask);
  // How many BAR registers from BAR0 the BAR rules govern (a vdev's
  // nr_bars); the registers after them are ordinary bytes. Default 6.
  void set_bar_count(unsigned n) { nr_bars_ = n; }
  // Stores bytes as they are written, bypassing the write masks and the BAR
  // rules (pci_vdev_write_vcfg, acrn-dm's CFGWRITE).
  void store_raw(u32 off, unsigned size, u32 value);

  u8 raw_u8(u32 off) const { return bytes_[off]; }
  u16 raw_u16(u32 off) const;
  u32 raw_u32(u32 off) const;

 private:
  u64 load(u32 off, unsigned size) const;
  void store_masked(u32 off, unsigned size, u32 value);
  std::optional<BarUpdate> write_bar(unsigned idx, u32 value);
  unsigned pair_lower(unsigned idx) const { return mem64_hi_[idx] ? idx - 1 : idx; }
  u64 decode(unsigned lower) const;  // pci_vdev_update_vbar_base, before the "ever written" gate

  std::array<u8, 256> bytes_{};
  std::array<u8, 256> wmask_{};
  std::array<BarInfo, kNumBars> bars_{};
  std::array<u32, kNumBars> bar_mask_{};   // vbar->mask: ~(size-1), the upper half's for a mem64 upper register
  std::array<u32, kNumBars> bar_flags_{};  // read-only type bits kept in the low register
  std::array<bool, kNumBars> mem64_hi_{};  // vbar->is_mem64hi
  std::array<bool, kNumBars> sizing_{};    // vbar->sizing: last guest write to this register was all-ones
  std::array<bool, kNumBars> decoded_{};   // at the lower index: guest has written this BAR (pair) since reset
  unsigned nr_bars_ = kNumBars;
  u32 last_cap_ = 0;
  u32 next_cap_ = kHeaderLength;
};

}  // namespace ivsim::pci
