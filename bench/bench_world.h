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
    VmConfig a;
    a.id = 0;
    a.name = "A";
    a.load_order = LoadOrder::pre_launched;
    a.pcpus = {1};
    a.memory_mib = 64;
    VmConfig b = a;
    b.id = 1;
    b.name = "B";
    b.pcpus = {2};
    scenario.vms = {a, b};
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
