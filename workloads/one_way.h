// One-way latencies: from the moment a sender starts a message to the moment
// the receiving program has it. The sender stamps the message (as a guest
// would write its TSC into it); the twin carries the sender's breakdown of
// its part beside it, so the one-way latency's breakdown adds the sender's
// work (its writes, the doorbell's exit), the receiver's OS steps and its
// reads, and puts the rest (the transfer, the interrupt's delivery and
// wake-up) on `gap`.
#pragma once

#include <string>
#include <vector>

#include "models/core/metrics.h"
#include "workloads/guest_os.h"
#include "workloads/workload_kind.h"

namespace ivsim {

// The two halves of each message meet here, in whichever order the two
// vCPUs' threads report them; the latency is recorded once both are in.
class OneWayChannel {
 public:
  // Sender: message `seq` started at `start`; its notification ended at `notified`.
  void sent(u64 seq, const Timestamp& start, const Timestamp& notified);
  // Receiver: message `seq` is in hand at `end`, after `os` waited for it;
  // recorded into `m` (nullptr: not recorded, a warm-up message).
  void received(u64 seq, const GuestOs& os, const Timestamp& end, LatencyMetric* m, Component gap);

 private:
  // Each side's part of the breakdown, summed where it is known: the
  // sender's work from the start to its notification; the receiver's OS
  // steps before it woke and its work from then to the end.
  struct Half {
    bool sent = false, received = false;
    TimePs start_ps = 0, end_ps = 0;
    Breakdown sender, receiver;
    LatencyMetric* metric = nullptr;
    Component gap = Component::coherence;
  };
  struct Slot {
    u64 seq = 0;
    bool used = false;
    Half half;
  };
  // The slot of message `seq`, taken from the free ones if it has none yet.
  Slot& slot(u64 seq);
  // Records the message's latency once both halves are in, and frees its slot.
  void complete(Slot& s);
  // Messages with one half in: a few at a time (a ring's depth at most), so
  // a short list searched in place, its slots reused without allocating.
  std::vector<Slot> pending_;
};

// The channel a workload's roles share for one direction ("command",
// "response", "ring"...).
OneWayChannel& one_way_channel(const WorkloadContext& ctx, const std::string& direction);

// The component the unexplained part of a one-way latency goes to: the
// interrupt's delivery in doorbell mode, the line's transfer otherwise.
inline Component one_way_gap(NotifyMode m) { return m == NotifyMode::doorbell ? Component::irq : Component::coherence; }

}  // namespace ivsim
