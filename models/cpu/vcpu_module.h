// A virtual CPU: an SC_THREAD that runs a guest program with temporal
// decoupling (a TLM quantum keeper), translating every access through its
// TLB and the VM's EPT, reading and writing host memory through DMI pointers
// and paying what the coherence directory says each access costs. An access
// the EPT does not map exits to the hypervisor through the exit socket.
//
// Private work runs ahead of the kernel within the quantum; an access that
// involves another core's copy of a line first synchronises, so every
// exchange through shared memory happens in simulated-time order.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <array>
#include <bitset>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <systemc>
#include <tlm>
#include <vector>

#include "models/core/breakdown.h"
#include "models/core/metrics.h"
#include "models/core/noise_rng.h"
#include "models/core/pending_activity.h"
#include "models/core/timing.h"
#include "models/core/tracer.h"
#include "models/cpu/line_watchers.h"
#include "models/cpu/miss_window.h"
#include "models/cpu/mmu.h"
#include "models/cpu/run_ahead.h"
#include "models/cpu/tlb.h"
#include "models/cpu/vlapic.h"
#include "models/cpu/vm_exit.h"
#include "models/cpu/vmcs.h"
#include "models/ept/ept_table.h"
#include "models/host/coherence_directory.h"
#include "models/host/pcpu_scheduler.h"

namespace ivsim {

enum class Cmp : u8 { eq, ne, ge, lt };

constexpr bool compare(u64 v, Cmp c, u64 operand) {
  switch (c) {
    case Cmp::eq:
      return v == operand;
    case Cmp::ne:
      return v != operand;
    case Cmp::ge:
      return v >= operand;
    case Cmp::lt:
      return v < operand;
  }
  return false;
}

// An exception the hypervisor injected instead of completing an
// instruction (#GP, #UD). A guest program without a handler for it stops
// (the role reports the message); one that expects it catches it, as a
// kernel's exception-table fixup (rdmsr_safe) does.
struct GuestFault : std::runtime_error {
  GuestFault(u8 v, const std::string& what) : std::runtime_error(what), vector(v) {}
  u8 vector;
};

// Unwinds a guest program whose vCPU the hypervisor made a zombie
// (zombie_vcpu, by pause_vm). Not a std::exception: guest code never
// catches it; Vcpu::thread does, and waits for the VM's next start.
struct VcpuZombie {};

struct VcpuConfig {
  VmId vm = 0;
  unsigned index = 0;              // vCPU number within its VM
  unsigned pcpu = 0;               // the pCPU it runs on (its core in the coherence directory)
  bool lapic_passthrough = false;  // interrupts arrive as physical IPIs
  u32 apic_id = 0;                 // its LAPIC ID: the pCPU's (vlapic_create)
  // The VM's RAM below 4 GiB, as its firmware memory map gives it to the
  // guest kernel (from GPA 0 for a User VM, at its host address for the
  // Service VM).
  Gpa ram_base = 0;
  u64 ram_bytes = 0;
  // Its class of service as ways of its pCPU's L2 and LLC its fills may take
  // (ACRN's cache allocation); 0: every way.
  WayMask l2_fill_ways = 0;
  WayMask llc_fill_ways = 0;
  // A post-launched VM its acrn-dm did not start (HC_START_VM was never
  // made: acrn-dm exits on a failed launch): it runs only when started.
  bool not_started = false;
  // A Service VM vCPU a post-launched VM's launch took offline (ACRN's
  // offline_cpus, then hcall_offline_cpu): it never runs, and leaves its
  // pCPU to that VM.
  bool offline = false;
  // Its pCPU's idle loop halts the core (ACRN's IDLE_MODE_HLT, cpu_do_idle):
  // a wake-up that finds the pCPU idle brings the core out of C1 first.
  bool idle_halts = false;
  // ACRN's split-lock #AC is on (SPLIT_LOCK_DETECTION_ENABLED on a CPU that
  // enumerates the detection): a split lock exits and runs without its LOCK
  // prefix (emulate_lock_instr), no bus lock; in a VM of several vCPUs the
  // exit's handler also has it stepped with the monitor trap flag.
  bool split_lock_emulated = false;
  // The hypervisor's split-lock #AC and UC-lock #GP options on a CPU that
  // may have them, in a case the twin does not emulate (the detection's
  // enumeration unknown; a UC lock): a bus lock of that kind warns once.
  bool split_lock_detection = false;
  bool uc_lock_detection = false;
};

// A periodic interrupt that takes the vCPU away from its program for a
// while (vcpu_module_ticks.cpp; docs/realtime.md): the guest kernel's tick
// (its LAPIC timer, which ACRN emulates with a VM exit unless the VM has the
// LAPIC passed through), the hypervisor's scheduler tick on the pCPU
// (sched_iorr's tick_timer), or background work the Service VM's kernel and
// daemons wake up for.
enum class TickKind : u8 { guest, hypervisor, background, console };
struct TickConfig {
  TickKind kind = TickKind::guest;
  TimePs period_ps = 0;
  TimePs phase_ps = 0;        // the first expiry, within the first period
  TimePs handler_ps = 0;      // the handler's own work (compute; the console timer's: its read of the UART)
  Hpa footprint_hpa = 0;      // the data it touches: lines from here
  u64 footprint_lines = 0;    // how many it touches each time
  u64 working_set_lines = 0;  // background: the lines it walks through, footprint_lines per wake-up
};

struct VcpuCounters {
  u64 loads = 0;
  u64 stores = 0;
  u64 tlb_misses = 0;  // L1 dTLB misses (each an STLB hit or a walk)
  u64 stlb_hits = 0;
  u64 walks = 0;
  u64 walk_refs = 0;
  u64 syncs = 0;
  u64 syncs_skipped = 0;      // synchronisation points passed without a hand-off (run_ahead)
  u64 polls_woken_early = 0;  // asleep ahead on a line, woken before its own time (then it settled)
  u64 interrupts = 0;         // taken (ISR entered), NMIs included
  u64 nmis = 0;
  u64 timer_interrupts = 0;    // LAPIC timer expiries that requested their vector (vlapic_timer_expired)
  u64 interrupts_ignored = 0;  // fixed requests the virtual LAPIC ignored: software-disabled, or a reserved vector
  u64 ticks = 0;  // periodic ticks taken (TickConfig)
  u64 init_resets = 0;    // INIT IPIs that reset it (vlapic_process_init_sipi)
  u64 sipi_starts = 0;    // SIPIs that started it again
  u64 console_kicks = 0;  // a debug build's console_timer_callback run on this vCPU's time
  u64 bus_locks = 0;  // LOCK'd instructions that locked the bus (split across lines, or UC)
  // Waits in ACRN_REQUEST_SPLIT_LOCK for another vCPU of the VM to step its
  // split lock (VCPU_EVENT_SPLIT_LOCK), and the time they took.
  u64 split_lock_pauses = 0;
  TimePs split_lock_paused_ps = 0;
  // Waits in ACRN_REQUEST_WAIT_WBINVD for another vCPU of the VM to finish
  // flushing the VM's memory for its WBINVD (VCPU_EVENT_SYNC_WBINVD), and
  // the time they took.
  u64 wbinvd_pauses = 0;
  TimePs wbinvd_paused_ps = 0;
  std::array<u64, kExitReasonCount> exits{};
  // Of those, the ones the hypervisor handles without a call through the
  // exit socket (HLT, a tick's timer exit and re-arm), which it does not count.
  std::array<u64, kExitReasonCount> local_exits{};
};

class Vcpu : public sc_core::sc_module {
 public:
  using Program = std::function<void(Vcpu&)>;

