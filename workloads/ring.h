// The ring and bulk workloads: streams through an SPSC ring in the region.
#pragma once

#include "workloads/workload_kind.h"

namespace ivsim {

void ring_producer(Guest& guest, const WorkloadContext& ctx);
void ring_consumer(Guest& guest, const WorkloadContext& ctx);
// Bytes of the region a ring of `depth` slots of `slot_bytes` needs.
u64 ring_region_bytes(u64 slot_bytes, u64 depth);

void bulk_sender(Guest& guest, const WorkloadContext& ctx);
void bulk_receiver(Guest& guest, const WorkloadContext& ctx);
// Slots of block_bytes each direction's ring gets in a region of region_bytes (0: not even one).
u64 bulk_depth(u64 block_bytes, u64 region_bytes);

}  // namespace ivsim
