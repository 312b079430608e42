// The noisy neighbour and the attacker workloads.
#pragma once

#include "workloads/workload_kind.h"

namespace ivsim {

void noisy_neighbour(Guest& guest, const WorkloadContext& ctx);
void attacker(Guest& guest, const WorkloadContext& ctx);

}  // namespace ivsim