  tlm_utils::simple_initiator_socket<Vcpu> mem_socket;   // host memory (DMI)
  tlm_utils::simple_initiator_socket<Vcpu> exit_socket;  // VM exits to the hypervisor

  Vcpu(sc_core::sc_module_name name, const VcpuConfig& cfg, const TimingParams& timing, CoherenceDirectory& dir,
       LineWatchers& watchers, const ept::EptTable& ept);
  ~Vcpu() override;

  void set_program(Program p) { program_ = std::move(p); }

  // A periodic tick on this vCPU (at elaboration).
  void add_tick(const TickConfig& t);

  // Puts this vCPU under the scheduler of its pCPU (when others share it).
  // It then synchronises at least every sync_quantum_ps, which bounds how
  // late a preemption or a slice's end lands (its checks run at
  // synchronisations): the global quantum alone would let a neighbour run up
  // to a whole quantum past a request.
  void attach_scheduler(PcpuScheduler& s, TimePs sync_quantum_ps);
  // Lets this vCPU skip synchronisations no other process could act in
  // (models/cpu/run_ahead.h); without it, it synchronises at every point.
  void attach_run_ahead(RunAhead& r) {
    run_ahead_ = &r;
    r.add_vcpu();
  }
  // Its pCPU's caches take its class of service: ACRN loads the vCPU's CLOS
  // into IA32_PQR_ASSOC at VM entry (vmsr.c: prepare_auto_msr_area), so a
  // pCPU's fills follow the vCPU running on it. Done at each switch-in.
  void load_clos();
  const SchedEntity& sched_entity() const { return entity_; }
  void set_sched_weights(int priority, unsigned weight) {
    entity_.priority = priority;
    entity_.weight = weight ? weight : 1;
  }

  // A vCPU waiting for its device model's I/O completion
  // (acrn_insert_request) yields its pCPU (wait_event(VCPU_EVENT_IOREQ)),
  // unless its VM polls for completion (`polling`: is_polling_ioreq): then
  // it spins on its request slot and keeps the pCPU, yielding only when the
  // scheduler asks (io_poll_reschedule). `server` is the Service VM vCPU
  // that takes the request, for diagnosing a stall.
  void io_wait_begin(const Vcpu* server, bool polling) {
    wait_ = Wait{WaitKind::io_request, 0, 0, server};
    if (!polling) schedule_out(false);
  }
  // The polling loop's `if (need_reschedule()) schedule();`: when the
  // scheduler asked (a woken thread, the slice or run used up), the
  // requester goes out runnable and comes back when picked; true if it
  // did. The caller waits for completion or for the next such request:
  // sched_event() or, in time, io_poll_deadline_ps().
  bool io_poll_reschedule();
  const sc_core::sc_event& sched_event() const { return sched_event_; }
  TimePs io_poll_deadline_ps() const { return sched_ ? slice_end_ : PcpuScheduler::kForever; }
  // `waker`: the process whose hypercall completed the request (none: it
  // never blocked).
  void io_wait_end(const void* waker) {
    schedule_in(true, waker);
    wait_ = Wait{};
  }

  // After its program (or from the start, without one) the vCPU runs the
  // guest's idle loop: HLT until an interrupt, handle it, HLT again. Set for
  // a vCPU whose interrupts must be served whether or not it runs a
  // workload (the Service VM's vCPU 0 takes the HSM upcall).
  void set_idle_loop(bool on) { idle_loop_ = on; }

  // The VM's lifecycle (vcpu_module_lifecycle.cpp): pause_vm makes the vCPU
  // a zombie (its program unwinds at its next boundary or wait); start_vm
  // after a reset runs the program again from a fresh power-on state;
  // shutdown_vm ends it for good.
  void make_zombie();
  void launch();
  void shut_down();
  // An INIT IPI from a vCPU of its VM (vlapic_process_init_sipi): a zombie
  // (zombie_vcpu) reset in INIT mode (reset_vcpu(INIT_RESET)) that waits
  // for a SIPI; the SIPI launches it (launch_vcpu) at its program's start.
  void init_reset();
  void sipi_start();
  // reset_vm: every vCPU's next start is a power-on reset
  // (reset_vcpu(POWER_ON_RESET)), whatever INIT came before.
  void power_on_reset_next() {
    init_reset_pending_ = false;
    awaiting_sipi_ = false;
    if (wait_.kind == WaitKind::sipi) wait_ = Wait{};
  }
  bool zombie() const { return zombie_; }
  bool is_shut_down() const { return shut_down_; }
  const sc_core::sc_event& zombie_event() const { return zombie_event_; }
  unsigned boots() const { return boots_; }

