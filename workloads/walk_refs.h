// The in-twin page-walk tool: random loads over a working set of guest RAM,
// counting what the vCPU's PMU saw (dTLB misses, STLB hits, walks, walk
// references), so that walk_refs / walks is the average number of memory
// references per 2-D walk for the VM's guest and EPT page sizes.
#pragma once

#include "workloads/workload_kind.h"

namespace ivsim {

void walk_refs_walker(Guest& guest, const WorkloadContext& ctx);

}  // namespace ivsim
