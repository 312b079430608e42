// Guest-physical addresses of an IVSHMEM device's BARs, chosen the way ACRN's
// tools choose them: the configurator's GPA allocator for pre-launched and
// Service VMs (misc/config_tools/static_allocators/gpa.py) and acrn-dm's BAR
// allocator for post-launched VMs (devicemodel/hw/pci/core.c).
#pragma once

#include "models/core/types.h"
#include "platforms/scenario.h"

namespace ivsim {

struct IvshmemBarValues {
  u32 bar0 = 0;  // 32-bit memory BAR value (address | flags)
  u32 bar1 = 0;
  u64 bar2 = 0;  // BAR3:BAR2 value (address | 64-bit | prefetchable)
};

class BarAllocator {
 public:
  static constexpr u64 kWindow32Start = 0x8000'0000ULL;     // 2 GiB
  static constexpr u64 kWindow32End = 0xE000'0000ULL;       // 3.5 GiB
  static constexpr u64 kWindow64Start = 0x40'0000'0000ULL;  // 256 GiB
  static constexpr u64 kWindow64End = 0x80'0000'0000ULL;    // 512 GiB
  // acrn-dm puts a 64-bit BAR of at most 32 MiB below 4 GiB (without OVMF).
  static constexpr u64 kDmLowBarLimit = 32 * kMiB;

  explicit BarAllocator(LoadOrder order) : order_(order) {}

  // Throws std::length_error when a window is exhausted.
  IvshmemBarValues allocate_ivshmem(u64 shm_size);

 private:
  u64 take(u64& next, u64 end, u64 size);

  LoadOrder order_;
  u64 next32_ = kWindow32Start;
  u64 next64_ = kWindow64Start;
};

}  // namespace ivsim