  // Another vCPU of the VM steps a split lock (vcpu_module_lock_detection.cpp):
  // vcpu_kick_lock_instr_emulation's request of this one, and
  // vcpu_complete_lock_instr_emulation's signal_event, each for a vCPU in
  // VCPU_RUNNING only.
  void make_split_lock_request(const Vcpu& stepping);
  void signal_split_lock_event();
  // Another vCPU of the VM emulates a WBINVD (wbinvd_vmexit_handler):
  // vcpu_make_request(ACRN_REQUEST_WAIT_WBINVD) before it flushes the VM's
  // memory, signal_event(VCPU_EVENT_SYNC_WBINVD) after.
  void make_wbinvd_request(const Vcpu& flushing);
  void signal_wbinvd_event();
  // A physical interrupt ACRN takes on this vCPU's pCPU (a LAPIC-passthrough
  // guest's logical-mode IPI, Hypervisor::physical_ipi). Running its guest
  // there, the vCPU exits for it (external-interrupt exiting), as for a
  // kick; an NMI is also injected into it (handle_nmi). A vCPU not in its
  // guest (halted in the hypervisor, waiting for its pCPU or an I/O
  // request) sees nothing of it. A LAPIC-passthrough VM's vCPU in x2APIC
  // mode owns its LAPIC and never gets here (its guest takes the
  // interrupt); before switch_apicv_mode_x2apic clears its external-
  // interrupt exiting, it exits like any other (external_interrupt, not the
  // INIT of its kicks).
  void host_interrupt(bool nmi);
  // A physical INIT at this vCPU's pCPU (a LAPIC-passthrough VM's INIT-mode
  // MSI, inject_msi_for_lapic_pt): what the INIT of a kick does, with no
  // request behind it (an init_signal exit, or, halted in its guest, the C1
  // exit too; held to the next VM entry while in the hypervisor).
  void init_signal();

  bool finished() const { return finished_; }
  // A vCPU that went to sleep ahead of the kernel (fall_asleep_ahead): its
  // time when it did, which a run that ends with every vCPU asleep has
  // reached; else 0.
  TimePs asleep_ahead_ps() const { return asleep_ahead_ps_; }
  TimePs finished_at_ps() const { return finished_at_ps_; }  // when its program ended
  // Called when its program ends, in the kernel's time: the run stops the
  // kernel there once every workload has ended, so what runs on after (ticks,
  // the Service VM's background work) does not depend on the host's speed.
  void set_on_finished(std::function<void()> f) { on_finished_ = std::move(f); }
  // What the end of an exit this vCPU takes without the hypervisor model
  // (an INIT signal's: vmexit_handler's last step) runs: a debug build's
  // console_vmexit_callback. At the exit's end; true when the callback ran,
  // with its cost.
  using LocalExitCallback = std::function<bool(TimePs now_ps, TimePs& cost_ps)>;
  void set_local_exit_callback(LocalExitCallback f) { local_exit_callback_ = std::move(f); }
  // A poller spins on a load that hits its L1: the invalidation of its copy
  // lands somewhere in one iteration, and the miss that fetches the new value
  // waits for the next load to issue (up to l1_hit later), drawn from `rng`.
  // Off, the poller sees the store as soon as its copy is invalidated.
  void set_poll_phase(const NoiseRng& rng) {
    poll_phase_ = true;
    poll_rng_ = rng;
  }
  u64 exits_done() const { return exits_done_; }
  // When the latest of its first `n` VM exits completed: a guest's bring-up
  // is a bounded number of trapped accesses (see WorkloadRun::last_progress_ps).
  void set_exit_progress_budget(u64 n) { exit_progress_budget_ = n; }
  TimePs last_budgeted_exit_ps() const { return last_budgeted_exit_ps_; }
  bool started() const { return started_; }

  const VcpuConfig& config() const { return cfg_; }
  const TimingParams& timing() const { return timing_; }  // what its guest's own steps cost (workloads/guest_os.h)
  // An exited HLT woken on a pCPU with nothing else to run: the core out of
  // C1 when its idle loop halts it (VcpuConfig::idle_halts), then ACRN's
  // scheduler and the VM entry.
  TimePs idle_wakeup_ps() const { return (cfg_.idle_halts ? timing_.c1_exit_ps : 0) + timing_.hlt_wakeup_ps; }
  const VcpuCounters& counters() const { return counters_; }
  const Mmu& mmu() const { return mmu_; }

  // What the vCPU is blocked on, for diagnosing a run that makes no
  // progress: a description ("" when it is not blocked) and, where one is
  // known, the vCPU it waits for (the holder of its pCPU, the Service VM
  // vCPU serving its I/O request).
  enum class WaitKind : u8 { none, line, interrupt, pcpu, io_request, start, split_lock, wbinvd, assert_spin, sipi };
  struct Wait {
    WaitKind kind = WaitKind::none;
    Gva va = 0;                    // line: the polled guest-virtual address
    Hpa hpa = 0;                   // line: its host-physical address
    const Vcpu* server = nullptr;  // io_request: who serves it; split_lock, wbinvd: who emulates
    const char* where = nullptr;   // assert_spin: the failed ASSERT
  };
  const Wait& wait_state() const { return wait_; }
  std::string waiting_on() const;
  const Vcpu* waits_for() const;
  const PcpuScheduler* scheduler() const { return sched_; }

  // ---- guest-visible primitives (the guest API forwards to these) ----
  template <class T>
  T load(Gva va) {
    static_assert(sizeof(T) <= 8, "scalar access");
    u64 raw = read_scalar(va, sizeof(T));
    T v;
    std::memcpy(&v, &raw, sizeof(T));
    return v;
  }
  template <class T>
  void store(Gva va, T v) {
    static_assert(sizeof(T) <= 8, "scalar access");
    u64 raw = 0;
    std::memcpy(&raw, &v, sizeof(T));
    write_scalar(va, sizeof(T), raw);
  }
  // Block copies pay one access per cache line touched, their L1D misses
  // overlapping up to the core's fill buffers (a streaming copy, miss_window.h).
  void read_block(Gva va, void* dst, u64 len);
  void write_block(Gva va, const void* src, u64 len);

  void compute(Cycles c);
  // Polls va until compare(value, cmp, operand) holds; sleeps on the line
  // between stores instead of looping. Returns the value that satisfied it.
  u64 wait_until(Gva va, unsigned size, Cmp cmp, u64 operand);

