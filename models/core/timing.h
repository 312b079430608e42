// The costs the models charge, resolved to picoseconds once at elaboration
// from a timing profile (platforms/profiles/*.yaml, where each value has its
// source). Models never hold a latency constant of their own.
#pragma once

#include <array>
#include <vector>

#include "models/core/types.h"

namespace ivsim {

// Topology distance between two pCPUs, for core-to-core transfers:
// same_l2 is two cores (not SMT siblings) of one die sharing an L2, as an
// Atom module's or a hybrid part's E-core cluster's cores do.
enum class CoreDistance : u8 { smt_sibling = 0, same_die = 1, cross_die = 2, same_l2 = 3 };
constexpr unsigned kCoreDistances = 4;

// A pCPU's core type, as ACRN's board file names it (<core_type>, from CPUID
// leaf 0x1A): a hybrid part's Core (P-core) or Atom (E-core); Atom-class
// parts' cores are Atom too.
enum class CoreType : u8 { core = 0, atom = 1 };

struct TimingParams {
  CoreType core_type = CoreType::core;  // whose costs these are
  Frequency core_clock;
  // The TSC's rate: one counter for the whole package, at a constant rate
  // whatever the core's own clock (SDM Vol. 3B 18.17, "Time-Stamp Counter"):
  // the profile's core clock, on a hybrid part the P-cores' (the Atom
  // cores' TSC counts with theirs).
  Frequency tsc_clock;

  // Memory hierarchy (docs/timing.md "The memory model"); cache sizes come from the board.
  TimePs l1_hit_ps = 0;
  TimePs l2_hit_ps = 0;
  TimePs llc_hit_ps = 0;
  TimePs dram_ps = 0;
  TimePs bus_lock_ps = 0;                       // a LOCK'd access no cache can lock (split across lines, or UC): LOCK#
  std::array<TimePs, kCoreDistances> c2c_ps{};  // indexed by CoreDistance
  unsigned mlp = 1;                             // L1D misses one core keeps in flight (fill buffers)
  TimePs l1_load_line_ps = 0;                   // a block read issues one 64-byte line per this interval
  TimePs l1_store_line_ps = 0;                  // a block write likewise

  // Translation (docs/timing.md "Translation"). Zero entries: no such cache.
  unsigned dtlb_entries = 0;  // L1 data TLB
  unsigned dtlb_ways = 0;
  unsigned stlb_entries = 0;  // second-level (shared) TLB
  unsigned stlb_ways = 0;
  TimePs stlb_hit_ps = 0;            // an L1 dTLB miss served by the STLB
  unsigned pml4e_cache_entries = 0;  // guest paging-structure caches (combined entries)
  unsigned pdpte_cache_entries = 0;
  unsigned pde_cache_entries = 0;
  unsigned ept_psc_entries = 0;  // EPT paging-structure cache (guest-physical entries)

  // Virtualization.
  TimePs vm_exit_entry_ps = 0;       // world switch: VM exit + VM entry
  TimePs mmio_decode_ps = 0;         // instruction fetch and decode for an MMIO exit
  TimePs hv_mmio_handler_ps = 0;     // in-hypervisor MMIO handler (vPCI, IVSHMEM registers)
  TimePs hv_pio_handler_ps = 0;      // in-hypervisor port-I/O handler (0xCF8/0xCFC)
  TimePs ept_edit_ps = 0;            // per EPT leaf written or cleared by the hypervisor
  TimePs context_switch_ps = 0;      // switching the pCPU between two vCPUs
  TimePs iorr_slice_ps = 0;          // SCHED_IORR time slice
  TimePs bvt_mcu_ps = 0;             // SCHED_BVT minimum charging unit
  TimePs bvt_csa_ps = 0;             // SCHED_BVT context-switch allowance
  TimePs hypercall_handler_ps = 0;   // a null hypercall's dispatch in the hypervisor
  TimePs cpuid_handler_ps = 0;       // CPUID emulated in the hypervisor
  TimePs msr_read_handler_ps = 0;    // an intercepted RDMSR
  TimePs apic_write_handler_ps = 0;  // an intercepted x2APIC / TSC-deadline MSR write
  TimePs pt_icr_write_ps = 0;  // an ICR write under LAPIC passthrough, exit included (vlapic_x2apic_pt_icr_access)
  TimePs timer_emulation_ps = 0;     // arming and firing the emulated LAPIC timer
  TimePs min_timer_period_ps = 0;    // the shortest period of a hypervisor periodic timer (add_timer)

