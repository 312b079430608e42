#include "models/host/host_memory.h"

#include <algorithm>
#include <stdexcept>

namespace ivsim {

HostMemory::HostMemory(unsigned addr_bits) : addr_bits_(addr_bits) {
  if (addr_bits < 30 || addr_bits > 52) throw std::invalid_argument("host physical address bits out of range");
}

HostMemory::~HostMemory() {
  for (Page* p : owned_) page_slots().release(p);
}

HostMemory::Page* HostMemory::lookup(Hpa hpa) const {
  return pages_.find(hpa);
}

u8* HostMemory::page(Hpa hpa) {
  if (hpa >= size_bytes()) throw std::out_of_range("host physical address beyond the board's address width");
  Page*& p = pages_.slot(hpa);
  if (!p) {
    static_assert(sizeof(Page) == kPageSize4K && alignof(Page) == kCacheLineBytes, "a page slot");
    p = new (page_slots().allocate()) Page;  // zero-filled
    owned_.push_back(p);
    ++resident_pages_;
  }
  return p->bytes;
}

const u8* HostMemory::page_if_present(Hpa hpa) const {
  const Page* p = lookup(hpa);
  return p ? p->bytes : nullptr;
}

void HostMemory::read(Hpa hpa, void* dst, u64 len) const {
  auto* out = static_cast<u8*>(dst);
  while (len > 0) {
    const u64 n = std::min(len, kPageSize4K - page_offset(hpa));
    if (const Page* p = lookup(hpa)) {
      std::memcpy(out, p->bytes + page_offset(hpa), n);
    } else {
      std::memset(out, 0, n);
    }
    out += n;
    hpa += n;
    len -= n;
  }
}

void HostMemory::write(Hpa hpa, const void* src, u64 len) {
  const auto* in = static_cast<const u8*>(src);
  while (len > 0) {
    const u64 n = std::min(len, kPageSize4K - page_offset(hpa));
    std::memcpy(page(hpa) + page_offset(hpa), in, n);
    in += n;
    hpa += n;
    len -= n;
  }
}

}  // namespace ivsim