  u32 io_in(u16 port, unsigned size);
  void io_out(u16 port, unsigned size, u32 value);
  // LOCK CMPXCHG: if the location holds `expected`, writes `desired`;
  // returns what it held. One access that takes the line exclusively
  // whether or not it writes, as a locked read-modify-write does.
  u64 cmpxchg(Gva va, unsigned size, u64 expected, u64 desired);

  // VMCALL: the hypercall ID in R8, its parameters in RDI and RSI (ACRN's
  // ABI); returns RAX, a negative errno on failure.
  i64 hypercall(u64 id, u64 param1 = 0, u64 param2 = 0);
  // WRMSR and RDMSR as the MSR bitmap the hypervisor set in the VMCS says
  // (init_msr_emulation, update_msr_bitmap_x2apic_*, set_tsc_msr_interception):
  // an intercepted one exits to its emulation (models/hv/vmsr.cpp); the
  // others are virtualized (x2APIC with APICv), the physical LAPIC's (LAPIC
  // passthrough), the TSC's reads, or the host's own MSR (not modelled).
  void wrmsr(u32 msr, u64 value);
  u64 rdmsr(u32 msr);
  // CPUID (always exits): EAX, EBX, ECX, EDX.
  std::array<u32, 4> cpuid(u32 leaf, u32 subleaf = 0);
  // WBINVD (always exits; the hypervisor emulates it, Hypervisor::handle_exit).
  void wbinvd();
  void invd();

  // MOV to CR3: the first one turns the guest's 4-level paging on (until
  // then GVA = GPA); each flushes the non-global TLB entries and the guest
  // paging-structure caches. ACRN does not trap CR3 loads with EPT, so no exit.
  void write_cr3(u64 cr3);

  // Interrupts. A guest installs a handler per vector; it runs on this vCPU
  // when the interrupt is taken, at the first instruction boundary at or
  // after its delivery. halt() is HLT: sleep until an interrupt, take it,
  // return its vector.
  using InterruptHandler = std::function<void(Vcpu&)>;
  void on_interrupt(u8 vector, InterruptHandler handler) { handlers_[vector] = std::move(handler); }
  // The guest's task priority (CR8): interrupts of its class and below wait.
  void set_task_priority(u8 tpr) {
    lapic_.set_tpr(tpr);
    if (lapic_.deliverable() >= 0) irq_pending_ = true;  // unmasked: taken at the next boundary
  }

  const VLapic& lapic() const { return lapic_; }
  u8 halt();
  // The virtual LAPIC accepting an MSI: called by the hypervisor (in the
  // sender's exit) with the time it was sent and the sender's critical path.
  // `path` decides the delivery cost; an NMI is taken whatever the task
  // priority, by the handler of vector 2.
  void raise_interrupt(u8 vector, TimePs sent_at_ps, const Breakdown& blame, IrqPath path = IrqPath::posted,
                       bool nmi = false);
  // The same with the delivery time given by the caller (vlapic_set_intr
  // from a hypervisor path that prices its own notification, such as the
  // HSM upcall).
  void post_interrupt(u8 vector, TimePs deliver_at_ps, const Breakdown& blame, bool nmi = false);
  VLapic& lapic() { return lapic_; }
  Vmcs& vmcs() { return vmcs_; }

  // Work done on this vCPU that is not guest program code (the Service VM
  // kernel and acrn-dm serving I/O requests), charged to `c`.
  void busy(Component c, TimePs ps) { charge(c, ps); }
  // Brings the vCPU's local time to the kernel's: what it does next happens
  // in simulated-time order with the other vCPUs.
  void synchronize() { sync(); }
  // A harness's own pause of the program, outside the model (a fuzz driver
  // handing the turn to another guest): synchronises, waits for `e`, and
  // goes on as after any of the vCPU's own waits (resumed()).
  void wait_outside_model(const sc_core::sc_event& e) {
    sync();
    sc_core::wait(e);
    resumed();
  }

  // The TSC as the guest reads it: the host's, invariant and one for the
  // package at tsc_clock, plus the VMCS's TSC offset (RDTSC does not exit).
  u64 tsc() const { return static_cast<u64>(timing_.tsc_clock.cycles_in(now_ps())) + vmcs_.tsc_offset; }
  TimePs now_ps() const { return kernel_ps() + local_ps_; }
  Timestamp timestamp() const { return Timestamp{now_ps(), cumulative_}; }
  trace::Cpu trace_cpu() const { return {cfg_.vm, cfg_.index, cfg_.pcpu}; }  // who an event is on, for the timeline
  const Breakdown& cumulative() const { return cumulative_; }

