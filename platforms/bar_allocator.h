// Guest-physical addresses of the IVSHMEM devices' BARs, chosen the way
// ACRN's tools choose them:
// - pre-launched VMs and the Service VM: the configurator's allocator
//   (misc/config_tools/static_allocators/gpa.py allocate_pci_bar), over all
//   of the VM's devices at once, largest first, the low window before the
//   high one; a pre-launched VM's windows are fixed, the Service VM's are
//   the host's PCI hole less the native devices' BARs;
// - post-launched VMs: acrn-dm's pci_emul_alloc_bar (devicemodel/hw/pci/
//   core.c), device by device: passed-through devices first, then the rest
//   in slot order, each BAR naturally aligned from the window's last end.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "models/core/types.h"
#include "models/dm/dm_mmio_ranges.h"
#include "platforms/board.h"
#include "platforms/scenario.h"

namespace ivsim {

struct IvshmemBarValues {
  u32 bar0 = 0;  // 32-bit memory BAR value (address | flags)
  u32 bar1 = 0;
  u64 bar2 = 0;  // BAR3:BAR2 value (address | 64-bit | prefetchable)
};

// A VM's windows have no room left for one of its BARs.
struct BarAllocationError : std::runtime_error {
  BarAllocationError(const std::string& what, std::string vm_name, std::string device)
      : std::runtime_error(what), vm(std::move(vm_name)), device(std::move(device)) {}
  std::string vm;
  std::string device;  // "ivshmem[R]" or "pci_devs[K]"
};

// The configurator's allocation over a list of windows (gpa.py alloc_addr
// with get_free_addr): each BAR, largest first (ties in the order given),
// at the first address in the first window that is aligned to its size and
// clear of the ranges taken so far.
class GpaWindowAllocator {
 public:
  GpaWindowAllocator(std::vector<AddrWindow> windows, std::vector<AddrWindow> used);
  // A BAR that fits in no window: its index in `sizes`, and its size.
  struct NoRoom {
    std::size_t index;
    u64 size;
  };
  // `sizes` in the order gpa.py inserts them; returns their bases in that
  // order. Throws NoRoom.
  std::vector<u64> allocate(const std::vector<u64>& sizes);
  const std::vector<AddrWindow>& used() const { return used_; }

 private:
  u64 free_address(u64 size) const;
  std::vector<AddrWindow> windows_;
  std::vector<AddrWindow> used_;
};

// acrn-dm's windows (pci_core.h PCI_EMUL_MEMBASE32 .. PCI_EMUL_MEMLIMIT64)
// and the configurator's fixed ones for a pre-launched VM (gpa.py
// PRE_LAUNCHED_VM_LOW_MEM_START ..): the same addresses.
constexpr u64 kPciWindow32Start = kPciEmulMemBase32;  // 2 GiB
constexpr u64 kPciWindow32End = kPciEmulMemLimit32;   // 3.5 GiB
constexpr u64 kPciWindow64Start = kPciEmulMemBase64;  // 256 GiB
constexpr u64 kPciWindow64End = kPciEmulMemLimit64;   // 512 GiB

// Every IVSHMEM device's BARs, by (region index, member index) in the
// scenario. Throws BarAllocationError when a VM's windows are full.
using IvshmemBarMap = std::map<std::pair<std::size_t, std::size_t>, IvshmemBarValues>;
IvshmemBarMap allocate_ivshmem_bars(const Scenario& scenario, const Board& board);

}  // namespace ivsim
