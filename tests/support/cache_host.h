// A host's cache hierarchy without the rest of the platform, for tests of
// the coherence directory: a shipped or hand-made board, its profile's
// timing, and one access as the vCPU makes it.
#pragma once

#include <memory>
#include <string>

#include "models/host/coherence_directory.h"
#include "platforms/board.h"
#include "platforms/host_caches.h"
#include "platforms/timing_profile.h"

namespace ivsim::test {

struct Host {
  Board board;
  TimingParams timing;
  std::unique_ptr<CoherenceDirectory> dir;

  explicit Host(const std::string& name) : board(load_board(name, {})) {
    timing = resolve_timing(load_timing_profile(board.timing_profile, {}));
    dir = std::make_unique<CoherenceDirectory>(timing, cache_topology(board));
  }
  explicit Host(Board b, const std::string& profile) : board(std::move(b)) {
    timing = resolve_timing(load_timing_profile(profile, {}));
    dir = std::make_unique<CoherenceDirectory>(timing, cache_topology(board));
  }

  // One access as the vCPU makes it: the inline L1D test first, then the directory.
  AccessCost access(Hpa a, unsigned core, bool write = false, TimePs now_ps = 0) {
    LineState& l = dir->line(a);
    if (CoherenceDirectory::hits(l, core, write)) {
      if (write) l.modified_by = static_cast<u8>(core + 1);
      return {timing.l1_hit_ps, Component::cache, false};
    }
    return write ? dir->store(l, core, now_ps) : dir->load(l, core, now_ps);
  }
  TimePs c2c(CoreDistance d) const { return timing.c2c_ps[static_cast<unsigned>(d)]; }
  u64 cache_bytes(unsigned level) const {
    for (const auto& c : board.caches)
      if (c.level == level && c.type != 2) return c.size_bytes;
    return 0;
  }
};

constexpr Hpa kBase = 0x1'0000'0000ULL;  // 4 GiB: clear of everything else in these tests

// Two pCPUs with a private L2 each and four sharing one L2 (an E-core
// cluster or Atom module), all behind one L3 unless `l3` is false.
inline Board cluster_board(bool l3) {
  Board b;
  b.name = "cluster";
  for (unsigned p = 0; p < 6; ++p) b.pcpus.push_back({p, 0, p, 2 * p, "", 2 * p});
  for (unsigned p = 0; p < 6; ++p) b.caches.push_back({1, 1, 32 * 1024, 8, 64, false, {p}, 0, {}});
  b.caches.push_back({2, 3, 256 * 1024, 4, 64, false, {0}, 0, {}});
  b.caches.push_back({2, 3, 256 * 1024, 4, 64, false, {1}, 0, {}});
  b.caches.push_back({2, 3, 2 * 1024 * 1024, 16, 64, false, {2, 3, 4, 5}, 0, {}});
  if (l3) b.caches.push_back({3, 3, 8 * 1024 * 1024, 16, 64, false, {0, 1, 2, 3, 4, 5}, 0, {}});
  return b;
}

}  // namespace ivsim::test
