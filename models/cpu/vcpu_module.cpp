#include "models/cpu/vcpu_module.h"

#include <algorithm>
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
      mmu_(ept.memory(), &ept, MmuGeometry::from(timing)) {
  if (sc_core::sc_get_time_resolution() != sc_time(1, sc_core::SC_PS))
    throw std::logic_error("ivsim models keep time in picoseconds: the SystemC time resolution must be 1 ps");
  if (cfg.pcpu >= kMaxCores) throw std::invalid_argument("pCPU index beyond the coherence directory");
  SC_HAS_PROCESS(Vcpu);
  SC_THREAD(thread);
  mem_socket.register_invalidate_direct_mem_ptr(this, &Vcpu::invalidate_direct_mem_ptr);
  exit_socket.register_invalidate_direct_mem_ptr(this, &Vcpu::invalidate_direct_mem_ptr);
  exit_gp_.set_extension(&exit_ext_);
}

Vcpu::~Vcpu() {
  // The payload would delete an extension it still holds; this one is a member.
  exit_gp_.clear_extension(&exit_ext_);
}

void Vcpu::thread() {
  if (!program_) return;  // an idle vCPU: nothing to simulate
  started_ = true;
  schedule_in();
  segment_base_ = cumulative_;
  program_(*this);
  sync();
  finished_ = true;
  schedule_out(false);
}

void Vcpu::attach_scheduler(PcpuScheduler& s) {
  sched_ = &s;
  entity_.name = name();
  entity_.owner = this;
  s.add(entity_);
}

void Vcpu::schedule_in(bool inside_exit) {
  if (!sched_ || entity_.running) return;
  qk_.sync();
  const TimePs t0 = now_ps();
  const bool preempt = sched_->wake(entity_, t0);
  if (SchedEntity* cur = sched_->current()) {
    // The runner re-evaluates its slice; with priority or BVT it yields now.
    auto* runner = static_cast<Vcpu*>(cur->owner);
    if (preempt) runner->preempt_ = true;
    runner->sched_event_.notify(sc_core::SC_ZERO_TIME);
  }
  while (sched_->current() != nullptr || sched_->pick_next() != &entity_) sc_core::wait(sched_event_);
  const u64 switches = entity_.context_switches;
  slice_end_ = sched_->switch_in(entity_, now_ps());
  const bool switched = entity_.context_switches != switches;
  if (inside_exit) {
    // The exit measures its own duration: the switch just takes time.
    if (switched) sc_core::wait(sc_time::from_value(timing_.context_switch_ps));
    return;
  }
  // Runnable but not running: the hypervisor's scheduler decided.
  cumulative_.add(Component::hv, now_ps() - t0);
  if (switched) charge(Component::hv, timing_.context_switch_ps);
}

void Vcpu::schedule_out(bool stays_runnable) {
  if (!sched_ || !entity_.running) return;
  preempt_ = false;
  if (SchedEntity* next = sched_->switch_out(entity_, now_ps(), stays_runnable))
    static_cast<Vcpu*>(next->owner)->sched_event_.notify(sc_core::SC_ZERO_TIME);
}

void Vcpu::slice_over() {
  if (!preempt_ && !sched_->others_runnable(entity_)) {
    slice_end_ = sched_->renew_slice(entity_, now_ps());
    return;
  }
  schedule_out(true);
  schedule_in();
}

std::string Vcpu::waiting_on() const {
  if (!waiting_) return "";
  return fmt::format("polling GVA {:#x}", waiting_va_);
}

TlbEntry* Vcpu::translate(Gva va, bool write, Gpa& gpa) {
  const u64 vpn = va >> kPageShift4K;
  if (TlbEntry* e = tlb_.lookup(vpn)) {
    if (!write || e->writable) return e;
  }
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
  }

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
  e.writable = t.writable;
  e.uncached = t.uncached;
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
    charge(Component::walk, dir_.load(l, cfg_.pcpu).ps);
  }
}

void Vcpu::write_cr3(u64 cr3) {
  mmu_.write_cr3(cr3);
  // Global entries stay in the dTLB; the host-side copy refills them from it at no simulated cost.
  tlb_.flush();
}

