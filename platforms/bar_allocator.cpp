#include "platforms/bar_allocator.h"

#include <stdexcept>

namespace ivsim {

namespace {
constexpr u64 kMem64 = 0x4;          // memory BAR, 64-bit
constexpr u64 kMem64Prefetch = 0xC;  // memory BAR, 64-bit, prefetchable
}  // namespace

u64 BarAllocator::take(u64& next, u64 end, u64 size) {
  // Each BAR is naturally aligned; sizes below a page get a page.
  const u64 bytes = size < kPageSize4K ? kPageSize4K : size;
  const u64 base = round_up(next, bytes);
  if (base + bytes > end) throw std::length_error("PCI MMIO window exhausted");
  next = base + bytes;
  return base;
}

IvshmemBarValues BarAllocator::allocate_ivshmem(u64 shm_size) {
  IvshmemBarValues v;
  v.bar0 = static_cast<u32>(take(next32_, kWindow32End, 256));
  v.bar1 = static_cast<u32>(take(next32_, kWindow32End, kPageSize4K));
  const bool low = order_ == LoadOrder::post_launched && shm_size <= kDmLowBarLimit;
  const u64 base = low ? take(next32_, kWindow32End, shm_size) : take(next64_, kWindow64End, shm_size);
  // pci_emul_alloc_pbar: below 4 GiB a 64-bit BAR is not prefetchable.
  v.bar2 = base | (low ? kMem64 : kMem64Prefetch);
  return v;
}

}  // namespace ivsim
