// The request/response ping-pong through one IVSHMEM region.
#pragma once

#include "workloads/workload_kind.h"

namespace ivsim {

void pingpong_initiator(Guest& guest, const WorkloadContext& ctx);
void pingpong_responder(Guest& guest, const WorkloadContext& ctx);

}  // namespace ivsim