void Vcpu::coherent_access(TlbEntry& e, Gva va, u8* buf, unsigned size, bool write) {
  const u64 off = page_offset(va);
  LineState& l = e.lines->line[off >> kCacheLineShift];
  if (e.uncached) {
    // UC memory type: no caching, every access goes to memory in program order.
    sync();
    if (write)
      std::memcpy(e.host_page + off, buf, size);
    else
      std::memcpy(buf, e.host_page + off, size);
    charge(Component::dram, timing_.dram_ps);
    return;
  }
  if (CoherenceDirectory::involves_other_core(l, cfg_.pcpu, write) || l.watched) {
    sync();
    // A line written in this core's future by a core running ahead in its
    // quantum: the read is ordered after that write.
    if (!write && l.last_write_ps > now_ps()) {
      const TimePs d = l.last_write_ps - now_ps();
      cumulative_.add(Component::coherence, d);
      sc_core::wait(sc_time::from_value(d));
    }
  }
  if (write) {
    ++counters_.stores;
    // Only a block write can cover a whole line: it needs no read-for-ownership.
    const AccessCost c = dir_.store(l, cfg_.pcpu, now_ps(), size == kCacheLineBytes);
    std::memcpy(e.host_page + off, buf, size);
    if (l.watched) watchers_.notify(l, *this, cumulative_ - segment_base_, qk_.get_local_time().value());
    charge_line(c);
  } else {
    ++counters_.loads;
    const AccessCost c = dir_.load(l, cfg_.pcpu);
    std::memcpy(buf, e.host_page + off, size);
    charge_line(c);
  }
}

void Vcpu::access_line(Gva va, u8* buf, unsigned size, bool write) {
  Gpa gpa;
  TlbEntry* e = translate(va, write, gpa);
  if (e) {
    coherent_access(*e, va, buf, size, write);
    return;
  }
  // EPT violation: each register-sized piece is its own trapped access.
  for (unsigned done = 0; done < size;) {
    const unsigned n = std::min(8u, size - done);
    u64 v = 0;
    if (write) std::memcpy(&v, buf + done, n);
    v = exit_mmio(gpa + done, n, write, v);
    if (!write) std::memcpy(buf + done, &v, n);
    done += n;
  }
}

u64 Vcpu::read_slow(Gva va, unsigned size) {
  u8 buf[8] = {};
  for (unsigned done = 0; done < size;) {
    const Gva a = va + done;
    const unsigned n = std::min<unsigned>(size - done, kCacheLineBytes - (a & (kCacheLineBytes - 1)));
    access_line(a, buf + done, n, false);
    done += n;
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
    access_line(a, buf + done, n, true);
    done += n;
  }
}

void Vcpu::charge_line(const AccessCost& c) {
  if (block_)
    charge(c.component, block_->add(c.ps, c.miss));
  else
    charge(c.component, c.ps);
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
    access_line(va, out, n, false);
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
    std::memcpy(line, in, n);
    access_line(va, line, n, true);
    va += n;
    in += n;
    len -= n;
  }
}

namespace {

// Splits `amount` over the components in proportion to `weights`, exactly
// (largest remainder), so a breakdown still sums to its interval.
Breakdown apportion(TimePs amount, const Breakdown& weights) {
  Breakdown out;
  const TimePs total = weights.total();
  if (total == 0) {
    out.add(Component::coherence, amount);
    return out;
  }
  std::array<unsigned __int128, kComponentCount> rem{};
  TimePs assigned = 0;
  for (std::size_t i = 0; i < kComponentCount; ++i) {
    const unsigned __int128 p = static_cast<unsigned __int128>(amount) * weights.ps[i];
    out.ps[i] = static_cast<TimePs>(p / total);
    rem[i] = p % total;
    assigned += out.ps[i];
  }
  for (TimePs left = amount - assigned; left > 0; --left) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < kComponentCount; ++i)
      if (rem[i] > rem[best]) best = i;
    ++out.ps[best];
    rem[best] = 0;
  }
  return out;
}

}  // namespace

