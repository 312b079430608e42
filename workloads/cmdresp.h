// The HMI <-> RT command/response workload with think times and a deadline.
#pragma once

#include "workloads/workload_kind.h"

namespace ivsim {

void cmdresp_hmi(Guest& guest, const WorkloadContext& ctx);
void cmdresp_rt(Guest& guest, const WorkloadContext& ctx);
u64 cmdresp_region_bytes(u64 command_bytes, u64 response_bytes);

}  // namespace ivsim
