#include "platforms/host_caches.h"

#include <algorithm>
#include <string>

#include "platforms/config_error.h"

namespace ivsim {

namespace {

[[noreturn]] void fail(const Board& b, const std::string& what) {
  throw ConfigError(SourceLocation{}, "caches", "board " + b.name + ": " + what);
}

std::vector<std::vector<CoreDistance>> distances(const Board& b, unsigned n) {
  std::vector<std::vector<CoreDistance>> d(n, std::vector<CoreDistance>(n, CoreDistance::cross_die));
  for (const auto& a : b.pcpus)
    for (const auto& c : b.pcpus) {
      if (a.die != c.die)
        d[a.id][c.id] = CoreDistance::cross_die;
      else if (a.core == c.core)
        d[a.id][c.id] = CoreDistance::smt_sibling;
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
  t.distance = distances(b, n);
  t.l1d.resize(n);
  t.l2.resize(n);

  unsigned llc_level = 0;
  for (const auto& c : b.caches)
    if (c.type != 2) llc_level = std::max(llc_level, c.level);
  if (llc_level < 3) fail(b, "no level-3 (last-level) cache");

  for (const auto& c : b.caches) {
    if (c.type == 2) continue;  // instruction caches: guests' data accesses never use them
    if (c.line_bytes != kCacheLineBytes)
      fail(b, "a level-" + std::to_string(c.level) + " cache has " + std::to_string(c.line_bytes) +
                  "-byte lines; the model uses 64-byte lines");
    if (c.ways == 0 || c.size_bytes == 0 || c.size_bytes % (u64{c.ways} * kCacheLineBytes) != 0)
      fail(b, "a level-" + std::to_string(c.level) + " cache of " + std::to_string(c.size_bytes) +
                  " bytes cannot have " + std::to_string(c.ways) + " ways");
    for (unsigned p : c.pcpus)
      if (!b.find_pcpu(p))
        fail(b, "a level-" + std::to_string(c.level) + " cache lists unknown pCPU " + std::to_string(p));
    const CacheGeometry g{c.size_bytes, c.ways};
    if (c.level == 1 || c.level == 2) {
      // SMT siblings sharing a core's cache get a copy each: the model keeps
      // private caches per pCPU and prices a sibling hand-off as c2c_smt.
      for (unsigned p : c.pcpus) (c.level == 1 ? t.l1d : t.l2)[p] = g;
    } else if (c.level == llc_level) {
      t.llc.push_back(SharedCacheConfig{g, c.inclusive, c.pcpus});
    }
  }
  for (const auto& p : b.pcpus) {
    const std::string who = "pCPU " + std::to_string(p.id);
    if (t.l1d[p.id].size_bytes == 0) fail(b, who + " has no level-1 data cache");
    if (t.l2[p.id].size_bytes == 0) fail(b, who + " has no level-2 cache");
    unsigned served = 0;
    for (const auto& l : t.llc) served += static_cast<unsigned>(std::count(l.cores.begin(), l.cores.end(), p.id));
    if (served != 1) fail(b, who + " is served by " + std::to_string(served) + " last-level caches, not one");
  }
  return t;
}

}  // namespace ivsim