 private:
  void thread();
  void idle();
  // HLT without the exit: the part halt() and idle() share; `in_guest`: HLT
  // that does not exit (LAPIC passthrough), so the vCPU keeps its pCPU.
  u8 sleep_until_interrupt(bool in_guest);
  // A kick while halted in the guest (LAPIC passthrough): the INIT's exit
  // and its requests, after which the VM entry halts the core again. Moves
  // the halt's current stretch, from halt_from_ps, into halted_ps.
  void take_init_kick_halted(TimePs& halt_from_ps, TimePs& halted_ps);
  // A VM entry with an INIT held (init_held_): the INIT's exit right after it.
  void take_held_init();
  // Temporal decoupling, as TLM's quantum keeper does it (tlm_quantumkeeper:
  // run ahead of the kernel by local_ps_, synchronise at the next multiple
  // of the global quantum) with the local time an integer, so an access
  // that needs no synchronisation builds no sc_time.
  void charge(Component c, TimePs ps) {
    advance(c, ps);
    if (local_ps_ >= sync_budget_ps_) quantum_over();
  }
  // charge() without the quantum check, for a path that does something
  // between the two (the store fast path writes its bytes).
  void advance(Component c, TimePs ps) {
    cumulative_.ps[static_cast<std::size_t>(c)] += ps;
    local_ps_ += ps;
  }
  // At the quantum boundary: synchronise, unless no other process could act
  // before this vCPU's time.
  void quantum_over() {
    if (may_run_ahead())
      run_ahead();
    else
      sync();
  }
  // Nothing else could act up to now_ps() (models/cpu/run_ahead.h): a
  // synchronisation here would hand over to the kernel and straight back.
  bool may_run_ahead() const {
    // The time to the kernel's next activity is zero when anything is
    // pending at the current time (runnable processes, delta
    // notifications, updates); models/core/pending_activity.h keeps it.
    return may_pass_kernel() && pending_activity::time_to_next_ps() > local_ps_;
  }
  // On a pCPU of its own, before the end of the kernel's current run.
  bool may_pass_kernel() const { return run_ahead_ && !sched_ && now_ps() < run_ahead_->run_end_ps(); }
  // Before sleeping on an event (HLT, polling a line): a synchronisation,
  // unless no other process could act before this vCPU's time. Then the
  // vCPU goes to sleep in the kernel at the kernel's time with its local
  // time dropped (fall_asleep_ahead): whatever wakes it is due after its
  // time, so it wakes when it would have. With an interrupt already
  // pending it may not sleep at all, and synchronises.
  void sync_before_sleep() {
    if (!irq_pending_ && may_run_ahead()) {
      ++counters_.syncs_skipped;
      return;
    }
    // Settling (models/cpu/run_ahead.h): while it waits out its time, the
    // others may run ahead up to it.
    RunAhead::Asleep settling(run_ahead_);
    sync();
  }
  // Polling may sleep ahead of the kernel without settling first
  // (Vcpu::wait_until) when every other vCPU sleeps or settles: what wakes
  // it before its time is taken as having come while it settled. Not with a
  // busy vCPU about (models/cpu/run_ahead.h).
  bool may_sleep_ahead() const { return !irq_pending_ && may_pass_kernel() && run_ahead_->alone(); }
  // Watches the line at `va` and sleeps until it is written or an interrupt
  // or the end of a slice comes; false: the line was lost (or is not
  // cached) before it slept, look again.
  bool sleep_on_line(Gva va);
  void fall_asleep_ahead() {
    if (local_ps_ == 0) return;
    asleep_ahead_ps_ = now_ps();
    local_ps_ = 0;
  }
  // What sync() leaves behind, without the hand-off: the next quantum starts
  // at now_ps(), as start_quantum() would start it after the wait; the local
  // time stays ahead of the kernel, and so does the budget.
  void run_ahead() {
    ++counters_.syncs_skipped;
    next_sync_ps_ = next_boundary_ps(now_ps());
    sync_budget_ps_ = next_sync_ps_ - kernel_ps();
  }
  // The kernel's time, read from the simulation context's own clock (what
  // sc_time_stamp() returns a reference to) without a call into the kernel:
  // every access's now_ps() reads it.
  TimePs kernel_ps() const { return kernel_time_->value(); }
  // now_ps() on the vCPU's own thread: the kernel's clock moves only while
  // that thread waits, and every wait is followed by resumed() or
  // start_quantum() (the launch waits by note_kernel_time() alone), which
  // note the clock in resumed_at_ps_. The store fast
  // path adds its local time to that instead of loading the clock through
  // kernel_time_ (docs/performance.md). A checked build (IVSIM_SANITIZE)
  // verifies it at every use.
  TimePs note_kernel_time() { return resumed_at_ps_ = kernel_ps(); }
  TimePs own_now_ps() const {
#ifdef IVSIM_CHECKED
    if (resumed_at_ps_ != kernel_ps()) stale_kernel_time();
#endif
    return resumed_at_ps_ + local_ps_;
  }
  [[noreturn]] void stale_kernel_time() const;
  void sync() {
    ++counters_.syncs;
    sync_kernel();
    if (sched_ && entity_.running && (preempt_ || now_ps() >= slice_end_)) {
      if (rescheduling_)
        reschedule_again_ = true;  // slice_over goes round again when this unwinds
      else
        slice_over();
    }
  }
  // The synchronisation itself (tlm_quantumkeeper::sync): wait out the local time.
  void sync_kernel() {
    sc_core::wait(sc_core::sc_time::from_value(local_ps_));
    local_ps_ = 0;
    start_quantum();
  }
  // The budget up to the next quantum boundary (tlm_global_quantum::compute_local_quantum).
  void start_quantum() {
    const TimePs now = note_kernel_time();
    next_sync_ps_ = next_boundary_ps(now);
    sync_budget_ps_ = next_sync_ps_ - now;
  }
  // The first quantum boundary after `now` (now itself with no quantum). The
  // one last computed, or the one after it, for most calls: a multiple of
  // the same quantum, so no division is needed to find it.
  // The interval its quantum boundaries are multiples of: the global
  // quantum, or on a shared pCPU the finer shared one.
  TimePs sync_quantum_ps() const {
    const TimePs q = quantum_->value();
    return shared_quantum_ps_ && q > shared_quantum_ps_ ? shared_quantum_ps_ : q;
  }
  TimePs next_boundary_ps(TimePs now) {
    const TimePs q = sync_quantum_ps();
    if (q == 0) return now;
    if (q == boundary_quantum_ps_) {
      if (now < next_sync_ps_ && now + q >= next_sync_ps_) return next_sync_ps_;
      if (now >= next_sync_ps_ && now < next_sync_ps_ + q) return next_sync_ps_ + q;
    }
    boundary_quantum_ps_ = q;
    return now + (q - now % q);
  }
  // After the thread waited (with no local time ahead): the kernel moved on,
  // the next quantum boundary did not.
  void resumed() {
    const TimePs now = note_kernel_time();
    sync_budget_ps_ = next_sync_ps_ > now ? next_sync_ps_ - now : 0;
  }
  // Scheduling on a shared pCPU (only when the pCPU has a scheduler).
  // `waker`: the SystemC process whose action made it runnable (an
  // interrupt's sender, an I/O completion's hypercall), if any; whether the
  // vCPU it preempts takes an exit for it depends on it (preempt_exits_).
  void schedule_in(bool inside_exit = false, const void* waker = nullptr);
  // The waker is the thread of another vCPU on this pCPU.
  bool woken_by_pcpu_sharer(const void* waker) const;
  // The waker of a vCPU's start: VMs start before simulated time (acrn-dm's
  // HC_START_VM at launch), so a start preempts nobody with an exit.
  static constexpr char kLaunchTag = 0;
  static constexpr const void* kLaunch = &kLaunchTag;
  void trace_pcpu(bool running) {
    if (trace::Sink* t = trace::sink()) t->on_pcpu(trace_cpu(), running, now_ps());
  }

