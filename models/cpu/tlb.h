// The vCPU's translation cache: guest virtual page -> host page, with the DMI
// pointer and the coherence line states of that page cached beside it, so a
// hit needs no further lookup. Direct-mapped; flushed on INVEPT.
#pragma once

#include <vector>

#include "models/core/types.h"
#include "models/host/coherence_directory.h"

namespace ivsim {

struct TlbEntry {
  u64 vpn = ~u64{0};        // guest virtual page number (tag)
  u8* host_page = nullptr;  // DMI pointer to the host page
  LinePage* lines = nullptr;
  Hpa hpa_page = 0;
  bool writable = false;
  bool uncached = false;  // EPT memory type UC: every access goes to memory
};

class Tlb {
 public:
  explicit Tlb(unsigned entries) : entries_(round_pow2(entries)), mask_(entries_.size() - 1) {}

  TlbEntry* lookup(u64 vpn) {
    TlbEntry& e = entries_[vpn & mask_];
    return e.vpn == vpn ? &e : nullptr;
  }
  TlbEntry& slot(u64 vpn) { return entries_[vpn & mask_]; }
  void flush() {
    for (auto& e : entries_) e.vpn = ~u64{0};
    ++flushes_;
  }
  u64 flushes() const { return flushes_; }

 private:
  static std::size_t round_pow2(unsigned n) {
    std::size_t p = 1;
    while (p < n) p <<= 1;
    return p;
  }
  std::vector<TlbEntry> entries_;
  std::size_t mask_;
  u64 flushes_ = 0;
};

}  // namespace ivsim
