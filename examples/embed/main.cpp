// A SystemC platform of its own, made from ivsim's models: a top module that
// instantiates host memory, the hypervisor with the hv-land IVSHMEM device in
// each of two pre-launched VMs sharing one region, and one vCPU per VM. The
// vCPUs run a doorbell round trip: A writes a message in shared memory and
// rings B; B's MSI-X interrupt wakes it, it answers and rings A. Prints the
// round trip and exits 0 when the answer arrived.
#include <cstdio>
#include <memory>
#include <string>
#include <systemc>

#include "models/cpu/line_watchers.h"
#include "models/cpu/vcpu_module.h"
#include "models/host/coherence_directory.h"
#include "models/host/host_memory.h"
#include "models/host/host_memory_module.h"
#include "models/hv/hypervisor.h"
#include "models/hv/hypervisor_module.h"
#include "platforms/board.h"
#include "platforms/host_caches.h"
#include "platforms/timing_profile.h"
#include "workloads/guest_api.h"
#include "workloads/ivshmem_driver.h"

using namespace ivsim;

namespace {

constexpr u64 kRamBytes = 64 * kMiB;
constexpr u64 kEptPoolBytes = 4 * kMiB;
constexpr u64 kRegionBytes = 2 * kMiB;
const pci::Bdf kBdf{0, 8, 0};
constexpr u8 kVectorA = 0x40, kVectorB = 0x41;
constexpr u64 kMsiAddress = 0xFEE0'0000;  // to APIC id 0: the VM's vCPU 0

}  // namespace

SC_MODULE(Top) {
  Board board;
  TimingParams timing;
  HostMemory mem;
  CoherenceDirectory dir;
  LineWatchers watchers;
  Hypervisor hv;
  HostMemoryModule host_memory;
  HypervisorModule hypervisor;
  std::unique_ptr<Vcpu> cpu_a, cpu_b;
  double round_trip_ns = 0;
  u64 answer = 0;

  Top(sc_core::sc_module_name name, const Board& b, const TimingParams& t)
      : sc_module(name),
        board(b),
        timing(t),
        mem(board.physical_address_bits),
        dir(timing, cache_topology(board)),
        hv(mem, timing, 2),
        host_memory("host_memory", mem),
        hypervisor("hypervisor", hv) {
    // Host memory: each VM's RAM, each VM's EPT page pool, then the hv-land region.
    const Hpa ram[2] = {1 * kGiB, 1 * kGiB + kRamBytes};
    const Hpa ept_pool[2] = {2 * kGiB, 2 * kGiB + kEptPoolBytes};
    hv.init_ivshmem_pool(3 * kGiB, {{"shm", 0, kRegionBytes}});
    const u32 bar0 = 0x8000'0000, bar1 = 0x8000'1000;
    const u64 bar2 = 0x8020'000C;  // 64-bit prefetchable memory BAR
    for (VmId id = 0; id < 2; ++id) {
      Vm& vm = hv.create_vm(id, id == 0 ? "VM_A" : "VM_B", VmLoadOrder::pre_launched, ept_pool[id], kEptPoolBytes,
                            ept::LargePages{});
      vm.ram_hpa = ram[id];
      vm.ram_size = vm.ram_low_size = kRamBytes;
      vm.state = VmState::running;
      hv.ept_add_mr(vm, vm.ram_hpa, 0, kRamBytes, ept::kRwx | ept::kWB);
      hv.create_ivshmem_device(vm, "hv:/shm", kBdf, bar0, bar1, bar2);
    }
    // MSIs reach the vCPU with that index in the target VM.
    hv.set_interrupt_hook([this](Vm& vm, unsigned index, const Hypervisor::Irq& irq, TimePs at, const Breakdown& blame) {
      Vcpu* c = vm.id == 0 ? cpu_a.get() : cpu_b.get();
      if (index == 0) c->raise_interrupt(irq.vector, at, blame, irq.path, irq.nmi);
    });
    cpu_a = make_vcpu(0, 1);  // VM_A's vCPU on pCPU 1
    cpu_b = make_vcpu(1, 2);  // VM_B's vCPU on pCPU 2
    cpu_a->set_program([this](Vcpu& c) { initiator(c); });
    cpu_b->set_program([this](Vcpu& c) { responder(c); });
  }

  std::unique_ptr<Vcpu> make_vcpu(VmId id, unsigned pcpu) {
    Vm& vm = *hv.vm(id);
    // Each VM's one vCPU has LAPIC ID 0 here (this platform's choice; ACRN
    // would give it its pCPU's), which the MSI address names.
    const VcpuConfig cfg{id, 0, pcpu, false, 0, 0, kRamBytes};
    auto v = std::make_unique<Vcpu>(("vcpu_" + vm.name).c_str(), cfg, timing, dir, watchers, *vm.ept);
    v->mem_socket.bind(host_memory.socket);
    v->exit_socket.bind(hypervisor.exits);
    vm.vcpu_ports.push_back(id);  // exit-socket port, in binding order
    vm.vlapics.push_back(&v->lapic());
    vm.vcpu_pcpus.push_back(pcpu);
    ++vm.vcpu_count;
    return v;
  }

  // VM_A: probe, point vector 0 at itself, send and wait for the answer.
  void initiator(Vcpu & c) {
    Guest g(c);
    const auto dev = ivshmem_probe(g, kBdf);
    if (!dev) return;
    ivshmem_setup_msix(g, *dev, 0, kMsiAddress, kVectorA);
    g.compute(100'000);  // let VM_B come up first
    const double t0 = g.now_ns();
    g.store<u64>(dev->shmem, 0x1234);
    ivshmem_int_peer(g, *dev, 1, 0);  // peer 1 is VM_B
    g.halt();                         // until VM_B rings back
    answer = g.load<u64>(dev->shmem + 64);
    round_trip_ns = g.now_ns() - t0;
  }

  // VM_B: probe, point vector 0 at itself, answer one message.
  void responder(Vcpu & c) {
    Guest g(c);
    const auto dev = ivshmem_probe(g, kBdf);
    if (!dev) return;
    ivshmem_setup_msix(g, *dev, 0, kMsiAddress, kVectorB);
    g.halt();
    g.store<u64>(dev->shmem + 64, g.load<u64>(dev->shmem) + 1);
    ivshmem_int_peer(g, *dev, 0, 0);  // peer 0 is VM_A
  }
};

int sc_main(int, char**) {
  // A shipped board and the timing profile for its CPU.
  const Board board = load_board("cfl-k700-i7", {});
  const TimingParams timing = resolve_timing(load_timing_profile(board.timing_profile, {}));
  tlm::tlm_global_quantum::instance().set(sc_core::sc_time(1, sc_core::SC_US));
  Top top("top", board, timing);
  sc_core::sc_start();
  std::printf("doorbell round trip: answer %#llx in %.1f ns\n", static_cast<unsigned long long>(top.answer),
              top.round_trip_ns);
  return top.answer == 0x1235 ? 0 : 1;
}
