// What the cores share beyond their L2s, as the source of a request's
// variable latency: the LLC (its ring stops and slices) and the memory
// controller as queues other cores' requests occupy, and the DRAM's banks
// with their open rows and the periodic refresh that takes a rank away.
//
// Contention. Each queue serves one 64-byte request per service time (the
// resource's bandwidth, from the profile); an LLC is one such server per
// slice, its lines spread evenly over them by the slice hash. A request arriving finds the
// requests of the other cores that share it: their rate is measured over the
// latest window (one TLM quantum) every core has recorded, so the estimate is
// causal and independent of the order in which the kernel runs the cores.
// With ρ the resulting utilisation, the request finds n others ahead of it
// with P(n >= k) = ρ^k (an M/M/1 queue seen by a Poisson arrival) and waits
// for n - 1 whole services plus the residue of the one being served, drawn
// from the queue's own random stream: a busy neighbour raises the tail of a
// victim's latency, not only its mean.
//
// DRAM. Lines map to banks by the row-interleaved layout (consecutive rows'
// worth of lines in one bank, then the next bank). A bank keeps its last row
// open (open-page policy): the profile's DRAM latency is a random access's,
// which finds another row open (a conflict: precharge, activate, read); a
// hit in the open row saves tRP + tRCD, a bank closed by a refresh saves tRP.
// Every tREFI the rank refreshes for tRFC (all banks, JEDEC's REF command),
// at a phase drawn from the seed: a request arriving then waits for its end,
// and the requests it held are served one after another, one line time
// (the controller's peak rate) apart, each core in its turn of a round robin
// that moves on with every refresh. The turn depends on the core and the
// refresh alone, not on the order in which the model sees the requests, so
// cores held together resume at distinct times whatever the kernel's order;
// a slot is kept for every core, so the drain lasts up to cores x line time
// (12 ns for 8 cores at 41.6 GB/s, against tRFC's 350 ns).
//
// Plain C++, no SystemC; no allocation after construction.
#pragma once

#include <array>
#include <vector>

#include "models/core/noise_rng.h"
#include "models/core/timing.h"
#include "models/core/types.h"

namespace ivsim {

struct UncoreParams {
  bool contention = false;
  bool refresh = false;
  bool row_buffer = false;
  u64 seed = 1;
  TimePs window_ps = 1'000'000;  // the utilisation estimate's window (the run's quantum)
  TimePs llc_service_ps = 0;     // a 64-byte request's occupancy of one LLC slice
  unsigned llc_slices = 1;       // slices per LLC: a request occupies the one its line maps to
  TimePs mem_service_ps = 0;     // of the memory controller
  TimePs trefi_ps = 0;
  TimePs trfc_ps = 0;
  TimePs trcd_ps = 0;
  TimePs trp_ps = 0;
  unsigned banks = 16;
  u64 row_lines = 128;  // lines one activation opens
};

// The extra a request pays beyond its idle cost: waiting in a queue, and
// the DRAM's timing relative to the profile's random-access latency (may be
// negative: an open-row hit).
struct UncoreDelay {
  TimePs queue_ps = 0;
  i64 dram_ps = 0;
};

class Uncore {
 public:
  // cores: pCPU ids covered; llc_of[core]: which LLC serves it (-1: none).
  Uncore(const UncoreParams& p, const std::vector<int>& llc_of);