u64 Vcpu::wait_until(Gva va, unsigned size, Cmp cmp, u64 operand) {
  for (;;) {
    const u64 v = read_scalar(va, size);
    if (compare(v, cmp, operand)) return v;
    sync();
    TlbEntry* e = tlb_.lookup(va >> kPageShift4K);
    if (!e || e->uncached) continue;  // a trapped or uncached location is polled access by access
    LineState& l = e->lines->line[page_offset(va) >> kCacheLineShift];
    // Lost our copy while synchronising: somebody wrote it, look again.
    if (!(l.holders & (CoreMask{1} << cfg_.pcpu))) continue;

    waiting_ = true;
    waiting_va_ = va;
    woken_ = false;
    const TimePs t0 = now_ps();
    watchers_.watch(l, *this);
    for (;;) {
      // A poller keeps its pCPU: on a shared pCPU it spins until its slice
      // ends, and the peer it waits for runs only then.
      const bool bounded = sched_ && slice_end_ != PcpuScheduler::kForever && sched_->others_runnable(entity_);
      if (bounded && now_ps() >= slice_end_) break;
      if (bounded)
        sc_core::wait(sc_time::from_value(slice_end_ - now_ps()), wake_event_ | irq_event_ | sched_event_);
      else
        sc_core::wait(wake_event_ | irq_event_ | sched_event_);
      if (woken_ || (irq_pending_ && now_ps() >= irq_at_ps_) || preempt_) break;
    }
    watchers_.unwatch(l, *this);
    waiting_ = false;
    // Waiting time is the critical path through whoever ended it: charge it
    // in the proportions of the writer's work since the writer last woke
    // (or of the interrupt's path, if an interrupt came first); time spun
    // to the end of a slice is the core's own work.
    Breakdown spinning;
    spinning.add(Component::compute, 1);
    const bool by_irq = irq_pending_ && now_ps() >= irq_at_ps_;
    cumulative_ += apportion(now_ps() - t0, woken_ ? wake_blame_ : by_irq ? irq_blame_ : spinning);
    segment_base_ = cumulative_;
    if (sched_ && (preempt_ || now_ps() >= slice_end_)) slice_over();
    boundary();
  }
}

void Vcpu::compute(Cycles c) {
  boundary();
  TimePs left = timing_.core_clock.to_ps(c);
  // Long work is charged a quantum at a time so that an interrupt arriving
  // meanwhile is taken near its delivery time, as a real core would.
  const TimePs quantum = tlm::tlm_global_quantum::instance().get().value();
  while (left > 0) {
    TimePs step = std::min(left, quantum > 0 ? quantum : left);
    if (irq_pending_ && irq_at_ps_ > now_ps()) step = std::min(step, irq_at_ps_ - now_ps());
    charge(Component::compute, step);
    left -= step;
    boundary();
  }
}

void Vcpu::raise_interrupt(u8 vector, TimePs sent_at_ps, const Breakdown& blame, bool local) {
  if (!lapic_.accept(vector)) return;  // a reserved vector: the LAPIC drops it
  // A local source (this vCPU's own LAPIC timer or self-IPI) is injected at
  // VM entry; a remote one needs a notification (or a physical IPI).
  const TimePs delivery = local                    ? 0
                          : cfg_.lapic_passthrough ? timing_.irq_lapic_pt_delivery_ps
                                                   : timing_.irq_posted_delivery_ps;

  const TimePs at = sent_at_ps + delivery;
  if (!irq_pending_ || at < irq_at_ps_) {
    irq_at_ps_ = at;
    irq_blame_ = blame;
    irq_blame_.add(Component::irq, delivery);
  }
  irq_pending_ = true;
  const TimePs kernel = sc_core::sc_time_stamp().value();
  irq_event_.notify(sc_time::from_value(at > kernel ? at - kernel : 0));
}

void Vcpu::take_interrupts() {
  if (in_isr_ || now_ps() < irq_at_ps_) return;
  in_isr_ = true;
  // Handlers run with interrupts off; each ends with an EOI, so a request
  // of a class the handler was blocking is taken right after it.
  while (lapic_.deliverable() >= 0) {
    const u8 vector = lapic_.acknowledge();
    ++counters_.interrupts;
    charge(Component::irq, timing_.isr_entry_ps);
    auto h = handlers_.find(vector);
    if (h != handlers_.end()) h->second(*this);
    lapic_.eoi();
  }
  in_isr_ = false;
  // Requests masked by the task priority stay pending for a later boundary.
  irq_pending_ = lapic_.deliverable() >= 0;
}

u8 Vcpu::halt() {
  // HLT exits; the hypervisor takes the vCPU off its pCPU until an
  // interrupt arrives, then schedules it back (hlt_wakeup: wake + VM entry).
  sync();
  ++counters_.exits[static_cast<std::size_t>(ExitReason::hlt)];
  const TimePs t0 = now_ps();
  schedule_out(false);  // a halted vCPU yields its pCPU
  while (!irq_pending_) sc_core::wait(irq_event_);
  if (irq_at_ps_ > now_ps()) sc_core::wait(sc_time::from_value(irq_at_ps_ - now_ps()));
  cumulative_ += apportion(now_ps() - t0, irq_blame_);
  segment_base_ = cumulative_;
  schedule_in();

  charge(Component::irq, timing_.hlt_wakeup_ps);
  const int vector = lapic_.deliverable();
  take_interrupts();
  return static_cast<u8>(vector < 0 ? 0 : vector);
}

