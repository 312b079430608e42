// Host physical memory: sparse, a 4 KiB page is allocated (zero-filled) the
// first time anything touches it, so eight 512 MiB regions cost only what
// the guests actually use.
#pragma once

#include <array>
#include <cstring>
#include <vector>

#include "models/core/chunk_arena.h"
#include "models/core/page_radix.h"
#include "models/core/types.h"

namespace ivsim {

class HostMemory {
 public:
  struct alignas(64) Page {
    u8 bytes[kPageSize4K];
  };

  // addr_bits: host physical address width (the board's physical_address_bits).
  explicit HostMemory(unsigned addr_bits = 39);
  ~HostMemory();
  HostMemory(const HostMemory&) = delete;
  HostMemory& operator=(const HostMemory&) = delete;

  u64 size_bytes() const { return u64{1} << addr_bits_; }
  unsigned addr_bits() const { return addr_bits_; }
  bool contains(Hpa hpa, u64 len = 1) const { return hpa < size_bytes() && len <= size_bytes() - hpa; }

  // Host pointer to the page holding hpa; allocates it on first touch.
  // This is the DMI pointer the vCPUs cache in their TLBs.
  u8* page(Hpa hpa);
  // nullptr when the page was never touched (reads as zero).
  const u8* page_if_present(Hpa hpa) const;

  // Byte copies that may cross pages (used by walkers, the hypervisor, tests).
  void read(Hpa hpa, void* dst, u64 len) const;
  void write(Hpa hpa, const void* src, u64 len);

  u64 read_u64(Hpa hpa) const {
    u64 v;
    read(hpa, &v, sizeof v);
    return v;
  }
  void write_u64(Hpa hpa, u64 v) { write(hpa, &v, sizeof v); }

  u64 resident_pages() const { return resident_pages_; }

 private:

  Page* lookup(Hpa hpa) const;

  unsigned addr_bits_;
  PageRadix<Page> pages_;
  // In the process's page slots (2 MiB chunks: one fault per chunk, not per
  // page), given back when the memory goes.
  std::vector<Page*> owned_;
  u64 resident_pages_ = 0;
};

}  // namespace ivsim
