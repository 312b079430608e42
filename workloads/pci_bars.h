// Sizing a function's memory BARs as an OS's PCI enumeration does at boot
// (Linux __pci_read_base): save, write all-ones, read the mask back,
// restore, with memory decoding off meanwhile. The guest kernel uses what it
// finds to map the devices' windows (workloads/guest_paging.h) and keeps it
// as the functions' resources, which drivers read instead of sizing again.
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

// The kernel's record of what its boot-time bus scan sized, in guest RAM:
// Linux keeps each function's BARs in its pci_dev's resource[] and a driver
// reads pci_resource_start / pci_resource_len, never sizing a BAR again (a
// second sizing would move the BAR, and unmap it, under the vCPUs already
// using it). The bootstrap vCPU writes it with guest stores, before it
// publishes its CR3, so every vCPU that passed the boot mailbox finds it.
// It takes the kernel page from its third line on (the first two: the boot
// mailbox, pci_config_lock): a header word, then an entry per BAR; BARs
// beyond kPciResourceSlots are not recorded, and their drivers size them.
constexpr unsigned kPciResourceEntryBytes = 24;  // key and flags, base, size
constexpr unsigned kPciResourceSlots = (kPageSize4K - 2 * kCacheLineBytes - 8) / kPciResourceEntryBytes;
void pci_record_resources(Guest& g, const std::vector<PciMemoryBar>& bars);
// The BARs of bdf as the kernel recorded them, in BAR order; none when it
// recorded none of them, or when there is no record at all (a guest without
// the kernel's bring-up, `guest_paging: false`, whose drivers size BARs
// themselves).
std::vector<PciMemoryBar> pci_resources(Guest& g, pci::Bdf bdf);

}  // namespace ivsim
