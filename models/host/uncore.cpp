#include "models/host/uncore.h"

#include <algorithm>
#include <cmath>

namespace ivsim {

namespace {
constexpr u64 kNoRow = ~u64{0};
constexpr double kMaxUtilisation = 0.95;  // an overloaded queue still drains: bound the draw
}  // namespace

Uncore::Uncore(const UncoreParams& p, const std::vector<int>& llc_of) : p_(p), llc_of_(llc_of) {
  int llcs = 0;
  for (int l : llc_of_) llcs = std::max(llcs, l + 1);
  const std::size_t cores = llc_of_.size();
  for (int i = 0; i < llcs; ++i) {
    Queue q;
    q.service_ps = p_.llc_service_ps;
    q.servers = std::max(1u, p_.llc_slices);
    q.now.assign(cores, 0);
    q.prev.assign(cores, 0);
    q.rho_others.assign(cores, 0);  // others == 0 never reaches the cache
    q.rho.assign(cores, 0.0);
    q.rng = NoiseRng(p_.seed, "contention.llc", static_cast<u64>(i));
    q.window_end_ps = p_.window_ps;
    llcs_.push_back(std::move(q));
  }
  memory_.service_ps = p_.mem_service_ps;
  memory_.now.assign(cores, 0);
  memory_.prev.assign(cores, 0);
  memory_.rho_others.assign(cores, 0);
  memory_.rho.assign(cores, 0.0);
  memory_.rng = NoiseRng(p_.seed, "contention.memory");
  memory_.window_end_ps = p_.window_ps;
  NoiseRng phase(p_.seed, "dram_refresh");
  refresh_phase_ps_ = p_.trefi_ps ? phase.below(p_.trefi_ps) : 0;
  open_row_.assign(std::max(1u, p_.banks), kNoRow);
  waits_.assign(cores, CoreWaits{});
}

void Uncore::count_in(Queue& q, unsigned core, TimePs now_ps) {
  // A later window: the current one becomes the previous (or both reset
  // after a gap). A core still behind in its quantum counts in the current
  // one. Most requests fall before the current window's end: no division.
  if (p_.window_ps && now_ps >= q.window_end_ps) {
    const u64 w = now_ps / p_.window_ps;
    if (w == q.window + 1) {
      q.prev.swap(q.now);
      q.prev_total = q.now_total;
    } else {
      std::fill(q.prev.begin(), q.prev.end(), 0);
      q.prev_total = 0;
    }
    std::fill(q.now.begin(), q.now.end(), 0);
    q.now_total = 0;
    q.window = w;
    q.window_end_ps = (w + 1) * p_.window_ps;
  }
  if (core < q.now.size()) {
    ++q.now[core];
    ++q.now_total;
  }
}

TimePs Uncore::wait_in(Queue& q, unsigned core, TimePs now_ps) {
  count_in(q, core, now_ps);
  if (!p_.contention || q.service_ps == 0 || p_.window_ps == 0) return 0;
  const u64 others = q.prev_total - (core < q.prev.size() ? q.prev[core] : 0);
  // Another core's flush writing back now: the memory controller serves it
  // too. Rare: tested after the common case's early return.
  const bool flush_due = __builtin_expect(now_ps < flushes_until_ps_, 0) && &q == &memory_;
  if (others == 0 && !flush_due) return 0;
  const double flushing = flush_due ? flush_load(core, now_ps) : 0.0;
  if (others == 0 && flushing == 0.0) return 0;
  // The others' requests spread over the servers; this one finds its own busy.
  // A function of `others` alone: each core keeps its last one, which holds
  // for the whole window: a floating-point division fewer per request.
  auto utilisation = [&] {
    return std::min(kMaxUtilisation, static_cast<double>(others) * static_cast<double>(q.service_ps) /
                                         (static_cast<double>(p_.window_ps) * q.servers));
  };
  double rho;
  if (core < q.rho.size()) {
    if (q.rho_others[core] != others) {
      q.rho_others[core] = others;
      q.rho[core] = utilisation();
    }
    rho = q.rho[core];
  } else {
    rho = utilisation();
  }
  if (flushing > 0.0) rho = std::min(kMaxUtilisation, rho + flushing);
  // n requests ahead, P(n >= k) = rho^k: the first draw decides whether any is.
  unsigned n = 0;
  while (n < 64 && q.rng.uniform() < rho) ++n;
  if (n == 0) return 0;
  ++queued_;
  const double residue = q.rng.uniform();
  const TimePs wait = static_cast<TimePs>((static_cast<double>(n - 1) + residue) * static_cast<double>(q.service_ps));
  if (core < waits_.size()) {
    ++waits_[core].queued;
    waits_[core].queue_ps += wait;
  }
  return wait;
}

i64 Uncore::dram_timing(unsigned core, u64 line, TimePs now_ps, TimePs& refresh_wait_ps) {
  refresh_wait_ps = 0;
  bool refreshed = false;
  if (p_.refresh && p_.trefi_ps > 0) {
    const TimePs t = now_ps + p_.trefi_ps - refresh_phase_ps_;
    const TimePs into = t % p_.trefi_ps;
    const TimePs period = t / p_.trefi_ps;
    if (into < p_.trfc_ps) {
      // Held until the refresh ends, then served in its turn: the requests
      // one refresh holds leave one line time apart, in a round-robin order
      // over the cores that moves on with every refresh.
      const u64 cores = std::max<u64>(1, llc_of_.size());
      const u64 turn = (core + period) % cores;
      refresh_wait_ps = p_.trfc_ps - into + turn * p_.mem_service_ps;
      ++refresh_waits_;
      if (core < waits_.size()) {
        ++waits_[core].refresh_waits;
        waits_[core].refresh_ps += refresh_wait_ps;
      }
    }
    // A refresh since the last request closed every bank (REF needs them precharged).
    if (period != last_refresh_seen_) {
      refreshed = true;
      last_refresh_seen_ = period;
    }
  }
  if (!p_.row_buffer) return 0;
  if (refreshed) std::fill(open_row_.begin(), open_row_.end(), kNoRow);
  const u64 row_lines = std::max<u64>(1, p_.row_lines);
  const u64 chunk = line / row_lines;  // one row's worth of lines
  const unsigned bank = static_cast<unsigned>(chunk % open_row_.size());
  const u64 row = chunk / open_row_.size();
  u64& open = open_row_[bank];
  i64 d = 0;
  if (open == row) {
    ++row_hits_;
    d = -static_cast<i64>(p_.trp_ps + p_.trcd_ps);
  } else if (open == kNoRow) {
    d = -static_cast<i64>(p_.trp_ps);
  } else {
    ++row_conflicts_;
  }
  open = row;
  return d;
}

UncoreDelay Uncore::llc_request(unsigned core, TimePs now_ps) {
  UncoreDelay d;
  const int l = core < llc_of_.size() ? llc_of_[core] : -1;
  if (l >= 0) d.queue_ps = wait_in(llcs_[static_cast<unsigned>(l)], core, now_ps);
  return d;
}

UncoreDelay Uncore::dram_request(unsigned core, u64 line, TimePs now_ps) {
  UncoreDelay d = llc_request(core, now_ps);
  d.queue_ps += wait_in(memory_, core, now_ps + d.queue_ps);
  TimePs refresh_wait = 0;
  d.dram_ps = dram_timing(core, line, now_ps + d.queue_ps, refresh_wait);
  d.dram_ps += static_cast<i64>(refresh_wait);
  return d;
}

void Uncore::write_back(unsigned core, TimePs now_ps) {
  ++write_backs_;
  count_in(memory_, core, now_ps);
}

void Uncore::flush_write_backs(unsigned core, TimePs from_ps, TimePs until_ps, u64 lines) {
  write_backs_ += lines;
  if (lines == 0 || until_ps <= from_ps || p_.mem_service_ps == 0) return;
  const double load =
      static_cast<double>(lines) * static_cast<double>(p_.mem_service_ps) / static_cast<double>(until_ps - from_ps);
  flushes_[next_flush_] = {from_ps, until_ps, core, std::min(1.0, load)};
  next_flush_ = (next_flush_ + 1) % kFlushesKept;
  flushes_until_ps_ = std::max(flushes_until_ps_, until_ps);
}

[[gnu::cold]] double Uncore::flush_load(unsigned core, TimePs now_ps) const {
  double load = 0;
  for (const Flush& f : flushes_)
    if (f.core != core && now_ps >= f.from_ps && now_ps < f.until_ps) load += f.load;
  return load;
}

}  // namespace ivsim
