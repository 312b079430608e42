// What the host's memory hierarchy is made of, as the board describes it:
// each pCPU's private L1D, the L2s with the pCPUs that share each (one core,
// SMT siblings, or an Atom module / E-core cluster of four), the last-level
// caches beyond the L2 with the pCPUs each serves (none when the L2 is the
// last level), and the topology distance between any two pCPUs. The platform
// builds it from the board file's <caches> and <processors>; the coherence
// directory instantiates the caches from it.
#pragma once

#include <vector>

#include "models/core/timing.h"
#include "models/core/types.h"

namespace ivsim {

struct CacheGeometry {
  u64 size_bytes = 0;  // 0: the pCPU does not exist (a gap in the pCPU ids)
  unsigned ways = 0;
};

struct SharedCacheConfig {
  CacheGeometry geometry;
  // Inclusive of the cores' private caches (CPUID leaf 4's "cache
  // inclusiveness", which ACRN's board inspector records): evicting a line
  // from it invalidates the line in every core it serves. Read for LLCs; an
  // L2 is modelled inclusive of its cores' L1Ds.
  bool inclusive = false;
  std::vector<unsigned> cores;  // pCPU ids it serves
};

struct CacheTopology {
  std::vector<std::vector<CoreDistance>> distance;  // [a][b] by pCPU id; one row per id
  std::vector<CacheGeometry> l1d;                   // by pCPU id; SMT siblings get a copy each
  std::vector<SharedCacheConfig> l2;                // one per L2 instance
  std::vector<SharedCacheConfig> llc;               // one per LLC instance; empty: the L2 is the last level
};

}  // namespace ivsim