void LineWatchers::notify(LineState& line, const Vcpu& writer, const Breakdown& blame, TimePs delay_ps) {
  for (const Entry& w : entries_) {
    if (w.line != &line || w.vcpu == &writer || w.vcpu->woken_) continue;
    w.vcpu->woken_ = true;
    w.vcpu->wake_blame_ = blame;
    w.vcpu->wake_event_.notify(sc_time::from_value(delay_ps));
  }
}

u64 Vcpu::exit_mmio(Gpa gpa, unsigned size, bool write, u64 value) {
  u8 buf[8];
  std::memcpy(buf, &value, sizeof buf);
  exit_to_hypervisor(ExitReason::ept_violation, gpa, size, write, buf);
  u64 out = 0;
  std::memcpy(&out, buf, size);
  return out;
}

u32 Vcpu::io_in(u16 port, unsigned size) {
  boundary();

  u8 buf[4] = {};
  exit_to_hypervisor(ExitReason::io_instruction, port, size, false, buf);
  u32 v = 0;
  std::memcpy(&v, buf, size);
  return v;
}

void Vcpu::io_out(u16 port, unsigned size, u32 value) {
  boundary();

  u8 buf[4];
  std::memcpy(buf, &value, sizeof buf);
  exit_to_hypervisor(ExitReason::io_instruction, port, size, true, buf);
}

u64 Vcpu::hypercall(u64 nr) {
  boundary();
  u8 buf[8];
  std::memcpy(buf, &nr, sizeof buf);
  exit_to_hypervisor(ExitReason::vmcall, nr, 8, false, buf);
  u64 result = 0;
  std::memcpy(&result, buf, sizeof result);
  return result;
}

void Vcpu::wrmsr(u32 msr, u64 value) {
  boundary();
  u8 buf[8];
  std::memcpy(buf, &value, sizeof buf);
  exit_to_hypervisor(ExitReason::msr_write, msr, 8, true, buf);
}

void Vcpu::exit_to_hypervisor(ExitReason reason, u64 addr, unsigned size, bool write, u8* data) {
  // The hypervisor acts on state other vCPUs share (EPT, devices, other
  // VMs' interrupts): exits are handled in simulated-time order.
  sync();
  ++counters_.exits[static_cast<std::size_t>(reason)];
  exit_ext_.source = this;
  exit_ext_.vm = cfg_.vm;

  exit_ext_.vcpu = cfg_.index;
  exit_ext_.reason = reason;
  exit_ext_.cost = Breakdown{};
  exit_ext_.start_ps = now_ps();
  exit_ext_.segment = cumulative_ - segment_base_;
  exit_gp_.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  exit_gp_.set_address(addr);
  exit_gp_.set_data_ptr(data);
  exit_gp_.set_data_length(size);
  exit_gp_.set_streaming_width(size);
  exit_gp_.set_byte_enable_ptr(nullptr);
  exit_gp_.set_dmi_allowed(false);
  exit_gp_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_time delay = sc_core::SC_ZERO_TIME;
  const TimePs kernel_before = sc_core::sc_time_stamp().value();
  exit_socket->b_transport(exit_gp_, delay);
  if (exit_gp_.is_response_error())
    throw std::logic_error("the hypervisor model failed an exit: " + exit_gp_.get_response_string());
  // An exit served by the Service VM's device model waits inside b_transport.
  const TimePs waited = sc_core::sc_time_stamp().value() - kernel_before;
  if (waited + delay.value() != exit_ext_.cost.total())
    throw std::logic_error("exit cost breakdown does not add up to the time the exit took");
  cumulative_ += exit_ext_.cost;
  qk_.inc(delay);
  if (qk_.need_sync()) sync();
}

void Vcpu::invalidate_direct_mem_ptr(sc_dt::uint64, sc_dt::uint64) {
  // INVEPT (or a host mapping change): every cached translation and DMI
  // pointer of this vCPU may be stale.
  mmu_.flush_all();
  tlb_.flush();
}

}  // namespace ivsim
