#include "platforms/host_caches.h"

#include <algorithm>
#include <string>

#include "platforms/config_error.h"

namespace ivsim {

namespace {

[[noreturn]] void fail(const Board& b, const std::string& what) {
  throw ConfigError(SourceLocation{}, "caches", "board " + b.name + ": " + what);
}

// Which L2 instance serves each pCPU id (-1: none).
std::vector<int> l2_of(const CacheTopology& t, unsigned n) {
  std::vector<int> of(n, -1);
  for (std::size_t i = 0; i < t.l2.size(); ++i)
    for (unsigned p : t.l2[i].cores) of[p] = static_cast<int>(i);
  return of;
}

std::vector<std::vector<CoreDistance>> distances(const Board& b, const CacheTopology& t, unsigned n) {
  const std::vector<int> l2 = l2_of(t, n);
  std::vector<std::vector<CoreDistance>> d(n, std::vector<CoreDistance>(n, CoreDistance::cross_die));
  for (const auto& a : b.pcpus)
    for (const auto& c : b.pcpus) {
      if (a.die != c.die)
        d[a.id][c.id] = CoreDistance::cross_die;
      else if (a.core == c.core)
        d[a.id][c.id] = CoreDistance::smt_sibling;
      else if (l2[a.id] >= 0 && l2[a.id] == l2[c.id])
        d[a.id][c.id] = CoreDistance::same_l2;
      else
        d[a.id][c.id] = CoreDistance::same_die;
    }
  return d;
}

}  // namespace

CacheTopology cache_topology(const Board& b) {
  unsigned n = 0;
  for (const auto& p : b.pcpus) n = std::max(n, p.id + 1);
  CacheTopology t;
  t.l1d.resize(n);

  // The highest level the board lists is the last level; a board whose L2 is
  // the highest (Atom parts without L3) has no LLC beyond the L2.
  unsigned last_level = 0;
  for (const auto& c : b.caches)
    if (c.type != 2) last_level = std::max(last_level, c.level);
  if (last_level < 2) fail(b, "no level-2 cache");

  for (const auto& c : b.caches) {
    if (c.type == 2) continue;  // instruction caches: guests' data accesses never use them
    if (c.line_bytes != kCacheLineBytes)
      fail(b, "a level-" + std::to_string(c.level) + " cache has " + std::to_string(c.line_bytes) +
                  "-byte lines; the model uses 64-byte lines");
    if (c.ways == 0 || c.size_bytes == 0 || c.size_bytes % (u64{c.ways} * kCacheLineBytes) != 0)
      fail(b, "a level-" + std::to_string(c.level) + " cache of " + std::to_string(c.size_bytes) +
                  " bytes cannot have " + std::to_string(c.ways) + " ways");
    if (c.pcpus.empty()) fail(b, "a level-" + std::to_string(c.level) + " cache serves no pCPU");
    for (unsigned p : c.pcpus)
      if (!b.find_pcpu(p))
        fail(b, "a level-" + std::to_string(c.level) + " cache lists unknown pCPU " + std::to_string(p));
    const CacheGeometry g{c.size_bytes, c.ways};
    if (c.level == 1) {
      // SMT siblings sharing a core's L1D get a copy each: the model keeps an
      // L1D per pCPU and prices a sibling hand-off as c2c_smt.
      for (unsigned p : c.pcpus) t.l1d[p] = g;
    } else if (c.level == 2) {
      t.l2.push_back(SharedCacheConfig{g, c.inclusive, c.pcpus, c.id, c.cat});
    } else if (c.level == last_level) {
      t.llc.push_back(SharedCacheConfig{g, c.inclusive, c.pcpus, c.id, c.cat});
    }
  }
  for (const auto& p : b.pcpus) {
    const std::string who = "pCPU " + std::to_string(p.id);
    if (t.l1d[p.id].size_bytes == 0) fail(b, who + " has no level-1 data cache");
    auto served = [&](const std::vector<SharedCacheConfig>& list) {
      unsigned k = 0;
      for (const auto& l : list) k += static_cast<unsigned>(std::count(l.cores.begin(), l.cores.end(), p.id));
      return k;
    };
    if (served(t.l2) != 1) fail(b, who + " is served by " + std::to_string(served(t.l2)) + " level-2 caches, not one");
    if (last_level > 2 && served(t.llc) != 1)
      fail(b, who + " is served by " + std::to_string(served(t.llc)) + " last-level caches, not one");
  }
  // The cores sharing an L2 reach memory through one LLC.
  for (const auto& l2 : t.l2)
    for (const auto& llc : t.llc) {
      const auto in = [&](unsigned p) { return std::count(llc.cores.begin(), llc.cores.end(), p) != 0; };
      if (std::any_of(l2.cores.begin(), l2.cores.end(), in) && !std::all_of(l2.cores.begin(), l2.cores.end(), in))
        fail(b, "a level-2 cache serves pCPUs behind different last-level caches");
    }
  t.distance = distances(b, t, n);
  return t;
}

}  // namespace ivsim
