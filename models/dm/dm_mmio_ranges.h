// acrn-dm's MMIO registrations (devicemodel/core/mem.c): the guest-physical
// ranges its emulated devices' BARs occupy, which an MMIO I/O request is
// looked up in (emulate_mem). Ranges never overlap; each carries the name
// of the device that registered it and the BAR it serves.
#pragma once

#include <map>
#include <string>

#include "models/core/types.h"
#include "models/pci/bdf.h"

namespace ivsim {

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
  bool register_mem(const Range& r);
  // unregister_mem_int: only a range with the same name, base and size goes
  // (false when there is none).
  bool unregister_mem(const std::string& name, u64 base, u64 size);
  // mmio_rb_lookup: the range that holds addr, or nullptr.
  const Range* lookup(u64 addr) const;
  // Every range that calls `bdf`'s device. acrn-dm leaves a range that
  // pci_emul_free_bars did not unregister pointing at the freed device; the
  // twin drops it with the device (docs/devices.md).
  void drop(pci::Bdf bdf);
  std::size_t size() const { return ranges_.size(); }

 private:
  std::map<u64, Range> ranges_;  // by base
};

}  // namespace ivsim
