// In-twin versions of the tools people run on real hardware, so the same
// measurement can be taken on both:
// - c2c_pingpong: one cache line bounced between two vCPUs (like
//   nviennot/core-to-core-latency): round trip = 2 x one-way;
// - pointer_chase: dependent loads over a random cycle of lines (like Intel
//   MLC idle latency), by working-set size;
// - vmexit: exit round trips (like kvm-unit-tests x86/vmexit): hypercall,
//   port I/O, MMIO served in the hypervisor or by the device model;
// - ipi_pingpong: virtual IPI there and back (like kvm-unit-tests ipi);
// - timer: TSC-deadline timer armed to expire at once (tscdeadline_immed);
// - memcpy_bandwidth: a single-core copy of a large buffer.
#pragma once

#include "workloads/guest_api.h"
#include "workloads/workload_kind.h"

namespace ivsim {

void c2c_ping(Guest& g, const WorkloadContext& ctx);
void c2c_pong(Guest& g, const WorkloadContext& ctx);
void pointer_chase(Guest& g, const WorkloadContext& ctx);
void vmexit_test(Guest& g, const WorkloadContext& ctx);
void ipi_ping(Guest& g, const WorkloadContext& ctx);
void ipi_pong(Guest& g, const WorkloadContext& ctx);
void timer_test(Guest& g, const WorkloadContext& ctx);
void memcpy_bandwidth(Guest& g, const WorkloadContext& ctx);

// Guest RAM the measurement tools use for their own data: from 16 MiB into
// the VM's RAM (VMs need at least that plus what the tool touches).
constexpr u64 kScratchOffset = 16 * kMiB;
inline Gpa scratch_gpa(const Guest& g) { return g.ram_base() + kScratchOffset; }

}  // namespace ivsim
