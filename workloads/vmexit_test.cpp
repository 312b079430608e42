#include <stdexcept>

#include "models/core/metrics.h"
#include "models/hv/hypercall_abi.h"
#include "workloads/guest_api.h"
#include "workloads/ivshmem_driver.h"
#include "workloads/measurements.h"

namespace ivsim {

void vmexit_test(Guest& g, const WorkloadContext& ctx) {
  const std::string& kind = ctx.param_string("exit");
  const u64 iterations = static_cast<u64>(ctx.param_int("iterations"));
  Gpa regs = 0;
  if (kind == "mmio") {
    // IVPosition of the region's device: emulated in the hypervisor for
    // hv-land, by the Service VM's device model for dm-land.
    const auto dev = ivshmem_probe(g, ctx.ivshmem_bdf);
    if (!dev) throw std::runtime_error("no IVSHMEM device at " + ctx.ivshmem_bdf.to_string());
    regs = dev->regs;
  }
  LatencyMetric& m = ctx.metrics->metric(kind);
  for (u64 i = 0; i <= iterations; ++i) {
    const Timestamp start = g.timestamp();
    if (kind == "hypercall")
      // The lightest call that succeeds (its version into the guest's
      // scratch page): one that fails is logged (vmcall_vmexit_handler's
      // pr_err), which a debug build writes to its serial console.
      g.hypercall(hc::kGetApiVersion, scratch_gpa(g));
    else if (kind == "pio")
      g.inl(0xCF8);
    else
      g.load<u32>(regs + 0x08);
    if (i > 0) m.record(start, g.timestamp());  // the first one warms the walk
  }
}

}  // namespace ivsim
