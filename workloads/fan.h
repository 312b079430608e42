// The fanout (one producer, N consumers) and fanin (N producers, one
// collector) workloads on one region.
#pragma once

#include "workloads/workload_kind.h"

namespace ivsim {

constexpr unsigned kFanMaxPeers = 4;  // consumer1..4 / producer1..4

void fanout_producer(Guest& guest, const WorkloadContext& ctx);
void fanout_consumer(Guest& guest, const WorkloadContext& ctx);
u64 fanout_region_bytes(u64 slot_bytes, u64 depth);

void fanin_producer(Guest& guest, const WorkloadContext& ctx);
void fanin_collector(Guest& guest, const WorkloadContext& ctx);
u64 fanin_region_bytes(u64 slot_bytes, u64 depth);

}  // namespace ivsim
