// A small platform for model tests: one board, a few VMs, hv-land regions,
// built through the same Platform code as a real run. Each test case runs in
// its own process (ctest), so each may elaborate once.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/hv/ivshmem_device.h"
#include "platforms/board.h"
#include "platforms/platform.h"
#include "platforms/timing_profile.h"
#include "workloads/workload_kind.h"

namespace ivsim::test {

// RT_VM (0, pre-launched, pCPU 3), Service_VM (1, pCPU 0) and HMI_VM (2,
// post-launched, pCPU 5) sharing hv-land region "shm0" at 00:08.0.
inline Scenario two_vm_scenario(u64 region_mib = 2) {
  Scenario s;
  s.name = "testbench";
  s.board = "cfl-k700-i7";
  s.vms = {make_vm(0, "RT_VM", LoadOrder::pre_launched, {3}, 64),
           make_vm(1, "Service_VM", LoadOrder::service_vm, {0}, 512),
           make_vm(2, "HMI_VM", LoadOrder::post_launched, {5}, 64)};
  RegionConfig r;
  r.name = "shm0";
  r.size_mib = region_mib;
  r.region_id = 7;
  r.members = {{"RT_VM", *pci::Bdf::parse("00:08.0")}, {"HMI_VM", *pci::Bdf::parse("00:08.0")}};
  s.regions = {r};
  return s;
}

// two_vm_scenario with a pingpong between its VMs, so the run has a
// workload whose roles it watches; the tests replace the roles' programs.
inline Scenario two_vm_scenario_with_workload() {
  Scenario s = test::two_vm_scenario();
  WorkloadConfig w;
  w.name = "handshake";
  w.kind = "pingpong";
  w.region = "shm0";
  w.roles = {{"initiator", {"RT_VM", 0}}, {"responder", {"HMI_VM", 0}}};
  for (const auto& p : find_workload_kind("pingpong")->params) w.params[p.name] = p.default_value;
  s.workloads = {w};
  return s;
}

// RT_VM (0, pre-launched), Service_VM (1), HMI_VM (2) and UOS_VM (3),
// post-launched. Region "shared" exists twice: hv-land (RT_VM, HMI_VM at
// 00:08.0) and dm-land (HMI_VM at 00:09.0, UOS_VM at 00:08.0).
inline Scenario mixed_scenario() {
  Scenario s = two_vm_scenario();
  s.vms.push_back(make_vm(3, "UOS_VM", LoadOrder::post_launched, {6}, 64));
  s.regions[0].name = "shared";
  RegionConfig dm;
  dm.name = "shared";
  dm.provider = Provider::device_model;
  dm.size_mib = 2;
  dm.region_id = 9;
  dm.members = {{"HMI_VM", *pci::Bdf::parse("00:09.0")}, {"UOS_VM", *pci::Bdf::parse("00:08.0")}};
  s.regions.push_back(dm);
  return s;
}

// The hv-land IVSHMEM device the hypervisor keeps for `vm` (its first), if any.
inline IvshmemDevice* hv_device(Platform& p, VmId vm) {
  for (const auto& d : p.hypervisor().ivshmem_devices())
    if (d->vm().id == vm) return d.get();
  return nullptr;
}

struct Bench {
  Scenario scenario;
  Board board;
  TimingProfile profile;
  TimingParams timing;
  std::unique_ptr<Platform> platform;

  explicit Bench(Scenario s) : scenario(std::move(s)) {
    board = load_board(scenario.board, {});
    profile = load_timing_profile(board.timing_profile, {});
    timing = resolve_timing(profile);
    tlm::tlm_global_quantum::instance().set(sc_core::sc_time(1, sc_core::SC_US));
    platform = std::make_unique<Platform>(scenario, board, timing);
  }
  Vcpu& cpu(const std::string& vm, unsigned i = 0) { return *platform->vcpu(vm, i); }
  Vm& vm(VmId id) { return *platform->hypervisor().vm(id); }
};

}  // namespace ivsim::test
