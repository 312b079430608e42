// What each pCPU of a board costs with a timing profile: its core type's
// TimingParams, and the one-way core-to-core transfer between any two pCPUs,
// priced by their distance and, on one die, by the core types of both ends
// (a hybrid part's Core-Core, Core-Atom and Atom-Atom figures).
#pragma once

#include "models/core/timing.h"
#include "models/host/cache_topology.h"
#include "platforms/board.h"
#include "platforms/timing_profile.h"

namespace ivsim {

HostTiming host_timing(const TimingProfile& profile, const Board& board, const CacheTopology& topology);

}  // namespace ivsim
