// A guest kernel spinlock, as Linux's raw spinlocks work: LOCK CMPXCHG takes
// it, a vCPU that finds it held spins on its line (asleep on the line in the
// twin, models/cpu/line_watchers.h), a plain store releases it.
#pragma once

#include "workloads/guest_api.h"

namespace ivsim {

class GuestSpinlock {
 public:
  GuestSpinlock(Guest& g, Gva word) : g_(g), word_(word) {
    while (g_.cmpxchg32(word_, 0, 1) != 0) g_.wait_until(word_, 4, Cmp::eq, 0);
  }
  ~GuestSpinlock() { g_.store<u32>(word_, 0); }
  GuestSpinlock(const GuestSpinlock&) = delete;
  GuestSpinlock& operator=(const GuestSpinlock&) = delete;

 private:
  Guest& g_;
  Gva word_;
};

// Where the guest kernel keeps pci_config_lock: the second line of its
// kernel page (the first is the boot mailbox, workloads/guest_paging.h).
inline Gva pci_config_lock_word(const Guest& g) { return g.kernel_page() + kCacheLineBytes; }

}  // namespace ivsim
