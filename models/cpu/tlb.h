// The vCPU's host-side copy of its L1 dTLB: guest virtual 4 KiB page -> host
// page, with the DMI pointer and the coherence line states of that page
// cached beside it, so a hit needs no further lookup. Direct-mapped.
//
// It only ever holds pages the modelled dTLB (models/cpu/mmu.h) holds: an
// entry is filled from a dTLB hit or fill, and dropped when the dTLB evicts
// the entry covering it, on a CR3 write and on INVEPT. So a hit here is a
// dTLB hit, which costs nothing beyond the access itself; its size only
// decides how often the simulator takes the slow path, never simulated time.
#pragma once

#include <vector>

#include "models/core/types.h"
#include "models/host/coherence_directory.h"

namespace ivsim {

// Host-side entries: enough that a working set the dTLB covers with large
// pages rarely conflicts here (a simulator-speed knob, not a model parameter).
constexpr unsigned kHostTlbEntries = 512;

struct TlbEntry {
  u64 vpn = ~u64{0};        // guest virtual page number (tag)
  u8* host_page = nullptr;  // DMI pointer to the host page
  LinePage* lines = nullptr;
  Hpa hpa_page = 0;
  // kWritable, kUncached (memory type UC or WC, models/cpu/memory_type.h:
  // every access goes to memory), and no other bits: the store fast path
  // tests both in one comparison (cached_writable).
  static constexpr u8 kWritable = 1, kUncached = 2;
  u8 flags = 0;
  bool writable() const { return (flags & kWritable) != 0; }
  bool uncached() const { return (flags & kUncached) != 0; }
  bool cached_writable() const { return flags == kWritable; }
  void set_access(bool writable, bool uncached) {
    flags = static_cast<u8>((writable ? kWritable : 0) | (uncached ? kUncached : 0));
  }
};

class Tlb {
 public:
  explicit Tlb(unsigned entries) : entries_(round_pow2(entries)), mask_(entries_.size() - 1) {}

  TlbEntry* lookup(u64 vpn) {
    TlbEntry& e = entries_[vpn & mask_];
    return e.vpn == vpn ? &e : nullptr;
  }
  TlbEntry& slot(u64 vpn) { return entries_[vpn & mask_]; }
  // Drops the entries of guest virtual pages [vpn, vpn + pages).
  void invalidate(u64 vpn, u64 pages) {
    if (pages >= entries_.size()) {
      for (auto& e : entries_)
        if (e.vpn - vpn < pages) e.vpn = ~u64{0};
      return;
    }
    for (u64 p = vpn; p < vpn + pages; ++p) {
      TlbEntry& e = slot(p);
      if (e.vpn == p) e.vpn = ~u64{0};
    }
  }
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
