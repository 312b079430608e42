// The sources of variation (docs/realtime.md): the uncore's contention and
// DRAM timing behind every core's L2, each VM's kernel tick by its OS
// personality, the hypervisor's scheduler tick and a debug build's console
// timer, the Service VM's background work, where a poller's spin loop is
// when the store it waits for lands.
// Each draws from its own stream seeded from run.seed.
#include <algorithm>

#include "models/core/noise_rng.h"
#include "platforms/host_caches.h"
#include "platforms/platform.h"

namespace ivsim {

namespace {

// The guest kernel's periodic tick, by personality (workloads/guest_os.h):
// a Linux guest ticks at CONFIG_HZ, except an RTVM, whose vCPUs run
// nohz_full as ACRN's real-time guides set it up; Windows at its clock
// interrupt; Zephyr is tickless (CONFIG_TICKLESS_KERNEL) and a bare guest
// has no kernel. The Service VM runs Linux whatever its personality says.
TimePs guest_tick_period(const VmConfig& vm, const TimingParams& t) {
  if (vm.load_order == LoadOrder::service_vm) return t.linux_tick_ps;
  if (vm.os == "linux-uio") return vm.vm_type == "RTVM" ? 0 : t.linux_tick_ps;
  if (vm.os == "windows") return t.windows_tick_ps;
  return 0;
}

}  // namespace

void Platform::create_noise_sources() {
  const NoiseConfig& n = scenario_.noise;
  if (!n.any()) return;
  const u64 seed = scenario_.run.seed;

  // Behind the L2s: which LLC serves each pCPU, the queues' service times.
  const CacheTopology topo = cache_topology(board_);
  std::vector<int> llc_of(topo.distance.size(), -1);
  std::vector<unsigned> llc_cores(topo.llc.size(), 0);
  for (std::size_t i = 0; i < topo.llc.size(); ++i)
    for (unsigned c : topo.llc[i].cores) {
      if (c >= llc_of.size()) continue;
      llc_of[c] = static_cast<int>(i);
      // A slice per physical core: an SMT sibling of a pCPU counted already adds none.
      bool sibling = false;
      for (unsigned d : topo.llc[i].cores)
        if (d < c && d < topo.distance[c].size() && topo.distance[c][d] == CoreDistance::smt_sibling) sibling = true;
      if (!sibling) ++llc_cores[i];
    }
  UncoreParams up;
  up.contention = n.contention;
  up.refresh = n.dram_refresh;
  up.row_buffer = n.row_buffer;
  up.seed = seed;
  up.window_ps = scenario_.run.quantum_ns * 1000;
  // One slice per core the LLC serves, each at the profile's bandwidth.
  const unsigned slices = llc_cores.empty() ? 1 : std::max(1u, *std::max_element(llc_cores.begin(), llc_cores.end()));
  up.llc_service_ps = timing_.llc_slice_line_ps;
  up.llc_slices = slices;
  up.mem_service_ps = timing_.memory_line_ps;
  up.trefi_ps = timing_.dram_trefi_ps;
  up.trfc_ps = timing_.dram_trfc_ps;
  up.trcd_ps = timing_.dram_trcd_ps;
  up.trp_ps = timing_.dram_trp_ps;
  up.banks = timing_.dram_banks;
  up.row_lines = std::max<u64>(1, timing_.dram_row_bytes / kCacheLineBytes);
  uncore_ = std::make_unique<Uncore>(up, llc_of);
  dir_->set_uncore(uncore_.get());

  unsigned index = 0;  // the vCPU's place in the platform: its streams' instance
  for (const auto& v : vcpus_) {
    const unsigned i = index++;
    const Vm& vm = *hv_->vm(v->config().vm);
    const VmConfig* vc = nullptr;
    for (const auto& c : scenario_.vms)
      if (c.id == vm.id) vc = &c;
    if (!vc) continue;
    const TimingParams& t = v->timing();
    if (n.poll_phase) v->set_poll_phase(NoiseRng(seed, "poll_phase", i));
    const u64 footprint = u64{t.guest_tick_lines} * kCacheLineBytes;
    if (n.guest_ticks) {
      TickConfig tc;
      tc.kind = TickKind::guest;
      tc.period_ps = guest_tick_period(*vc, t);
      if (tc.period_ps) {
        tc.phase_ps = NoiseRng(seed, "guest_tick", i).below(tc.period_ps);
        tc.handler_ps = t.guest_tick_handler_ps;
        // Its per-CPU kernel data: a page per vCPU at the top of the VM's RAM.
        tc.footprint_hpa = vm.ram_top_hpa() - (v->config().index + 1) * std::max<u64>(kPageSize4K, footprint);
        tc.footprint_lines = t.guest_tick_lines;
        v->add_tick(tc);
      }
    }
    if (n.hv_ticks && sched_policy_from_name(scenario_.scheduler) == SchedPolicy::iorr && !vc->lapic_passthrough) {
      // sched_iorr_init arms a periodic tick_timer on every pCPU it
      // schedules; with the LAPIC passed through, the hypervisor's timer
      // does not interrupt the guest.
      TickConfig tc;
      tc.kind = TickKind::hypervisor;
      tc.period_ps = t.hv_sched_tick_ps;
      tc.phase_ps = NoiseRng(seed, "hv_tick", v->config().pcpu).below(tc.period_ps);
      v->add_tick(tc);
    }
    if (n.hv_console && scenario_.build_type == "debug" && v->config().pcpu == scenario_.vuart_timer_pcpu) {
      // init_debug_post on VUART_TIMER_CPU: console_setup_timer's periodic
      // timer, armed at the hypervisor's start, long before the workload:
      // its phase is drawn.
      TickConfig tc;
      tc.kind = TickKind::console;
      tc.period_ps = t.hv_console_timer_ps;
      tc.phase_ps = NoiseRng(seed, "hv_console", v->config().pcpu).below(tc.period_ps);
      // Its read of the UART's line status; none without a serial console
      // (uart16550_getc returns while the UART is disabled).
      tc.handler_ps = scenario_.has_serial_console() ? t.serial_port_read_ps : 0;
      v->add_tick(tc);
      if (vc->lapic_passthrough) {
        hv_->set_console_vmexit_callback(v->config().pcpu, tc.period_ps, tc.phase_ps, tc.handler_ps);
        // The exits the vCPU takes without the hypervisor model (an INIT
        // signal's) end with the callback too.
        v->set_local_exit_callback(
            [hv = hv_.get(), vm = v->config().vm, index = v->config().index](TimePs now_ps, TimePs& cost_ps) {
              VmExitExtension exit;
              exit.vm = vm;
              exit.vcpu = index;
              cost_ps = hv->console_vmexit_callback(exit, now_ps);
              return exit.console_kick;
            });
      }
    }
    const u64 ws = std::min<u64>(n.service_vm_working_set_kib * 1024, vm.ram_size / 2);
    if (n.service_vm && vc->load_order == LoadOrder::service_vm && v->config().index == 0 &&
        n.service_vm_period_us > 0 && n.service_vm_lines_per_wake > 0 && vm.ram_size >= ws + 2 * kMiB) {
      TickConfig tc;
      tc.kind = TickKind::background;
      tc.period_ps = n.service_vm_period_us * 1'000'000;
      tc.phase_ps = NoiseRng(seed, "service_vm", i).below(tc.period_ps);
      tc.working_set_lines = std::max<u64>(1, ws / kCacheLineBytes);
      tc.footprint_lines = std::min(n.service_vm_lines_per_wake, tc.working_set_lines);
      // Below the tick pages at the top of its RAM.
      tc.footprint_hpa = vm.ram_top_hpa() - ws - kMiB;
      v->add_tick(tc);
      v->set_idle_loop(true);  // it has a kernel to wake up
    }
  }
}

}  // namespace ivsim
