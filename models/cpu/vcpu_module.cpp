#include "models/cpu/vcpu_module.h"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

#include <fmt/format.h>

namespace ivsim {

using sc_core::sc_time;

Vcpu::Vcpu(sc_core::sc_module_name name, const VcpuConfig& cfg, const TimingParams& timing, CoherenceDirectory& dir,
           LineWatchers& watchers, const ept::EptTable& ept)
    : sc_module(name),
      mem_socket("mem_socket"),
      exit_socket("exit_socket"),
      cfg_(cfg),
      timing_(timing),
      dir_(dir),
      watchers_(watchers),
      ept_(ept),
      tlb_(kHostTlbEntries),
      mmu_(ept.memory(), &ept, MmuGeometry::from(timing)),
      kernel_time_(&sc_core::sc_time_stamp()),
      lapic_(cfg.apic_id, cfg.index == 0, timing.tsc_clock, cfg.lapic_passthrough ? timing.crystal_khz : 0,
             timing.min_timer_period_ps) {
  if (sc_core::sc_get_time_resolution() != sc_time(1, sc_core::SC_PS))
    throw std::logic_error("ivsim models keep time in picoseconds: the SystemC time resolution must be 1 ps");
  if (cfg.pcpu >= kMaxCores) throw std::invalid_argument("pCPU index beyond the coherence directory");
  SC_HAS_PROCESS(Vcpu);
  SC_THREAD(thread);
  SC_METHOD(lapic_timer_fired);
  sensitive << lapic_timer_event_;
  dont_initialize();
  mem_socket.register_invalidate_direct_mem_ptr(this, &Vcpu::invalidate_direct_mem_ptr);
  exit_socket.register_invalidate_direct_mem_ptr(this, &Vcpu::invalidate_direct_mem_ptr);
  exit_gp_.set_extension(&exit_ext_);
  poll_events_ |= wake_event_;
  poll_events_ |= irq_event_;  // and sched_event_ on a shared pCPU (attach_scheduler)
}

Vcpu::~Vcpu() {
  // The payload would delete an extension it still holds; this one is a member.
  exit_gp_.clear_extension(&exit_ext_);
}

void Vcpu::thread() {
  thread_process_ = sc_core::sc_get_current_process_b();
  // Done for good: it acts no more.
  struct Gone {
    RunAhead* r;
    ~Gone() {
      if (r) r->fall_asleep();
    }
  } gone{run_ahead_};
  if (cfg_.offline) return;
  if (cfg_.not_started) {
    wait_ = Wait{WaitKind::start, 0, 0, nullptr};
    {
      RunAhead::Asleep asleep(run_ahead_);
      while (!shut_down_ && launches_ == 0) sc_core::wait(launch_event_);
    }
    note_kernel_time();
    wait_ = Wait{};
    if (shut_down_) return mark_finished();
  }
  for (;;) {
    try {
      run_once();
      return;
    } catch (const VcpuZombie&) {
      // Paused: the instruction in progress never completes, its time ahead
      // of the kernel is dropped; wait for the VM to start again (or to be
      // shut down).
      local_ps_ = 0;
      asleep_ahead_ps_ = 0;
      resumed();
      schedule_out(false);
      if (awaiting_sipi_) wait_ = Wait{WaitKind::sipi, 0, 0, nullptr};
      {
        RunAhead::Asleep asleep(run_ahead_);
        while (!shut_down_ && launches_ == launches_at_zombie_) sc_core::wait(launch_event_);
      }
      note_kernel_time();
      if (shut_down_) {
        mark_finished();
        return;
      }
      power_on_reset();
    }
  }
}

void Vcpu::stale_kernel_time() const {
  fmt::print(stderr, "ivsim: internal error: {} runs at the kernel's time of {} ps, the kernel is at {} ps\n", name(),
             resumed_at_ps_, kernel_ps());
  std::abort();
}

void Vcpu::mark_finished() {
  finished_ = true;
  finished_at_ps_ = now_ps();
  if (on_finished_) on_finished_();
}

void Vcpu::run_once() {
  restart_ticks();
  if (program_) {
    started_ = true;
    schedule_in(false, kLaunch);
    segment_base_ = cumulative_;
    const TimePs program_start = now_ps();
    program_(*this);
    sync();
    mark_finished();
    if (trace::Sink* t = trace::sink()) t->program(trace_cpu(), program_start, finished_at_ps_);
    schedule_out(false);
  } else if (!lapic_.x2apic()) {
    // A vCPU that runs no program is one the guest kernel brought up and
    // left idle before the simulated window, its LAPIC in x2APIC mode as
    // every program's vCPU sets it at bring-up (Guest::enable_x2apic), so
    // its VM's mode is whole (update_vm_vlapic_state).
    lapic_.write_apic_base(lapic_.apic_base() | VLapic::kApicBaseExtd);
  }
  if (idle_loop_) idle();  // else: nothing more to simulate on this vCPU
}

TlbEntry* Vcpu::translate(Gva va, bool write, Gpa& gpa) {
  if (TlbEntry* e = tlb_hit(va, write)) return e;
  const u64 vpn = va >> kPageShift4K;
  const Translation& t = mmu_.translate(va, write);
  if (t.dtlb_evicted) tlb_.invalidate(t.evicted_va >> kPageShift4K, t.evicted_size >> kPageShift4K);
  time_walk(t);
  gpa = t.gpa;
  switch (t.status) {
    case Translation::Status::ok:
      break;
    case Translation::Status::ept_violation:
      return nullptr;
    case Translation::Status::guest_fault:
      throw std::runtime_error(fmt::format("guest page fault: {} of GVA {:#x} (stopped at guest level {})",
                                           write ? "write" : "read", va, static_cast<unsigned>(t.fault_level)));
    case Translation::Status::table_ept_violation:
      throw std::runtime_error(
          fmt::format("guest paging structure at GPA {:#x} is not in EPT-mapped RAM (GVA {:#x})", t.fault_gpa, va));
    case Translation::Status::ept_misconfig: {
      // Only the Service VM, through its UC mapping of the EPT pools, can
      // write such an entry. The exit's handler fails and the vCPU thread
      // injects #GP: exit_to_hypervisor throws it.
      u8 none[8] = {};
      exit_to_hypervisor(ExitReason::ept_misconfig, t.gpa, 1, write, none);
      throw std::logic_error("an EPT misconfiguration exit returned without a fault");
    }
  }

  // "Virtualize APIC accesses" takes an access to the APIC-access page
  // before memory (SDM Vol. 3C 29.4): it is the virtual LAPIC's
  // (access_line). ACRN sets the control in init_exec_ctrl and clears it in
  // switch_apicv_mode_x2apic; then the access reaches the page.
  if (vmcs_.virtualize_apic_accesses && page_base(t.hpa) == vmcs_.apic_access_addr) return nullptr;
  const Hpa hpa_page = page_base(t.hpa);
  dmi_gp_.set_address(hpa_page);
  dmi_gp_.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  tlm::tlm_dmi dmi;
  if (!mem_socket->get_direct_mem_ptr(dmi_gp_, dmi) || dmi.get_start_address() > hpa_page ||
      dmi.get_end_address() < hpa_page + kPageSize4K - 1)
    throw std::logic_error("host memory refused DMI for a mapped page");
  // The fast path may only hit what the dTLB holds.
  TlbEntry& e = t.in_dtlb ? tlb_.slot(vpn) : uncached_translation_;
  e.vpn = t.in_dtlb ? vpn : ~u64{0};
  e.host_page = dmi.get_dmi_ptr() + (hpa_page - dmi.get_start_address());
  e.lines = dir_.page(hpa_page);
  e.hpa_page = hpa_page;
  e.set_access(t.writable, t.uncached);
  return &e;
}

void Vcpu::time_walk(const Translation& t) {
  if (t.source == Translation::Source::dtlb) return;
  ++counters_.tlb_misses;
  if (t.source == Translation::Source::stlb) {
    ++counters_.stlb_hits;
    charge(Component::tlb, timing_.stlb_hit_ps);
    return;
  }
  ++counters_.walks;
  counters_.walk_refs += t.refs;
  // The walker's references are memory reads by this core, one after another.
  for (unsigned i = 0; i < t.refs; ++i) {
    const Hpa ref = t.ref[i].hpa;
    LineState& l = dir_.page(ref)->line[page_offset(ref) >> kCacheLineShift];
    charge(Component::walk, dir_.load(l, cfg_.pcpu, now_ps()).ps);
  }
}

void Vcpu::write_cr3(u64 cr3) {
  mmu_.write_cr3(cr3);
  // Global entries stay in the dTLB; the host-side copy refills them from it at no simulated cost.
  tlb_.flush();
}

namespace {

// A line access's bytes: a block copy's whole lines and register-sized
// accesses as fixed-size copies (a few vector or scalar moves), not a call.
inline void copy_access(u8* dst, const u8* src, unsigned size) {
  if (size == kCacheLineBytes)
    std::memcpy(dst, src, kCacheLineBytes);
  else if (size == 8)
    std::memcpy(dst, src, 8);
  else
    std::memcpy(dst, src, size);
}

}  // namespace

// UC (or WC) memory type: no caching, every access goes to memory in
// program order. Nothing combines uncached accesses, so a block copy's line
// is register-sized pieces, each its own memory access (as each is its own
// exit on a trapped window: access_line). A write-back mapping of the same
// line elsewhere (another guest maps the region write-back) keeps its
// ordering and wake-ups: a read comes after a write another core made ahead
// in its quantum, and a store wakes the line's pollers and invalidates every
// cached copy (CoherenceDirectory::uncached). Out of line: the write-back
// path's loops stay small.
void Vcpu::uncached_access(TlbEntry& e, u64 off, LineState& l, u8* buf, unsigned size, bool write) {
  sync();
  if (write) {
    std::memcpy(e.host_page + off, buf, size);
    l.last_write_ps = now_ps();
    if (l.watched) watchers_.notify(l, *this, cumulative_ - segment_base_, local_ps_);
  } else {
    wait_for_future_write(l);
    std::memcpy(buf, e.host_page + off, size);
  }
  for (unsigned piece = 0; piece < (size + 7) / 8; ++piece) {
    const AccessCost c = dir_.uncached(l, cfg_.pcpu, now_ps(), write);
    if (c.queue_ps) charge(Component::queue, c.queue_ps);
    charge(c.component, c.ps - c.queue_ps);
  }
}

// Inlined into the block copies' loops and the scalar slow path: as a call it
// saved and restored most callee-saved registers for every line.
[[gnu::always_inline]] inline void Vcpu::coherent_access(TlbEntry& e, Gva va, u8* buf, unsigned size, bool write) {
  const u64 off = page_offset(va);
  LineState& l = e.lines->line[off >> kCacheLineShift];
  if (e.uncached()) {
    uncached_access(e, off, l, buf, size, write);
    return;
  }
  order_access(l, write);
  if (write) {
    ++counters_.stores;
    // Only a block write can cover a whole line: it needs no read-for-ownership.
    const AccessCost c = dir_.store(l, cfg_.pcpu, own_now_ps(), size == kCacheLineBytes);
    copy_access(e.host_page + off, buf, size);
    if (l.watched) watchers_.notify(l, *this, cumulative_ - segment_base_, local_ps_);
    charge_line(c);
  } else {
    ++counters_.loads;
    const AccessCost c = dir_.load(l, cfg_.pcpu, own_now_ps());
    copy_access(buf, e.host_page + off, size);
    charge_line(c);
  }
}

bool Vcpu::apic_page_write(Gpa gpa, const u8* buf, unsigned size) {
  // TPR, EOI, ICR_HI and self-IPI writes on the APIC-access page are
  // virtualized without an exit (SDM Vol. 3C, "Virtualizing Memory-Mapped
  // APIC Accesses": TPR virtualization, and with virtual-interrupt delivery,
  // which ACRN enables where the CPU has it, EOI and self-IPI
  // virtualization). An EOI changes nothing the twin keeps: its handlers end
  // with their own.
  constexpr Gpa kApicPage = VLapic::kDefaultBase;
  constexpr u64 kTpr = 0x80, kEoi = 0xB0;
  if (gpa < kApicPage || gpa + size > kApicPage + kPageSize4K || lapic_.x2apic() || size != 4 || (gpa & 3))
    return false;
  const u64 offset = gpa - kApicPage;
  u32 v = 0;
  std::memcpy(&v, buf, 4);
  // ICR_HI: the CPU clears its bytes 2:0, no exit; ICR_LO: a fixed
  // physical self-IPI of a vector of 16 or more, with no reserved bit set,
  // is self-IPI virtualization, anything else an APIC-write exit (SDM Vol.
  // 3C 29.4.3.2). The bits checked besides the vector: reserved 31:20,
  // 17:16 and 13, the delivery status (12), the shorthand (19:18, self
  // 01b), the destination mode (11, physical 0) and the delivery mode
  // (10:8, fixed 000b); the level and trigger mode (14, 15) are not.
  constexpr u32 kIcrChecked = 0xFFFF'3F00u;
  constexpr u32 kShorthandSelf = 1u << 18;
  const bool self_ipi = offset == kApicIcrLow && (v & kIcrChecked) == kShorthandSelf && (v & 0xF0u) != 0;
  if (offset != kTpr && offset != kEoi && offset != kApicIcrHigh && !self_ipi)
    return false;  // the others exit (Vcpu::exit_mmio: apic_write or apic_access)
  if (offset == kTpr) {
    set_task_priority(static_cast<u8>(v));
  } else if (offset == kApicIcrHigh) {
    lapic_.write_icr_high(v & 0xFF00'0000u);
  } else if (self_ipi) {
    lapic_.write_icr(v);
    raise_interrupt(static_cast<u8>(v), now_ps(), cumulative_ - segment_base_, IrqPath::local);
  }
  ++counters_.stores;
  charge(Component::cache, timing_.l1_hit_ps);  // a write of the virtual-APIC page
  return true;
}

bool Vcpu::apic_page_read(Gpa gpa, u8* buf, unsigned size) {
  constexpr Gpa kApicPage = VLapic::kDefaultBase;
  if (gpa < kApicPage || gpa + size > kApicPage + kPageSize4K || lapic_.x2apic() || size != 4 || (gpa & 3))
    return false;
  const u32 offset = static_cast<u32>(gpa - kApicPage);
  // The others (PPR, the CMCI LVT, the current count) go to the
  // hypervisor's APIC-access handler.
  if (!xapic_read_virtualized(offset)) return false;
  const u32 v = lapic_.page_register(offset);
  std::memcpy(buf, &v, 4);
  ++counters_.loads;
  charge(Component::cache, timing_.l1_hit_ps);  // a read of the virtual-APIC page
  return true;
}

void Vcpu::order_access(LineState& l, bool write) {
  if (CoherenceDirectory::involves_other_core(l, cfg_.pcpu, write) || l.watched) {
    // No other core can touch the line before this access's time when none
    // could act at all. A line two or more pollers watch (a store wakes them
    // together, in the kernel's order) or a write in this core's future
    // goes through the kernel.
    if ((!l.watched || watchers_.waking(l, *this) <= 1) && l.last_write_ps <= own_now_ps() && may_run_ahead()) {
      run_ahead();
      return;
    }
    sync();
    if (!write) wait_for_future_write(l);
  }
}

void Vcpu::wait_for_future_write(const LineState& l) {
  // A line written in this core's future by a core running ahead in its
  // quantum: the read is ordered after that write.
  if (l.last_write_ps <= now_ps()) return;
  const TimePs d = l.last_write_ps - now_ps();
  cumulative_.add(Component::coherence, d);
  sc_core::wait(sc_time::from_value(d));
  resumed();
}

u64 Vcpu::cmpxchg(Gva va, unsigned size, u64 expected, u64 desired) {
  boundary();
  if (size != 4 && size != 8) throw std::invalid_argument("cmpxchg: 4 or 8 bytes");
  // Misaligned within one line, it is an ordinary cache lock; across two
  // lines, a split lock: a bus lock.
  if ((va & (kCacheLineBytes - 1)) + size > kCacheLineBytes) return bus_locked_cmpxchg(va, size, expected, desired);
  Gpa gpa;
  TlbEntry* e = translate(va, true, gpa);
  if (!e) throw std::runtime_error(fmt::format("guest LOCK CMPXCHG at GVA {:#x}, which is not RAM", va));
  if (e->uncached()) return bus_locked_cmpxchg(va, size, expected, desired);
  const u64 off = page_offset(va);
  LineState& l = e->lines->line[off >> kCacheLineShift];
  // The read and the write happen with no simulated time between them, so no
  // other vCPU can act in between: the access is atomic.
  order_access(l, true);
  ++counters_.loads;
  ++counters_.stores;
  const AccessCost c = dir_.store(l, cfg_.pcpu, now_ps());
  u64 old = 0;
  std::memcpy(&old, e->host_page + off, size);
  if (old == expected) std::memcpy(e->host_page + off, &desired, size);
  if (l.watched) watchers_.notify(l, *this, cumulative_ - segment_base_, local_ps_);
  charge_line(c);
  return old;
}

// A locked read-modify-write no cache can lock, split across two lines or to
// UC memory: the processor asserts LOCK# and no other agent reaches memory
// until it is done (SDM Vol. 3A 9.1.2, "Bus Locking"), at the profile's
// bus_lock cost. It reads and writes each line as a store does (taking the
// line Modified, or, uncached, invalidating every copy). It does not fault:
// ACRN turns on split-lock #AC and UC-lock #GP only with
// CONFIG_SPLIT_LOCK_DETECTION_ENABLED / CONFIG_UC_LOCK_DETECTION_ENABLED
// (both n by default; enable_ac_for_splitlock, enable_gp_for_uclock), and
// then emulates the instruction for a guest that did not ask for the
// exception (emulate_lock_instr): an exit, the VM's other vCPUs kicked, the
// instruction stepped (MTF) without its LOCK prefix, so with no bus lock.
// Modelled for a split lock (below); a UC lock, or a split lock on a CPU the
// model map does not know, locks the bus and warn_lock_detection says ACRN
// may not have.
u64 Vcpu::bus_locked_cmpxchg(Gva va, unsigned size, u64 expected, u64 desired) {
  struct Piece {
    u8* host = nullptr;
    LineState* line = nullptr;
    bool uncached = false;
    unsigned bytes = 0;
  };
  Piece pieces[2];
  unsigned count = 0;
  for (unsigned done = 0; done < size; ++count) {
    const Gva a = va + done;
    const unsigned n = std::min<unsigned>(size - done, kCacheLineBytes - (a & (kCacheLineBytes - 1)));
    Gpa gpa;
    // Copied out: the next translation may replace this TLB entry.
    const TlbEntry* e = translate(a, true, gpa);
    if (!e) throw std::runtime_error(fmt::format("guest LOCK CMPXCHG at GVA {:#x}, which is not RAM", va));
    const u64 off = page_offset(a);
    pieces[count] = {e->host_page + off, &e->lines->line[off >> kCacheLineShift], e->uncached(), n};
    done += n;
  }
  // Ordered as a cache lock's lines are (order_access): a core with lines of
  // its own runs on ahead in its quantum, so the other cores' requests the
  // model sees after it find the lock (CoherenceDirectory::bus_lock). UC
  // memory is ordered as every uncached access is.
  const bool uncached = pieces[0].uncached || (count > 1 && pieces[1].uncached);
  // Under ACRN's split-lock #AC (VcpuConfig::split_lock_emulated) the split
  // lock faults before it locks anything; the exception bitmap makes that
  // an exit (init_exec_ctrl sets IDT_AC when is_ac_enabled), and
  // emulate_lock_instr, for a guest that did not set the #AC bit of its own
  // MSR_TEST_CTL, skips the LOCK prefix (inst_len = 1). At VM entry the
  // instruction runs as a plain CMPXCHG, a read and a write of each line
  // through the caches, and LOCK# is never asserted. In a VM of several
  // vCPUs the exit's handler first kicks the others
  // (vcpu_kick_lock_instr_emulation: they wait in the hypervisor,
  // Vcpu::handle_pausing_requests) and the entry sets the monitor trap
  // flag: the step ends in an MTF exit, whose handler lets them go on.
  const bool emulated = !uncached && cfg_.split_lock_emulated;
  bool stepped = false;  // the handler set the monitor trap flag
  if (emulated) {
    u8 unused[8] = {};
    exit_to_hypervisor(ExitReason::exception_or_nmi, va, size, false, unused);
    stepped = exit_ext_.lock_instr == VmExitExtension::LockInstrStep::kick;
  }
  if (uncached) {
    sync();
    for (unsigned i = 0; i < count; ++i) wait_for_future_write(*pieces[i].line);
  } else {
    for (unsigned i = 0; i < count; ++i) order_access(*pieces[i].line, true);
  }
  // LOCK# waits for another core's bus lock to end, then holds the others'
  // requests beyond their L2s for its own.
  if (!emulated) {
    ++counters_.bus_locks;
    warn_lock_detection(uncached);
    const TimePs waited = dir_.bus_lock(cfg_.pcpu, now_ps(), timing_.bus_lock_ps);
    if (waited) charge(Component::queue, waited);
  }
  u8 bytes[8] = {};
  unsigned at = 0;
  for (unsigned i = 0; i < count; ++i) {
    std::memcpy(bytes + at, pieces[i].host, pieces[i].bytes);
    at += pieces[i].bytes;
  }
  u64 old = 0;
  std::memcpy(&old, bytes, size);
  if (old == expected) std::memcpy(bytes, &desired, size);
  ++counters_.loads;
  ++counters_.stores;
  at = 0;
  for (unsigned i = 0; i < count; ++i) {
    LineState& l = *pieces[i].line;
    std::memcpy(pieces[i].host, bytes + at, pieces[i].bytes);
    at += pieces[i].bytes;
    if (pieces[i].uncached) {
      dir_.uncached(l, cfg_.pcpu, now_ps(), true);
      l.last_write_ps = now_ps();
    } else {
      const AccessCost c = dir_.store(l, cfg_.pcpu, now_ps());
      if (emulated) charge_line(c);  // an unlocked store's own cost; a bus lock's is bus_lock
    }
    if (l.watched) watchers_.notify(l, *this, cumulative_ - segment_base_, local_ps_);
  }
  if (!emulated) charge(Component::coherence, timing_.bus_lock_ps);
  if (stepped) {
    u8 unused[8] = {};
    exit_to_hypervisor(ExitReason::monitor_trap, va, size, false, unused);
  }
  return old;
}

unsigned Vcpu::access_line(Gva va, u8* buf, unsigned size, bool write, unsigned rest) {
  Gpa gpa;
  TlbEntry* e = translate(va, write, gpa);
  if (e) {
    coherent_access(*e, va, buf, size, write);
    return size;
  }
  // The APIC-access page in xAPIC mode: register reads come from the
  // virtual-APIC page without an exit (APIC-register virtualization), and
  // TPR and EOI writes go to it too.
  if (write ? apic_page_write(gpa, buf, size) : apic_page_read(gpa, buf, size)) return size;
  // EPT violation: the hypervisor decodes the instruction, so an access
  // across a line boundary within the page is one trapped access of its
  // full size (hv_emulate_mmio sees it whole); a block copy's lines are
  // register-sized pieces, each trapped on its own.
  size += rest;
  for (unsigned done = 0; done < size;) {
    const unsigned n = std::min(8u, size - done);
    u64 v = 0;
    if (write) std::memcpy(&v, buf + done, n);
    v = exit_mmio(gpa + done, n, write, v);
    if (!write) std::memcpy(buf + done, &v, n);
    done += n;
  }
  return size;
}

u64 Vcpu::read_slow(Gva va, unsigned size) {
  u8 buf[8] = {};
  for (unsigned done = 0; done < size;) {
    const Gva a = va + done;
    const unsigned n = std::min<unsigned>(size - done, kCacheLineBytes - (a & (kCacheLineBytes - 1)));
    done += access_line(a, buf + done, n, false, same_page_rest(a, n, size - done));
  }
  u64 v = 0;
  std::memcpy(&v, buf, size);
  return v;
}

void Vcpu::write_slow(Gva va, unsigned size, u64 value) {
  u8 buf[8];
  std::memcpy(buf, &value, sizeof buf);
  for (unsigned done = 0; done < size;) {
    const Gva a = va + done;
    const unsigned n = std::min<unsigned>(size - done, kCacheLineBytes - (a & (kCacheLineBytes - 1)));
    done += access_line(a, buf + done, n, true, same_page_rest(a, n, size - done));
  }
}

namespace {

// Makes a block copy's line accesses overlap for as long as it is in scope
// (and restores an enclosing block's window, should an interrupt handler copy).
class BlockScope {
 public:
  BlockScope(MissWindow*& current, MissWindow& window) : current_(current), outer_(current) { current_ = &window; }
  ~BlockScope() { current_ = outer_; }
  BlockScope(const BlockScope&) = delete;
  BlockScope& operator=(const BlockScope&) = delete;

 private:
  MissWindow*& current_;
  MissWindow* outer_;
};

}  // namespace

// Block copies: one access per cache line touched, their L1D misses
// overlapping in the core's fill buffers (models/cpu/miss_window.h). Page
// walks, trapped and uncached lines are not overlapped.
void Vcpu::read_block(Gva va, void* dst, u64 len) {
  MissWindow window(timing_.mlp, timing_.l1_load_line_ps);
  BlockScope scope(block_, window);
  auto* out = static_cast<u8*>(dst);
  while (len > 0) {
    const unsigned n = static_cast<unsigned>(std::min<u64>(len, kCacheLineBytes - (va & (kCacheLineBytes - 1))));
    block_line(va, out, n, false);
    va += n;
    out += n;
    len -= n;
  }
}

void Vcpu::write_block(Gva va, const void* src, u64 len) {
  MissWindow window(timing_.mlp, timing_.l1_store_line_ps);
  BlockScope scope(block_, window);
  const auto* in = static_cast<const u8*>(src);
  u8 line[kCacheLineBytes];
  while (len > 0) {
    const unsigned n = static_cast<unsigned>(std::min<u64>(len, kCacheLineBytes - (va & (kCacheLineBytes - 1))));
    if (n == kCacheLineBytes)
      std::memcpy(line, in, kCacheLineBytes);  // a whole line: a fixed-size copy
    else
      std::memcpy(line, in, n);
    block_line(va, line, n, true);
    va += n;
    in += n;
    len -= n;
  }
}

void Vcpu::compute(Cycles c) {
  boundary();
  TimePs left = timing_.core_clock.to_ps(c);
  // Long work is charged a quantum at a time so that an interrupt arriving
  // meanwhile is taken near its delivery time, as a real core would.
  const TimePs quantum = sync_quantum_ps();
  while (left > 0) {
    TimePs step = std::min(left, quantum > 0 ? quantum : left);
    if (irq_pending_ && irq_at_ps_ > now_ps()) step = std::min(step, irq_at_ps_ - now_ps());
    charge(Component::compute, step);
    left -= step;
    boundary();
  }
}

void Vcpu::invalidate_direct_mem_ptr(sc_dt::uint64, sc_dt::uint64) {
  // The hypervisor edited this VM's EPT (ept_flush_guest): every cached
  // translation and DMI pointer of this vCPU may be stale.
  mmu_.flush_all();
  tlb_.flush();
  // ept_flush_guest makes the request of every vCPU (vcpu_make_request:
  // ACRN_REQUEST_EPT_FLUSH), and kick_vcpu kicks one running its guest on
  // another pCPU out of it: the request is served before its next VM entry.
  if (sc_core::sc_get_current_process_b() != thread_process_) kick();
}

void Vcpu::kick(TimePs at_ps) {
  // kick_vcpu signals the pCPU whose loaded VMCS (vmcs_run) is the vCPU's:
  // one in its guest exits. One halted by its HLT's exit, waiting for its
  // pCPU or for an I/O request, or not started is in no guest to exit (the
  // signal at most wakes its pCPU's idle loop) and takes the request at its
  // next entry; a LAPIC-passthrough one's INIT then exits after that entry
  // (init_held_). One halted in its guest (LAPIC passthrough) gets the INIT,
  // which exits the halt without waking the guest (sleep_until_interrupt),
  // so it is no interrupt request.
  if (!acrn_running()) return;
  if (wait_.kind == WaitKind::interrupt && halted_in_guest_) {
    kick_due_ = true;
    pending_activity::notify(irq_event_, sc_core::SC_ZERO_TIME);
    return;
  }
  if (wait_.kind != WaitKind::none && wait_.kind != WaitKind::line) {
    // In the hypervisor: HLT exited, or waiting for an I/O request, for
    // another vCPU's split-lock step or its WBINVD. A LAPIC-passthrough vCPU's VMCS is
    // still loaded on its own pCPU (vmcs_run), so its INIT comes and is held.
    if (cfg_.lapic_passthrough && (wait_.kind == WaitKind::interrupt || wait_.kind == WaitKind::io_request ||
                                   wait_.kind == WaitKind::split_lock || wait_.kind == WaitKind::wbinvd))
      init_held_ = true;
    return;
  }
  kick_due_ = true;
  if (!irq_pending_ || at_ps < irq_at_ps_) {
    irq_at_ps_ = at_ps;
    irq_blame_ = Breakdown{};  // the edit is not on this vCPU's message path
    irq_blame_.add(Component::compute, 1);
    irq_sender_ = nullptr;
  }
  irq_pending_ = true;
  pending_activity::notify(irq_event_, sc_core::SC_ZERO_TIME);
}

void Vcpu::init_signal() {
  // Only a LAPIC-passthrough VM's MSIs become physical IPIs; kick_pcpu's
  // INIT for such a vCPU is the same signal.
  if (cfg_.lapic_passthrough) kick();
}

void Vcpu::host_interrupt(bool nmi) {
  if (lapic_passed_through() || !acrn_running()) return;
  if (wait_.kind != WaitKind::none && wait_.kind != WaitKind::line) return;
  kick();
  kick_external_ = true;
  // ACRN_REQUEST_NMI, injected at the VM entry after the exit.
  if (nmi) raise_interrupt(kNmiVector, kernel_ps(), Breakdown{}, IrqPath::local, true);
}

}  // namespace ivsim
