// Where simulated time goes: every cost a model charges names its component,
// and every latency in a report carries the sum per component.
#pragma once

#include <array>
#include <cstddef>

#include "models/core/types.h"

namespace ivsim {

enum class Component : u8 {
  compute,    // guest work between memory accesses
  tlb,        // TLB lookups beyond the first-level hit
  walk,       // page-walk memory references (guest and EPT)
  cache,      // hits in the core's own caches or the shared LLC
  coherence,  // transfers and invalidations between cores
  dram,       // misses to memory
  exit,       // VM exit and VM entry (world switch)
  hv,         // work done by the hypervisor in root mode
  dm,         // work done by the Service VM's device model
  irq,        // interrupt delivery and guest ISR entry
  // The guest OS's own notification steps (workloads/guest_os.h):
  driver,   // the guest driver's interrupt handler (Zephyr ISR, uio handler, Windows ISR and DPC)
  wakeup,   // the guest scheduler waking the blocked thread and switching to it
  syscall,  // system calls on the notification path (epoll_wait, read, DeviceIoControl)
  timer,    // waiting for a polling timer's next expiry (timerfd)
  queue,    // waiting for the LLC or the memory controller, busy with other cores' requests (models/host/uncore.h)
  count
};

constexpr std::size_t kComponentCount = static_cast<std::size_t>(Component::count);

constexpr const char* component_name(Component c) {
  constexpr const char* names[] = {"compute", "tlb", "walk", "cache",  "coherence", "dram",    "exit",
                                   "hv",      "dm",  "irq",  "driver", "wakeup",    "syscall", "timer", "queue"};
  return names[static_cast<std::size_t>(c)];
}

struct Breakdown {
  std::array<TimePs, kComponentCount> ps{};

  void add(Component c, TimePs t) { ps[static_cast<std::size_t>(c)] += t; }
  TimePs get(Component c) const { return ps[static_cast<std::size_t>(c)]; }
  TimePs total() const {
    TimePs t = 0;
    for (TimePs v : ps) t += v;
    return t;
  }
  Breakdown& operator+=(const Breakdown& o) {
    for (std::size_t i = 0; i < kComponentCount; ++i) ps[i] += o.ps[i];
    return *this;
  }
  friend Breakdown operator-(Breakdown a, const Breakdown& b) {
    for (std::size_t i = 0; i < kComponentCount; ++i) a.ps[i] -= b.ps[i];
    return a;
  }
};

// Splits `amount` over the components in proportion to `weights`, exactly
// (largest remainder), so a breakdown still sums to its interval; with no
// weights at all, everything goes to coherence.
Breakdown apportion(TimePs amount, const Breakdown& weights);
// to += apportion(amount, weights), without the temporary.
void apportion_add(Breakdown& to, TimePs amount, const Breakdown& weights);

}  // namespace ivsim