  void schedule_out(bool stays_runnable);
  // The turn is over (or a preemption asked): another turn when nobody
  // else waits, else out and back in when picked (true). Inside an exit,
  // the switch only takes time (schedule_in).
  bool slice_over(bool inside_exit = false);

  // Interrupts are taken between guest operations, never inside one.
  void boundary() {
    if (irq_pending_) take_interrupts();
  }
  // take_interrupts() would take something now: a request due and not
  // blocked by a handler in progress (an NMI only by the NMI handler).
  bool interrupt_takeable() const {
    if (!irq_pending_ || now_ps() < irq_at_ps_) return false;
    if (kick_due_ || lapic_timer_due()) return true;  // exits, taken first (take_interrupts)
    if (nmi_pending_ && !in_nmi_) return true;
    return !in_isr_ && (ticks_due_ != 0 || lapic_.deliverable() >= 0);
  }
  void take_interrupts();
  // Something is still to be taken, the LAPIC timer aside: an NMI, a tick,
  // a request the task priority lets through.
  bool requests_left() const { return kick_due_ || nmi_pending_ || lapic_.deliverable() >= 0 || ticks_due_ != 0; }
  // The guest owns its LAPIC: a LAPIC-passthrough VM once it has enabled
  // x2APIC mode (vlapic_set_apicbase -> switch_apicv_mode_x2apic), until a
  // reset (an INIT's too: VLapic::passed_through). Its HLT and its LAPIC
  // registers but the ICR, ID and LDR then do not exit.
  bool lapic_passed_through() const { return lapic_.passed_through(); }
  // The LAPIC timer (vcpu_module_interrupts.cpp): a deadline armed (in an
  // exit, or on a passthrough LAPIC directly) is a pending request from then
  // on, which wakes the vCPU at the deadline; it requests its vector only
  // when it expires (vlapic_timer_expired), so a later write that disarms
  // it (a deadline of 0, a new deadline, a change of timer mode, the SVR's
  // software disable) withdraws it.
  bool lapic_timer_due() const { return lapic_.timer_armed() && now_ps() >= lapic_.timer_deadline_ps(); }
  void follow_lapic_timer();
  void expire_lapic_timer();
  // The timer's own event, cancelled when it is disarmed (no stale wake-up
  // stays in the kernel's queue), relays to irq_event_ at the deadline.
  void lapic_timer_fired();
  // Ticks (vcpu_module_ticks.cpp): a tick source's expiry, the ticks due
  // taken at an instruction boundary, and restarting stopped ticks when the
  // vCPU leaves HLT (a tickless idle, as NO_HZ_IDLE and sched_iorr do).
  struct TickSource {
    TickConfig cfg;
    sc_core::sc_event expiry;
    bool armed = false;
    u64 next_line = 0;  // background: where its next wake-up starts in the working set
  };
  void arm_tick(TickSource& t);
  void tick_expired(unsigned index);
  void run_ticks();
  void restart_ticks();
  void touch_lines(Hpa base, u64 first, u64 count, u64 wrap);
  // A wake-up from an exited HLT on a pCPU idle since idle_from_ps waits for
  // a debug build's console_timer_callback the idle loop is running: charged
  // and counted as the console's; false when none is running.
  bool wait_for_idle_console(TimePs idle_from_ps);
  void count_local_exit(ExitReason r) {
    ++counters_.exits[static_cast<std::size_t>(r)];
    ++counters_.local_exits[static_cast<std::size_t>(r)];
  }
  // The end of an INIT signal's exit: vmexit_handler's console_vmexit_callback.
  void end_local_init_exit() {
    TimePs cost = 0;
    if (!local_exit_callback_ || !local_exit_callback_(now_ps(), cost)) return;
    ++counters_.console_kicks;
    if (cost) charge(Component::hv, cost);
  }
  // The cost of an exit handled on this pCPU without a synchronisation:
  // into the breakdown and local time, and onto the trace.
  void charge_local_exit(ExitReason r, const Breakdown& cost);
  // One boot: the program, then the idle loop if set.
  void run_once();
  void mark_finished();
  // After a zombie unwound: the vCPU's power-on state (reset_vcpu).
  void power_on_reset();

  u64 read_scalar(Gva va, unsigned size) {
    boundary();
    const u64 vpn = va >> kPageShift4K;
    TlbEntry* e = tlb_.lookup(vpn);
    const u64 off = page_offset(va);
    if (e && !e->uncached() && (off & (kCacheLineBytes - 1)) <= kCacheLineBytes - size) {
      LineState& l = e->lines->line[off >> kCacheLineShift];
      if (CoherenceDirectory::hits(l, core_bit_, core_tag_, false)) {
        ++counters_.loads;
        u64 v = 0;
        std::memcpy(&v, e->host_page + off, size);
        charge(Component::cache, timing_.l1_hit_ps);
        return v;
      }
    }
    return read_slow(va, size);
  }
  void write_scalar(Gva va, unsigned size, u64 value) {
    boundary();
    const u64 vpn = va >> kPageShift4K;
    TlbEntry* e = tlb_.lookup(vpn);
    const u64 off = page_offset(va);
    if (e && e->cached_writable() && (off & (kCacheLineBytes - 1)) <= kCacheLineBytes - size) {
      LineState& l = e->lines->line[off >> kCacheLineShift];
      if (CoherenceDirectory::store_hits_unwatched(l, core_bit_, core_unwatched_owner_)) {
        ++counters_.stores;
        // Written only on the way from Exclusive to Modified: a store to the
        // byte beside the word the next store's test reads made the fast
        // path measurably slower (docs/performance.md).
        if (l.modified_by != core_tag_) l.modified_by = core_tag_;
        const TimePs start_ps = own_now_ps();
        advance(Component::cache, timing_.l1_hit_ps);
        const bool quantum_used = local_ps_ >= sync_budget_ps_;
        // After the vCPU's own time: a TimePs store may alias local_ps_,
        // which would then be read again.
        l.last_write_ps = start_ps;
        // The bytes last: a store through a byte pointer may alias any
        // member, so the bookkeeping before it is not reloaded.
        std::memcpy(e->host_page + off, &value, size);
        if (quantum_used) quantum_over();
        return;
      }
    }
    write_slow(va, size, value);
  }

