// The board's caches and processor topology as the coherence directory
// needs them: each pCPU's L1D, the L2s with the pCPUs sharing each, the
// last-level caches (the highest level the board lists, when above 2) with
// the pCPUs sharing each, and the distance between any two pCPUs (SMT
// siblings, sharing an L2, same die, different dies or sockets).
#pragma once

#include "models/host/cache_topology.h"
#include "platforms/board.h"

namespace ivsim {

// Throws ConfigError (field "caches") when the board's caches do not give
// every pCPU an L1D, one L2 and (when the board has caches above L2) one LLC
// of 64-byte lines.
CacheTopology cache_topology(const Board& board);

}  // namespace ivsim
