// Sizing a function's memory BARs as an OS's PCI enumeration does at boot
// (Linux __pci_read_base): save, write all-ones, read the mask back,
// restore, with memory decoding off meanwhile. The guest kernel uses what it
// finds to map the devices' windows (workloads/guest_paging.h).
#pragma once

#include <vector>

#include "models/pci/bdf.h"
#include "workloads/guest_api.h"

namespace ivsim {

struct PciMemoryBar {
  pci::Bdf bdf;
  unsigned index = 0;  // BAR number (the low half of a 64-bit BAR)
  Gpa base = 0;
  u64 size = 0;
  bool prefetchable = false;
};

// The assigned (non-zero), implemented memory BARs of a type-0 function;
// I/O BARs are skipped.
std::vector<PciMemoryBar> pci_memory_bars(Guest& g, pci::Bdf bdf);

}  // namespace ivsim