  // Of a scalar access's `left` bytes from va, those after the first `n`
  // (the rest of its line) that lie in the same 4 KiB page: what one EPT
  // violation covers beyond that line.
  static unsigned same_page_rest(Gva va, unsigned n, unsigned left) {
    return page_offset(va) + left <= kPageSize4K ? left - n : 0;
  }
  u64 read_slow(Gva va, unsigned size);
  void write_slow(Gva va, unsigned size, u64 value);
  // The message for an access to an MSR ACRN passes to the host CPU.
  std::string physical_msr_unmodelled(const char* op, u32 msr) const;
  // One access within a single cache line, through translation, coherence
  // and (when the EPT does not map it) a VM exit. `rest`: bytes of the same
  // instruction's access that follow in the next line of the same page; an
  // exit takes them too (one EPT violation for the instruction, decoded to
  // its full size). Returns the bytes done: size, or size + rest after an exit.
  unsigned access_line(Gva va, u8* buf, unsigned size, bool write, unsigned rest = 0);
  // access_line for a block copy's lines: a hit in the host-side TLB goes
  // straight to the caches (what translate() returns on a hit, without its
  // call), anything else through access_line.
  void block_line(Gva va, u8* buf, unsigned size, bool write) {
    if (TlbEntry* e = tlb_hit(va, write))
      coherent_access(*e, va, buf, size, write);
    else
      access_line(va, buf, size, write);
  }
  // The host-side TLB's entry for an access that needs no walk (translate's
  // fast path); nullptr otherwise.
  TlbEntry* tlb_hit(Gva va, bool write) {
    TlbEntry* e = tlb_.lookup(va >> kPageShift4K);
    return e && (!write || e->writable()) ? e : nullptr;
  }
  // A read of the APIC-access page served from the virtual LAPIC (xAPIC mode).
  bool apic_page_read(Gpa gpa, u8* buf, unsigned size);
  // A write of the APIC-access page the CPU virtualizes (xAPIC mode): TPR, EOI.
  bool apic_page_write(Gpa gpa, const u8* buf, unsigned size);
  TlbEntry* translate(Gva va, bool write, Gpa& gpa_out);
  void time_walk(const Translation& t);
  void coherent_access(TlbEntry& e, Gva va, u8* buf, unsigned size, bool write);
  // A LOCK CMPXCHG no cache can lock (split across two lines, or UC): a bus lock.
  u64 bus_locked_cmpxchg(Gva va, unsigned size, u64 expected, u64 desired);
  [[gnu::cold]] void uncached_access(TlbEntry& e, u64 off, LineState& l, u8* buf, unsigned size, bool write);
  // Makes the line ready for this core's access: synchronises when another
  // core's copy is involved, and orders a read after a write in its future.
  void order_access(LineState& l, bool write);
  void warn_lock_detection(bool uc);
  bool warned_split_lock_ = false, warned_uc_lock_ = false;
  // After sync(): a read waits for a write another core made in this core's future.
  void wait_for_future_write(const LineState& l);
  // A cached line access: alone, or overlapped in the block in progress.
  void charge_line(const AccessCost& c) {
    if (block_) {
      // The wait is part of the access's latency, overlapped with the block's
      // other misses: the block is charged by the access's own component.
      charge(c.component, block_->add(c.ps, c.miss));
    } else {
      if (c.queue_ps) charge(Component::queue, c.queue_ps);
      charge(c.component, c.ps - c.queue_ps);
    }
  }
  u64 exit_mmio(Gpa gpa, unsigned size, bool write, u64 value);
  void exit_to_hypervisor(ExitReason reason, u64 addr, unsigned size, bool write, u8* data);
  // The exit's handler never returned (VmExitExtension::hang): the vCPU
  // holds its pCPU and never acts again.
  [[noreturn]] void hang_in_hypervisor(const char* where);
  void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end);
  // kick_vcpu: the hypervisor, on another pCPU, made a request of this vCPU
  // (now, or at `at_ps` when its request was sent ahead of the kernel).
  void kick() { kick(kernel_ps()); }
  void kick(TimePs at_ps);
  // ACRN's VCPU_RUNNING: launched, not paused, shut down or offline.
  bool acrn_running() const {
    return (started_ || idle_loop_) && !zombie_ && !shut_down_ && (!finished_ || idle_loop_);
  }
  // A request another vCPU's emulation makes of this one whose handling
  // waits for that vCPU's signal before the VM entry.
  struct PausingRequest {
    explicit PausingRequest(WaitKind k) : kind(k) {}
    WaitKind kind;
    bool pending = false;      // the request's bit in pending_req
    bool event_set = false;    // the VCPU_EVENT_*'s `set`
    const Vcpu* by = nullptr;  // the vCPU emulating
    sc_core::sc_event event;
  };
  PausingRequest split_lock_{WaitKind::split_lock};  // ACRN_REQUEST_SPLIT_LOCK, VCPU_EVENT_SPLIT_LOCK
  PausingRequest wbinvd_{WaitKind::wbinvd};          // ACRN_REQUEST_WAIT_WBINVD, VCPU_EVENT_SYNC_WBINVD
  void make_pausing_request(PausingRequest& r, const Vcpu& by);
  void signal_pausing_event(PausingRequest& r);
  bool pausing_request_pending() const { return split_lock_.pending || wbinvd_.pending; }
  // acrn_handle_pending_request: ACRN_REQUEST_WAIT_WBINVD, then
  // ACRN_REQUEST_SPLIT_LOCK, each a wait_event.
  void handle_pausing_requests();
  void wait_pausing_event(PausingRequest& r, u64& pauses, TimePs& paused_ps);

  friend class LineWatchers;

