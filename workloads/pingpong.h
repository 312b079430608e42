// The request/response ping-pong through one IVSHMEM region.
#pragma once

#include "workloads/workload_kind.h"

namespace ivsim {

void pingpong_initiator(Guest& guest, const WorkloadContext& ctx);
void pingpong_responder(Guest& guest, const WorkloadContext& ctx);

// Bytes of the region the ping-pong needs for messages of this size: the
// flags' lines, then the command (the response follows it where the region
// has room, else overwrites it).
u64 pingpong_region_bytes(u64 message_bytes);

}  // namespace ivsim