  // Interrupts.
  TimePs irq_posted_delivery_ps = 0;    // MSI to a vCPU through posted-interrupt notification
  TimePs irq_lapic_pt_delivery_ps = 0;  // MSI to a LAPIC-passthrough vCPU: physical IPI
  TimePs hlt_wakeup_ps = 0;             // a halted vCPU woken by an interrupt
  TimePs c1_exit_ps = 0;                // a core leaving C1: a passthrough guest's HLT, or an idle pCPU's
  u64 crystal_khz = 0;                  // the core crystal clock: a physical LAPIC timer's count rate
  TimePs isr_entry_ps = 0;              // guest interrupt entry

  // The I/O request round trip to the Service VM's device model.
  TimePs ioreq_notify_ps = 0;    // hypervisor -> Service VM upcall
  TimePs dm_dispatch_ps = 0;     // HSM -> acrn-dm thread
  TimePs dm_handler_ps = 0;      // acrn-dm device emulation
  TimePs ioreq_complete_ps = 0;  // the requester's resume after the completion hypercall

  // Guest OS notification steps (workloads/guest_os.h).
  TimePs zephyr_isr_ps = 0;            // Zephyr's ivshmem ISR raising the k_poll_signal
  TimePs zephyr_k_poll_wakeup_ps = 0;  // the thread blocked in k_poll switched in
  TimePs uio_irq_eventfd_ps = 0;       // acrn-kernel uio_pci_generic MSI-X handler: eventfd_signal
  TimePs linux_epoll_wakeup_ps = 0;    // the thread in epoll_wait woken and scheduled
  TimePs linux_syscall_ps = 0;         // one system call's entry and return
  TimePs uio_timerfd_period_ps = 0;    // the sample application's polling timer period
  TimePs windows_isr_dpc_ps = 0;       // the ivshmem driver's ISR, its DPC and KeSetEvent
  TimePs windows_event_wakeup_ps = 0;  // the thread in WaitForSingleObject readied and dispatched
  TimePs windows_syscall_ps = 0;       // one DeviceIoControl or wait call through the I/O manager

  // Sources of variation (models/host/uncore.h, Vcpu ticks; docs/realtime.md).
  TimePs dram_trefi_ps = 0;          // refresh interval
  TimePs dram_trfc_ps = 0;           // refresh cycle time
  TimePs dram_trcd_ps = 0;           // activate to read
  TimePs dram_trp_ps = 0;            // precharge
  unsigned dram_banks = 16;          // per rank
  unsigned dram_row_bytes = 8192;    // one activation's row across the rank
  TimePs memory_line_ps = 0;         // one 64-byte request at the channels' peak bandwidth
  TimePs llc_slice_line_ps = 0;      // one 64-byte request at one LLC slice's bandwidth
  TimePs linux_tick_ps = 0;          // 1 / CONFIG_HZ
  TimePs windows_tick_ps = 0;        // the clock interrupt period
  TimePs guest_tick_handler_ps = 0;  // the tick handler's own work
  unsigned guest_tick_lines = 0;     // kernel lines it touches
  TimePs hv_sched_tick_ps = 0;       // sched_iorr's tick timer period
  TimePs hv_console_timer_ps = 0;    // a debug build's console timer period (console_setup_timer)
  TimePs serial_port_read_ps = 0;    // one read of the physical UART's register (the console's LSR poll)
  TimePs serial_char_ps = 0;         // one character on the hypervisor's serial console line
};

// The costs of a host whose pCPUs differ (a hybrid part's core types): each
// pCPU's TimingParams, and the one-way core-to-core transfer between any two
// pCPUs, priced by the platform from the profile, the board's core types and
// its topology. A host of one core type uses uniform().
struct HostTiming {
  std::vector<TimingParams> by_pcpu;  // by pCPU id
  std::vector<TimePs> c2c_ps;         // [from * by_pcpu.size() + to]

  TimePs c2c(unsigned from, unsigned to) const { return c2c_ps[from * by_pcpu.size() + to]; }
  // Every pCPU costs `t`; transfers are priced by distance alone.
  static HostTiming uniform(const TimingParams& t, const std::vector<std::vector<CoreDistance>>& distance) {
    HostTiming h;
    const std::size_t n = distance.size();
    h.by_pcpu.assign(n, t);
    h.c2c_ps.resize(n * n);
    for (std::size_t a = 0; a < n; ++a)
      for (std::size_t b = 0; b < n && b < distance[a].size(); ++b)
        h.c2c_ps[a * n + b] = t.c2c_ps[static_cast<unsigned>(distance[a][b])];
    return h;
  }
};

}  // namespace ivsim
