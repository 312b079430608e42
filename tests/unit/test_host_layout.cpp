// Where the twin puts each VM's RAM in host memory (plan_host_layout): a
// User VM's RAM below and above 4 GiB are two ranges of Service VM memory,
// as acrn-dm maps them, and neither lies in the PCI hole below 4 GiB, which
// is never Service VM memory (prepare_service_vm_memmap).
#include <catch2/catch.hpp>

#include "models/hv/hypervisor.h"
#include "models/hv/vm.h"
#include "platforms/board.h"
#include "platforms/host_layout.h"
#include "platforms/config_error.h"
#include "sim/scenario_loader.h"

using namespace ivsim;

namespace {

Scenario scenario(unsigned post_mib) {
  const std::string yaml = R"(name: layout
board: cfl-k700-i7
vms:
  - { id: 0, name: RT_VM, load_order: PRE_LAUNCHED_VM, vm_type: RTVM, cpu_affinity: [7], memory_mib: 1024, lapic_passthrough: true }
  - { id: 1, name: Service_VM, load_order: SERVICE_VM, cpu_affinity: [0], memory_mib: 1024 }
  - { id: 2, name: POST, load_order: POST_LAUNCHED_VM, cpu_affinity: [2], memory_mib: )" +
                           std::to_string(post_mib) + R"( }
ivshmem:
  - { name: r, provider: Hypervisor, size_mib: 2, members: [ { vm: RT_VM }, { vm: POST } ] }
)";
  return load_scenario_text(yaml, "layout.yaml", {});
}

bool in_hole(Hpa base, u64 bytes) { return base < 4 * kGiB && base + bytes > Hypervisor::kEcamBase; }

}  // namespace

TEST_CASE("a User VM's RAM below and above 4 GiB: two host ranges, neither in the PCI hole below 4 GiB") {
  Board board = load_board("cfl-k700-i7", SourceLocation{});
  for (const u64 ram_mib : {7820u, 5800u, 31954u}) {
    board.ram_mib = ram_mib;
    for (const unsigned post_mib : {1024u, 2048u, 3072u, 4096u}) {
      INFO(ram_mib << " MiB of host RAM, " << post_mib << " MiB User VM");
      const HostLayout l = plan_host_layout(scenario(post_mib), board);
      const u64 bytes = u64{post_mib} * kMiB, low = std::min(bytes, kLowRamLimit);
      CHECK_FALSE(in_hole(l.vm_ram.at(2), low));
      if (bytes > low) {
        CHECK_FALSE(in_hole(l.vm_ram_high.at(2), bytes - low));
        // The two ranges do not overlap.
        CHECK((l.vm_ram_high.at(2) >= l.vm_ram.at(2) + low || l.vm_ram_high.at(2) + (bytes - low) <= l.vm_ram.at(2)));
      }
      if (!l.overcommitted_mib) {
        // From the top down below the hv-land reservation, above the Service VM's own memory.
        CHECK(std::max(l.vm_ram.at(2) + low, l.vm_ram_high.at(2) + (bytes - low)) <= l.ivshmem_base);
        CHECK(std::min(l.vm_ram.at(2), l.vm_ram_high.at(2)) >= l.vm_ram.at(1) + 1024 * kMiB);
      }
    }
  }
}

TEST_CASE("without the PCI hole in the way a User VM's RAM is one range, high part right above the low") {
  Board board = load_board("cfl-k700-i7", SourceLocation{});
  const HostLayout l = plan_host_layout(scenario(4096), board);
  CHECK(l.overcommitted_mib == 0);
  CHECK(l.vm_ram_high.at(2) == l.vm_ram.at(2) + kLowRamLimit);
}
