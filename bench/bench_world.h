// A platform for benchmarks: two VMs sharing one hv-land region, with the
// region's BAR programmed, so accesses go through the real vCPU path.
#pragma once

#define SC_INCLUDE_DYNAMIC_PROCESSES  // sc_spawn
#include <systemc>
#include <tlm>

#include "platforms/board.h"
#include "platforms/platform.h"
#include "platforms/timing_profile.h"
#include "workloads/ivshmem_driver.h"

namespace ivsim::bench {

struct World {
  Scenario scenario;
  Board board;
  TimingProfile profile;
  TimingParams timing;
  std::unique_ptr<Platform> platform;
  Vcpu* cpu = nullptr;
  Gpa shm = 0;

  World() {
    scenario.name = "bench";
    scenario.board = "cfl-k700-i7";
    scenario.vms = {make_vm(0, "A", LoadOrder::pre_launched, {1}, 64),
                    make_vm(1, "B", LoadOrder::pre_launched, {2}, 64)};
    RegionConfig r;
    r.name = "bench";
    r.members = {{"A", *pci::Bdf::parse("00:08.0")}, {"B", *pci::Bdf::parse("00:08.0")}};
    scenario.regions = {r};
    board = load_board(scenario.board, {});
    profile = load_timing_profile(board.timing_profile, {});
    timing = resolve_timing(profile);
    tlm::tlm_global_quantum::instance().set(sc_core::sc_time(1, sc_core::SC_US));
    platform = std::make_unique<Platform>(scenario, board, timing);
    cpu = platform->vcpu("A", 0);
    // Bring the device up once, as the guest driver would.
    sc_core::sc_spawn([this] {
      Guest g(*cpu);
      shm = ivshmem_probe(g, *pci::Bdf::parse("00:08.0"))->shmem;
    });
    sc_core::sc_start();
  }
};

}  // namespace ivsim::bench
