// acrn-dm's MMIO registrations (devicemodel/core/mem.c): the guest-physical
// ranges its emulated devices' BARs occupy, which an MMIO I/O request is
// looked up in (emulate_mem). Ranges never overlap; each carries the name
// of the device that registered it and the BAR it serves. Beside them, in a
// tree of their own (mmio_rb_fallback), the fallback ranges init_pci
// registers over its PCI holes, which emulate_mem looks in only when no
// registration holds the address.
#pragma once

#include <map>
#include <string>

#include "models/core/types.h"
#include "models/pci/bdf.h"

namespace ivsim {

// acrn-dm's PCI holes (devicemodel/include/pci_core.h): where it places the
// BARs of the devices it emulates, and what its fallback ranges cover.
constexpr u64 kPciEmulMemBase32 = 0x8000'0000ULL;      // 2 GiB
constexpr u64 kPciEmulMemLimit32 = 0xE000'0000ULL;     // 3.5 GiB
constexpr u64 kPciEmulMemBase64 = 0x40'0000'0000ULL;   // 256 GiB
constexpr u64 kPciEmulMemLimit64 = 0x80'0000'0000ULL;  // 512 GiB

class DmMmioRanges {
 public:
  struct Range {
    std::string name;  // the device's name: "ivshmem-pci-SLOT" (pci_emul_init)
    u64 base = 0;
    u64 size = 0;
    pci::Bdf bdf;      // the device the range calls (mr.arg1)
    unsigned bar = 0;  // and its BAR (mr.arg2)
  };

  // register_mem_int: refused (false) when a range already holds `base`
  // or the new one overlaps another (mmio_rb_add's RB_INSERT).
  bool register_mem(const Range& r) { return register_in(ranges_, r); }
  // unregister_mem_int: only a range with the same name, base and size goes
  // (false when there is none).
  bool unregister_mem(const std::string& name, u64 base, u64 size) { return unregister_in(ranges_, name, base, size); }
  // mmio_rb_lookup: the range that holds addr, or nullptr.
  const Range* lookup(u64 addr) const { return lookup(ranges_, addr); }
  // register_mem_fallback, unregister_mem_fallback and the lookup in
  // mmio_rb_fallback: the same, for the fallback ranges.
  bool register_fallback(const Range& r) { return register_in(fallback_, r); }
  bool unregister_fallback(const std::string& name, u64 base, u64 size) {
    return unregister_in(fallback_, name, base, size);
  }
  const Range* lookup_fallback(u64 addr) const { return lookup(fallback_, addr); }
  // Every range that calls `bdf`'s device. acrn-dm leaves a range that
  // pci_emul_free_bars did not unregister pointing at the freed device; the
  // twin drops it with the device (docs/devices.md).
  void drop(pci::Bdf bdf);
  std::size_t size() const { return ranges_.size(); }

 private:
  using Tree = std::map<u64, Range>;  // by base
  static const Range* lookup(const Tree& t, u64 addr);
  static bool register_in(Tree& t, const Range& r);
  static bool unregister_in(Tree& t, const std::string& name, u64 base, u64 size);

  Tree ranges_;
  Tree fallback_;
};

}  // namespace ivsim
