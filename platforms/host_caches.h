// The board's caches and processor topology as the coherence directory
// needs them: each pCPU's L1D and L2, the last-level caches (the highest
// level the board lists) with the pCPUs sharing each, and the distance
// between any two pCPUs (SMT siblings, same die, different dies or sockets).
#pragma once

#include "models/host/cache_topology.h"
#include "platforms/board.h"

namespace ivsim {

// Throws ConfigError (field "caches") when the board's caches do not give
// every pCPU an L1D, an L2 and one LLC of 64-byte lines.
CacheTopology cache_topology(const Board& board);

}  // namespace ivsim
