// What a guest program sees: loads and stores to its physical address space,
// port I/O, time spent computing, and polling a location until it changes.
// Deliberately small (it is what the Lua guest binds); everything a driver
// does is built from these, as on a real CPU.
#pragma once

#include "models/cpu/vcpu_module.h"

namespace ivsim {

class Guest {
 public:
  explicit Guest(Vcpu& cpu) : cpu_(cpu) {}

  template <class T>
  T load(Gva va) {
    return cpu_.load<T>(va);
  }
  template <class T>
  void store(Gva va, T v) {
    cpu_.store<T>(va, v);
  }
  void read(Gva va, void* dst, u64 len) { cpu_.read_block(va, dst, len); }
  void write(Gva va, const void* src, u64 len) { cpu_.write_block(va, src, len); }

  // LOCK CMPXCHG on a 4- or 8-byte location: returns its old value.
  u32 cmpxchg32(Gva va, u32 expected, u32 desired) { return static_cast<u32>(cpu_.cmpxchg(va, 4, expected, desired)); }
  u64 cmpxchg64(Gva va, u64 expected, u64 desired) { return cpu_.cmpxchg(va, 8, expected, desired); }

  // Spin on va (size 4 or 8 bytes) until compare(value, cmp, operand).
  u64 wait_until(Gva va, unsigned size, Cmp cmp, u64 operand) { return cpu_.wait_until(va, size, cmp, operand); }

  void compute(u64 cycles) { cpu_.compute(Cycles{cycles}); }
  // Time the guest kernel spends on the program's behalf (an ISR's body, a
  // wake-up, a system call: workloads/guest_os.h), charged to component `c`.
  void kernel_work(Component c, TimePs ps) { cpu_.busy(c, ps); }
  // The costs of this vCPU's core, from the timing profile.
  const TimingParams& timing() const { return cpu_.timing(); }
  // Its HLT woken on its otherwise idle pCPU (Vcpu::idle_wakeup_ps).
  TimePs idle_wakeup_ps() const { return cpu_.idle_wakeup_ps(); }

  // MOV to CR3 (the PML4 table's GPA): the first one switches 4-level paging
  // on, so addresses become guest-virtual (workloads/guest_paging.h builds
  // the tables); each flushes the non-global TLB entries.
  void write_cr3(Gpa pml4) { cpu_.write_cr3(pml4); }
  // What a guest reads from its PMU: accesses, TLB misses, walks, references.
  const VcpuCounters& perf_counters() const { return cpu_.counters(); }

  u8 inb(u16 port) { return static_cast<u8>(cpu_.io_in(port, 1)); }
  u16 inw(u16 port) { return static_cast<u16>(cpu_.io_in(port, 2)); }
  u32 inl(u16 port) { return cpu_.io_in(port, 4); }
  void outb(u16 port, u8 v) { cpu_.io_out(port, 1, v); }
  void outw(u16 port, u16 v) { cpu_.io_out(port, 2, v); }
  void outl(u16 port, u32 v) { cpu_.io_out(port, 4, v); }

  // VMCALL: hypercall `id` (R8) with two parameters (RDI, RSI), often the
  // guest-physical address of a structure; returns RAX (0 or a negative
  // errno). A VM without hypercall rights gets #UD (a GuestFault).
  i64 hypercall(u64 id, u64 param1 = 0, u64 param2 = 0) { return cpu_.hypercall(id, param1, param2); }
  // WRMSR (x2APIC registers, TSC deadline, APIC base), RDMSR; RDTSC at the nominal clock.
  void wrmsr(u32 msr, u64 value) { cpu_.wrmsr(msr, value); }
  u64 rdmsr(u32 msr) { return cpu_.rdmsr(msr); }
  u64 rdtsc() const { return static_cast<u64>(cpu_.tsc()); }
  // CPUID: EAX, EBX, ECX, EDX of a leaf (and subleaf).
  std::array<u32, 4> cpuid(u32 leaf, u32 subleaf = 0) { return cpu_.cpuid(leaf, subleaf); }
  // WBINVD: write back and invalidate the caches, as ACRN emulates it.
  void wbinvd() { cpu_.wbinvd(); }
  // INVD: invalidate the caches without writing them back; ACRN ignores it.
  void invd() { cpu_.invd(); }

  // What a kernel does once per CPU at boot: switch its LAPIC to x2APIC
  // mode (WRMSR IA32_APIC_BASE with EXTD), as Linux does where x2APIC exists.
  void enable_x2apic() { wrmsr(kMsrApicBase, rdmsr(kMsrApicBase) | VLapic::kApicBaseEnable | VLapic::kApicBaseExtd); }
  // The mode this CPU's kernel put its LAPIC in (Linux's x2apic_mode).
  bool x2apic_mode() const { return cpu_.lapic().x2apic(); }
  // This CPU's APIC ID, read as a driver does: the x2APIC ID MSR in x2APIC
  // mode, else the xAPIC ID register at 0xFEE00020 (bits 31:24).
  u32 apic_id() {
    if (x2apic_mode()) return static_cast<u32>(rdmsr(kMsrX2apicId));
    return load<u32>(VLapic::kDefaultBase + 0x20) >> 24;
  }
  static constexpr u32 kMsrApicBase = 0x1B;
  static constexpr u32 kMsrX2apicId = 0x802;

  // The task priority (MOV CR8): interrupts whose class is not above it wait.
  void set_task_priority(u8 tpr) { cpu_.set_task_priority(tpr); }

  // HLT until an interrupt; returns the vector taken.

  u8 halt() { return cpu_.halt(); }
  // Runs `handler` on this vCPU whenever `vector` is taken.
  void on_interrupt(u8 vector, std::function<void(Guest&)> handler) {
    cpu_.on_interrupt(vector, [handler = std::move(handler)](Vcpu& c) {
      Guest g(c);
      handler(g);
    });
  }

  // The VM's RAM below 4 GiB, as the firmware's memory map reports it.
  Gpa ram_base() const { return cpu_.config().ram_base; }
  u64 ram_bytes() const { return cpu_.config().ram_bytes; }
  // A page the guest kernel keeps its own data in, shared by its vCPUs: the
  // top 4 KiB of low RAM (the boot mailbox, kernel locks).
  Gpa kernel_page() const { return page_base(ram_base() + ram_bytes()) - kPageSize4K; }

  VmId vm_id() const { return cpu_.config().vm; }
  unsigned vcpu_index() const { return cpu_.config().index; }
  Timestamp timestamp() const { return cpu_.timestamp(); }
  double now_ns() const { return ps_to_ns(cpu_.now_ps()); }

 private:
  Vcpu& cpu_;
};

}  // namespace ivsim