  VcpuConfig cfg_;
  TimingParams timing_;
  CoherenceDirectory& dir_;
  LineWatchers& watchers_;
  RunAhead* run_ahead_ = nullptr;
  const ept::EptTable& ept_;
  Tlb tlb_;  // host-side copy of the MMU's L1 dTLB: the fast path
  Mmu mmu_;
  TlbEntry uncached_translation_;        // a translation the dTLB did not keep (no dTLB): used once
  const sc_core::sc_time* kernel_time_;  // the kernel's current time (sc_time_stamp()'s referent)
  TimePs local_ps_ = 0;                  // how far the vCPU runs ahead of the kernel
  TimePs resumed_at_ps_ = 0;             // the kernel's time since the thread last waited (own_now_ps)
  TimePs next_sync_ps_ = 0;              // the quantum boundary it synchronises at
  TimePs boundary_quantum_ps_ = 0;       // the quantum next_sync_ps_ is a multiple of (0: none yet)
  TimePs shared_quantum_ps_ = 0;         // on a shared pCPU: synchronise at least this often (0: not shared)
  // The global quantum's value: tlm_global_quantum's own, which set() changes in place.
  const sc_core::sc_time* quantum_ = &tlm::tlm_global_quantum::instance().get();
  TimePs sync_budget_ps_ = 0;   // local time left before it (0: synchronise at the first charge)
  TimePs asleep_ahead_ps_ = 0;  // asleep since then, ahead of the kernel (fall_asleep_ahead); 0: not
  // Its pCPU's bit in a line's holders and its owner tag (1 + pCPU), for the fast path.
  const CoreMask core_bit_ = CoreMask{1} << cfg_.pcpu;
  const u8 core_tag_ = static_cast<u8>(cfg_.pcpu + 1);
  const u16 core_unwatched_owner_ = CoherenceDirectory::unwatched_owner(core_tag_);
  Program program_;
  bool started_ = false;
  bool finished_ = false;
  TimePs finished_at_ps_ = 0;
  std::function<void()> on_finished_;
  LocalExitCallback local_exit_callback_;
  bool poll_phase_ = false;
  NoiseRng poll_rng_;
  u64 exits_done_ = 0;
  u64 exit_progress_budget_ = 0;
  TimePs last_budgeted_exit_ps_ = 0;

  MissWindow* block_ = nullptr;  // the block copy in progress, if any
  Breakdown cumulative_;
  Breakdown segment_base_;  // cumulative at the last wake-up: what a waiter we wake inherits
  VcpuCounters counters_;

  // Sleeping on a line.
  sc_core::sc_event wake_event_;
  bool woken_ = false;
  Breakdown wake_blame_;
  Wait wait_;  // what it is blocked on, for diagnosis
  sc_core::sc_event never_event_;  // hang_in_hypervisor waits on it; nothing notifies it
  bool idle_loop_ = false;

  // Scheduling.
  PcpuScheduler* sched_ = nullptr;
  SchedEntity entity_;
  sc_core::sc_event sched_event_;
  TimePs slice_end_ = PcpuScheduler::kForever;
  bool preempt_ = false;
  // Inside slice_over: a synchronisation that charging the switch makes
  // and that finds the turn over again asks slice_over to go round once
  // more instead of nesting a switch inside the switch (nested, they pile
  // up on the thread's small stack).
  bool rescheduling_ = false;
  bool reschedule_again_ = false;
  // The reschedule request found this vCPU in the guest: it takes an exit
  // for it (the kick IPI make_reschedule_request sends from another pCPU,
  // or the interrupt of this pCPU's timer that woke the other thread). A
  // request made on this pCPU by a vCPU in an exit (the Service VM's
  // completion of an I/O request, a doorbell), or one that came while this
  // vCPU was in an exit, is served before the next VM entry
  // (need_reschedule), with no exit of its own.
  bool preempt_exits_ = false;
  bool in_exit_ = false;                  // inside exit_to_hypervisor's transaction
  const void* thread_process_ = nullptr;  // its SC_THREAD (sc_process_b), to tell its own wake-ups

  // Interrupts.
  VLapic lapic_;  // requested and in-service interrupts
  bool irq_pending_ = false;
  TimePs irq_at_ps_ = 0;              // delivery time of the earliest pending request
  bool lapic_timer_followed_ = false;  // irq_pending_ includes an armed LAPIC timer (follow_lapic_timer)
  sc_core::sc_event lapic_timer_event_;  // at the armed deadline
  Breakdown irq_blame_;               // critical path up to the delivery, for a waiting vCPU
  const void* irq_sender_ = nullptr;  // the process that sent the earliest one (its sc_process_b)
  bool in_isr_ = false;
  bool nmi_pending_ = false;  // ACRN_REQUEST_NMI
  bool in_nmi_ = false;
  sc_core::sc_event irq_event_;
  // What ends a poller's sleep (a store to the line, an interrupt, the
  // scheduler on a shared pCPU), built once: no allocation per sleep.
  sc_core::sc_event_or_list poll_events_;
  std::map<u8, InterruptHandler> handlers_;
  std::vector<std::unique_ptr<TickSource>> ticks_;
  u32 ticks_due_ = 0;  // one bit per tick source
  bool kick_due_ = false;  // kick_vcpu from another pCPU: an exit at the next boundary
  bool kick_external_ = false;  // that exit is an external interrupt's, even in a LAPIC-passthrough VM
  // In HLT without its exit (LAPIC passthrough): the VMCS stays loaded, so
  // kick_vcpu still reaches the vCPU (sleep_until_interrupt).
  bool halted_in_guest_ = false;
  // A LAPIC-passthrough vCPU's kick that came while it was in the hypervisor
  // (waiting there, its VMCS still loaded): VMX root operation blocks the
  // INIT, which stays pending and exits the guest right after the next VM
  // entry (one, however many came: a pending INIT is a latch).
  bool init_held_ = false;

  // Lifecycle.
  bool zombie_ = false;
  bool shut_down_ = false;
  unsigned launches_ = 0;  // start_vm calls
  unsigned launches_at_zombie_ = 0;
  // reset_vcpu's mode for the next start: INIT_RESET after an INIT IPI.
  bool init_reset_pending_ = false;
  bool awaiting_sipi_ = false;
  unsigned boots_ = 1;
  sc_core::sc_event zombie_event_;
  sc_core::sc_event launch_event_;

  // Reused for every exit and TLB fill: no allocation on those paths.
  tlm::tlm_generic_payload dmi_gp_;
  tlm::tlm_generic_payload exit_gp_;
  VmExitExtension exit_ext_;
  // The hypervisor writes it (Vm::vmcs), RDMSR, WRMSR and RDTSC read it.
  // Last: its 4 KiB MSR bitmap stays out of the hot members' way.
  Vmcs vmcs_;
};

}  // namespace ivsim