  bool enabled() const { return p_.contention || p_.refresh || p_.row_buffer; }
  // A request that missed the core's L2 and is served by its LLC (a hit, or
  // a transfer from another core the LLC's snoop filter forwards).
  UncoreDelay llc_request(unsigned core, TimePs now_ps);
  // A request served by memory (through the LLC, which it occupies too).
  UncoreDelay dram_request(unsigned core, u64 line, TimePs now_ps);
  // A Modified line written back to memory at now_ps, the write of the
  // core whose fill or request caused it (an eviction from the last level,
  // or a snoop's implicit write-back). Nobody waits for it: it adds to the
  // memory controller's load that the other cores' requests queue behind.
  // It leaves the banks' rows as they are: a controller buffers writes and
  // drains them in bursts, so as not to break the reads' row hits one by one
  // (the drain itself is not modelled). Draws nothing.
  void write_back(unsigned core, TimePs now_ps);
  // A cache flush's write-backs (WBINVD, or CLFLUSHOPT over a range): `lines`
  // lines the core writes to memory from from_ps to until_ps, the flush's
  // time. Their share of the controller's bandwidth over that time adds to
  // the utilisation the other cores' memory requests in it see (the
  // flush's own core excluded, as for its other requests). The latest
  // kFlushesKept are kept. Loosely timed: a request another core made ahead
  // in its quantum before the flush was seen does not see it.
  void flush_write_backs(unsigned core, TimePs from_ps, TimePs until_ps, u64 lines);

  // What one core's requests met: waits in a queue (the LLC's or the
  // memory controller's, each counted) and behind a refresh, and their time.
  struct CoreWaits {
    u64 queued = 0;
    TimePs queue_ps = 0;
    u64 refresh_waits = 0;
    TimePs refresh_ps = 0;
  };

  // For tests and reports.
  const CoreWaits& waits(unsigned core) const {
    static const CoreWaits none;
    return core < waits_.size() ? waits_[core] : none;
  }
  u64 refresh_waits() const { return refresh_waits_; }
  u64 row_hits() const { return row_hits_; }
  u64 row_conflicts() const { return row_conflicts_; }
  u64 queued() const { return queued_; }
  u64 write_backs() const { return write_backs_; }

 private:
  // One shared resource: requests per core in the current and the previous window.
  struct Queue {
    TimePs service_ps = 0;
    unsigned servers = 1;      // identical servers the requests spread over (LLC slices)
    u64 window = 0;            // index of the current window
    TimePs window_end_ps = 0;  // where it ends: (window + 1) * window_ps
    std::vector<u64> now;      // by core, in the current window
    std::vector<u64> prev;     // by core, in the window before it
    u64 now_total = 0;         // sums of the two, so a request costs O(1), not O(cores)
    u64 prev_total = 0;
    // By core: the utilisation its last request saw, and the others' count it came from.
    std::vector<u64> rho_others;
    std::vector<double> rho;
    NoiseRng rng;
  };
  // Counts the core's request in the queue's current window (moving the
  // windows on first); wait_in also draws what the request waits.
  void count_in(Queue& q, unsigned core, TimePs now_ps);
  TimePs wait_in(Queue& q, unsigned core, TimePs now_ps);
  // The memory utilisation other cores' flushes add at now_ps.
  double flush_load(unsigned core, TimePs now_ps) const;
  i64 dram_timing(unsigned core, u64 line, TimePs now_ps, TimePs& refresh_wait_ps);

  UncoreParams p_;
  std::vector<int> llc_of_;
  std::vector<Queue> llcs_;  // one per LLC
  Queue memory_;
  TimePs refresh_phase_ps_ = 0;
  std::vector<u64> open_row_;  // by bank; kNoRow when closed
  TimePs last_refresh_seen_ = 0;
  u64 refresh_waits_ = 0, row_hits_ = 0, row_conflicts_ = 0, queued_ = 0, write_backs_ = 0;
  std::vector<CoreWaits> waits_;  // by core
  struct Flush {
    TimePs from_ps = 0;
    TimePs until_ps = 0;
    unsigned core = 0;
    double load = 0;  // its share of the controller's bandwidth, at most 1
  };
  static constexpr unsigned kFlushesKept = 16;
  std::array<Flush, kFlushesKept> flushes_{};
  unsigned next_flush_ = 0;
  TimePs flushes_until_ps_ = 0;  // the latest end of them all
};

}  // namespace ivsim
