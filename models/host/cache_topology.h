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

// Intel Cache Allocation Technology on a cache, as CPUID leaf 0x10 reports it
// and ACRN's board inspector records it (<capability id="CAT"> with
// capacity_mask_length and clos_number, and <capability id="CDP"/>).
struct CatCapability {
  unsigned capacity_mask_length = 0;  // bits of a capacity bitmask (CBM); 0: no CAT
  unsigned clos_number = 0;           // classes of service (IA32_L2_MASK_n / IA32_L3_MASK_n registers)
  bool cdp = false;                   // Code and Data Prioritization: separate code and data masks

  bool present() const { return capacity_mask_length != 0; }
};

struct SharedCacheConfig {
  CacheGeometry geometry;
  // Inclusive of the cores' private caches (CPUID leaf 4's "cache
  // inclusiveness", which ACRN's board inspector records): evicting a line
  // from it invalidates the line in every core it serves. Read for LLCs; an
  // L2 is modelled inclusive of its cores' L1Ds.
  bool inclusive = false;
  std::vector<unsigned> cores;  // pCPU ids it serves
  unsigned id = 0;              // the board file's cache id (ACRN's CACHE_ID): APIC ID >> sharing bits
  CatCapability cat;
};

struct CacheTopology {
  std::vector<std::vector<CoreDistance>> distance;  // [a][b] by pCPU id; one row per id
  std::vector<CacheGeometry> l1d;                   // by pCPU id; SMT siblings get a copy each
  std::vector<SharedCacheConfig> l2;                // one per L2 instance
  std::vector<SharedCacheConfig> llc;               // one per LLC instance; empty: the L2 is the last level
};

}  // namespace ivsim
