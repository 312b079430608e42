#include "models/hv/hypervisor.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "models/hv/ivshmem_device.h"

namespace ivsim {

namespace {

constexpr u64 kVmxExitReasonInvd = 0x0D;  // VMX_EXIT_REASON_INVD (SDM Vol. 3D, Appendix C)

// The ranges ACRN's ept_add_mr / ept_del_mr edit for any base and size a
// guest's BAR can give (pgtable_add_map, pgtable_modify_or_del_map in
// hypervisor/arch/x86/pagetable.c): the base rounded up to a page, the size
// rounded down (vaddr_end = vaddr + round_page_down(size)), nothing when
// that end is not above the base (empty, or wrapped past 2^64), and the
// tables indexed by GPA bits 47:0 only, so a range above the EPT's reach
// lands on its alias below it. Each piece: its GPA, size, and offset from
// the rounded base.
struct EditPiece {
  Gpa gpa;
  u64 size;
  u64 offset;
};
std::vector<EditPiece> acrn_edit_pieces(Gpa base, u64 size) {
  std::vector<EditPiece> out;
  const Gpa start = (base + kPageSize4K - 1) & ~(kPageSize4K - 1);  // wraps as ACRN's round_page_up does
  const Gpa end = start + (size & ~(kPageSize4K - 1));
  for (Gpa g = start; g < end && end > start;) {
    const Gpa alias = g & (ept::kGpaLimit - 1);
    const u64 n = std::min<u64>(end - g, ept::kGpaLimit - alias);
    out.push_back({alias, n, g - start});
    g += n;
  }
  return out;
}

// A port I/O request's value: the low half of vcpu->req's (acrn_pio_request's is 32 bits).
u64 with_pio_value(u64 req_value, u64 pio_value) {
  return (req_value & ~u64{0xFFFF'FFFFu}) | static_cast<u32>(pio_value);
}

}  // namespace

Hypervisor::Hypervisor(HostMemory& mem, const TimingParams& timing, unsigned max_vm_num)
    : mem_(mem), timing_(timing), max_vm_num_(max_vm_num) {
  vms_.resize(max_vm_num);
}

Hypervisor::~Hypervisor() = default;

Vm& Hypervisor::create_vm(VmId id, const std::string& name, VmLoadOrder order, Hpa ept_pool_hpa, u64 ept_pool_bytes,
                          ept::LargePages large) {
  if (id >= max_vm_num_) throw std::invalid_argument("VM id not below MAX_VM_NUM");
  if (vms_[id]) throw std::invalid_argument("VM id already in use");
  auto vm = std::make_unique<Vm>();
  vm->id = id;
  vm->name = name;
  vm->load_order = order;
  vm->ept_pool = std::make_unique<ept::PagePool>(mem_, ept_pool_hpa, ept_pool_bytes);
  vm->ept = std::make_unique<ept::EptTable>(mem_, *vm->ept_pool, large);
  vm->mmio = MmioRegistry(max_emulated_mmio_);
  // init_vpci's ECAM node, then vioapic_init's. The hypervisor serves ECAM
  // accesses ahead of every other node (handle_exit), as node 0 decides
  // them; the twin has no vIOAPIC, so its node is taken and not served.
  // No exit is being handled, so a node that does not fit (only with
  // MAX_EMULATED_MMIO 1) goes without ACRN's boot-time pr_info.
  vm->mmio.add(kEcamBase, kEcamSize, nullptr, 0);
  if (order == VmLoadOrder::service_vm) {
    for (Gpa a : platform_ioapics_) vm->mmio.add(a, kVioapicSize, nullptr, 0);
  } else {
    vm->mmio.add(kVioapicBase, kVioapicSize, nullptr, 0);
  }
  vms_[id] = std::move(vm);
  return *vms_[id];
}

bool Hypervisor::register_mmio_emulation_handler(Vm& vm, Gpa base, u64 size, MmioHandler* handler, unsigned tag) {
  if (vm.mmio.add(base, size, handler, tag)) return true;
  ++vm.mmio_registrations_failed;
  log_no_match_mmio_node(vm, 0, 0);
  return false;
}

void Hypervisor::unregister_mmio_emulation_handler(Vm& vm, Gpa base, u64 size) {
  if (!vm.mmio.remove(base, size)) log_no_match_mmio_node(vm, base, base + size);
}

void Hypervisor::log_no_match_mmio_node(const Vm& vm, Gpa start, Gpa end) {
  hv_log(LogSeverity::info,
         fmt::format("find_match_mmio_node, vm[{}] no match mmio region [0x{:x}, 0x{:x}] is found", vm.id, start, end));
}

std::vector<Vm*> Hypervisor::vms() const {
  std::vector<Vm*> out;
  for (const auto& v : vms_)
    if (v) out.push_back(v.get());
  return out;
}

void Hypervisor::init_ivshmem_pool(Hpa base, const std::vector<IvshmemRegionPool::RegionSpec>& specs) {
  pool_ = std::make_unique<IvshmemRegionPool>(base, specs, max_vm_num_);
}

bool Hypervisor::handle_exit(VmExitExtension& exit, u64 addr, unsigned size, bool write, u8* data, IoRequest& forward) {
  Vm* vm = this->vm(exit.vm);
  if (!vm) throw std::logic_error("VM exit from a VM the hypervisor does not know");
  ++vm->exits[static_cast<std::size_t>(exit.reason)];
  cost_ = &exit.cost;
  exit_ = &exit;
  cost_->add(Component::exit, timing_.vm_exit_entry_ps);
  u64 value = 0;
  if (write) std::memcpy(&value, data, size);
  bool handled = true;
  // vcpu->req, which MMIO, APIC-access and port I/O exits share.
  u64& req_value = vm->io_req_value_of(exit.vcpu);

  switch (exit.reason) {
    case ExitReason::ept_violation: {
      // The hypervisor fetches and decodes the faulting instruction to learn
      // the access (ACRN's instr_emul), then looks the GPA up.
      charge_hv(timing_.mmio_decode_ps);
      // ept_violation_vmexit_handler: a write's value is the register's
      // (emulate_instruction, vie_mmio_write), whatever happens next; a read
      // starts from what the previous request left, and a handler that
      // serves it overwrites that.
      if (write)
        req_value = value;
      else
        value = req_value;
      // hv_emulate_mmio: the first registered range that overlaps the
      // access decides (init_vpci registers the ECAM window before any
      // BAR); one that only partly covers it fails the exit with -EIO (a
      // pr_fatal), and the vCPU thread injects #GP (vcpu_thread:
      // vcpu_inject_gp).
      const bool in_ecam = addr >= kEcamBase && addr + size <= kEcamBase + kEcamSize;
      const bool touches_ecam = addr < kEcamBase + kEcamSize && addr + size > kEcamBase;
      bool straddles = touches_ecam && !in_ecam;
      const MmioRegistry::Range* r = touches_ecam ? nullptr : vm->mmio.find(addr, size, straddles);
      if (straddles) {
        hv_log(LogSeverity::fatal, fmt::format("Err MMIO, address:0x{:x}, size:{:x}", addr, size));
        exit.inject(kVectorGp, "#GP: an MMIO access only partly inside an emulated range (hv_emulate_mmio: -EIO)");
      } else if (in_ecam) {
        charge_hv(timing_.hv_mmio_handler_ps);
        handled = handle_ecam(*vm, addr, size, write, value, forward);
      } else if (r) {
        charge_hv(timing_.hv_mmio_handler_ps);
        if (write)
          r->handler->mmio_write(r->tag, addr, size, value);
        else
          r->handler->mmio_read(r->tag, addr, size, value);
      } else if (vm->load_order == VmLoadOrder::post_launched) {
        // emulate_io: no hypervisor handler, so the device model gets it.
        handled = false;
        forward = IoRequest{IoRequest::Type::mmio, vm->id, exit.vcpu, addr, {}, 0, size, write, value};
      } else {
        // No device claims it and there is no device model: reads see
        // all-ones of their size (mmio_default_access_handler's
        // MMIO_DEFAULT_VALUE_SIZE_n), writes vanish.
        ++vm->unhandled_mmio;
        if (!write) value = ~u64{0} >> (64 - 8 * size);
        record_isolation(vm->id, fmt::format("GPA {:#x}", addr), "no_mapping");
      }
      break;
    }
    case ExitReason::apic_access:
      // apic_access_vmexit_handler: decodes and emulates the instruction.
      charge_hv(timing_.mmio_decode_ps);
      charge_hv(timing_.hv_mmio_handler_ps);
      value = apic_access(*vm, exit.vcpu, static_cast<u32>(addr - VLapic::kDefaultBase), write, value);
      break;
    case ExitReason::apic_write:
      // apic_write_vmexit_handler: the offset from the exit qualification,
      // the value already in the page; no decode.
      charge_hv(timing_.apic_write_handler_ps);
      apic_write(*vm, exit.vcpu, static_cast<u32>(addr - VLapic::kDefaultBase), static_cast<u32>(value));
      break;
    case ExitReason::io_instruction:
      charge_hv(timing_.hv_pio_handler_ps);
      // pio_instr_vmexit_handler: a write's value is RAX's, masked to its
      // size; the port handlers set a read's. Either is the low half of
      // vcpu->req's value (acrn_pio_request's value is 32 bits).
      if (write)
        req_value = with_pio_value(req_value, value);
      else
        value = static_cast<u32>(req_value);
      handled = handle_pio(*vm, static_cast<u16>(addr), size, write, value, forward);
      if (handled && !write) req_value = with_pio_value(req_value, value);
      break;
    case ExitReason::vmcall:
      // Dispatch (the in-hypervisor floor), then the handler's own work
      // (EPT edits) charged as it happens.
      charge_hv(timing_.hypercall_handler_ps);
      value = static_cast<u64>(vmcall(*vm, exit.vcpu, addr, exit.param1, exit.param2, &exit));
      break;
    case ExitReason::msr_write: {
      // Under LAPIC passthrough the ICR is the one x2APIC register still
      // intercepted (vlapic_x2apic_pt_icr_access): ACRN puts the sender's
      // whole exit at pt_icr_write, the world switch (vm_exit_entry) included.
      const bool pt_icr = vm->lapic_pt && addr == kX2apicIcr && vm->vlapics.at(exit.vcpu)->x2apic();
      const TimePs pt_handler =
          timing_.pt_icr_write_ps > timing_.vm_exit_entry_ps ? timing_.pt_icr_write_ps - timing_.vm_exit_entry_ps : 0;
      charge_hv(pt_icr ? pt_handler : timing_.apic_write_handler_ps);
      handle_msr_write(*vm, exit.vcpu, static_cast<u32>(addr), value, exit);
      break;
    }
    case ExitReason::msr_read:
      charge_hv(timing_.msr_read_handler_ps);
      value = handle_msr_read(*vm, exit.vcpu, static_cast<u32>(addr), exit);
      break;
    case ExitReason::cpuid:
      charge_hv(timing_.cpuid_handler_ps);
      cpuid(*vm, exit.vcpu, static_cast<u32>(addr), exit.cpuid_subleaf, exit.cpuid_regs);
      break;
    case ExitReason::exception_or_nmi:
      // exception_vmexit_handler -> emulate_lock_instr: a guest that set
      // the #AC bit of its own MSR_TEST_CTL (is_guest_ac_enabled) asked for
      // the exception, which is queued back to it (vcpu_queue_exception,
      // RIP kept). The twin has no UC-lock #GP (is_gp_enabled false), which
      // would otherwise have the #AC emulated all the same.
      if (vm->guest_msrs.at(exit.vcpu).test_ctl & kMsrTestCtlSplitLockAc) {
        exit.inject(kVectorAc, "#AC: a split lock under the guest's own split-lock detection (MSR_TEST_CTL bit 29)");
        break;
      }
      // Otherwise, for the split-lock #AC of a guest that did not ask for
      // it (the only exception the twin intercepts), it reads the
      // instruction's first byte (copy_from_gva) and, a LOCK prefix, sets
      // the guest's instruction length to 1, so the VM entry skips the
      // prefix and the instruction runs unlocked. The fetch is priced as an
      // MMIO exit's fetch and decode, its nearest figure (an upper bound:
      // nothing is decoded here). In a VM of several vCPUs it then kicks the
      // others to stop them until the instruction is done
      // (vcpu_kick_lock_instr_emulation), and sets the monitor trap flag so
      // that the VM entry steps that one instruction.
      charge_hv(timing_.mmio_decode_ps);
      if (vm->vcpu_count > 1) exit.lock_instr = VmExitExtension::LockInstrStep::kick;
      break;
    case ExitReason::monitor_trap:
      // mtf_vmexit_handler: the step is over; it clears the flag and, after
      // a lock's step, lets the VM's other vCPUs go on
      // (vcpu_complete_lock_instr_emulation). A VMCS write and a loop over
      // the vCPUs, no published cost of their own: the exit's round trip
      // (vm_exit_entry) is what it costs here.
      if (vm->lock_instr_emulation_by == exit.vcpu) exit.lock_instr = VmExitExtension::LockInstrStep::complete;
      break;
    case ExitReason::wbinvd:
      // wbinvd_vmexit_handler: with no RT VM (and no Software SRAM, which
      // the twin does not model) a physical WBINVD on the pCPU
      // (flush_invalidate_all_cache), which empties the LLC the RT work of
      // other VMs would share; with one, only the VM's own memory is
      // flushed, line by line through its EPT, and a VM that is not the RT
      // VM holds its other vCPUs meanwhile (its wbinvd_lock). The flush is
      // done at the handler's time (HypervisorModule::wbinvd_emulation).
      exit.wbinvd = !has_rt_vm() ? VmExitExtension::WbinvdStep::host
                    : vm->rt_vm  ? VmExitExtension::WbinvdStep::own_memory
                                 : VmExitExtension::WbinvdStep::own_memory_paused;
      break;
    case ExitReason::ept_misconfig:
      // ept_misconfig_vmexit_handler logs the addresses (pr_fatal; the
      // guest-linear address field is undefined for this exit, SDM Vol. 3C
      // 28.2.1, and the twin prints 0 with ACRN's width), then asserts that
      // its status, -EINVAL, is 0. A release build compiles the ASSERT out
      // and returns -EINVAL: the vCPU thread injects #GP (vcpu_inject_gp).
      // A debug build's asm_assert logs the failure, dumps the host stack
      // and the guest context, and spins with PAUSE forever: the vCPU never
      // resumes and its pCPU never schedules another thread.
      hv_log(LogSeverity::fatal, fmt::format("ept_misconfig_vmexit_handler, Guest linear address: 0x{:016x} ", 0));
      hv_log(LogSeverity::fatal, fmt::format("ept_misconfig_vmexit_handler, Guest physical address: 0x{:016x} ", addr));
      if (log_.debug_build()) {
        hv_log(LogSeverity::acrn, "Assertion failed in file arch/x86/guest/ept.c,line 300 : fatal error");
        exit.hang = "ASSERT in ept_misconfig_vmexit_handler (arch/x86/guest/ept.c, line 300)";
      } else {
        exit.inject(kVectorGp, "#GP: EPT misconfiguration (ept_misconfig_vmexit_handler: -EINVAL)");
      }
      break;
    case ExitReason::invd:
      // dispatch_table[VMX_EXIT_REASON_INVD] is unhandled_vmexit_handler: it
      // logs the exit (two pr_fatal and a pr_err, compiled out of a release
      // build) and returns 0, and the VM entry then skips the instruction
      // (run_vcpu adds inst_len to RIP). Nothing is invalidated: the
      // modified lines INVD would drop on the host, other VMs' included,
      // stay. The exit's round trip (vm_exit_entry) and the log are all it
      // costs. The twin's guests have no instruction pointer: the RIP prints
      // as 0 with ACRN's width; INVD's exit qualification is 0.
      hv_log(LogSeverity::fatal, fmt::format("Error: Unhandled VM exit condition from guest at 0x{:016x} ", 0));
      hv_log(LogSeverity::fatal, fmt::format("Exit Reason: 0x{:016x} ", kVmxExitReasonInvd));
      hv_log(LogSeverity::error, fmt::format("Exit qualification: 0x{:016x} ", 0));
      record_isolation(vm->id, fmt::format("the caches (INVD from vCPU {})", exit.vcpu), "invd_ignored");
      break;
    case ExitReason::hlt:
    // The timer's interrupt is handled in the hypervisor without a round trip
    // here: the vCPU charges it locally (vcpu_module_ticks.cpp).
    case ExitReason::external_interrupt:
    case ExitReason::init_signal:
    case ExitReason::count:
      break;
  }

  // An MMIO or APIC-access exit the hypervisor completed leaves its value
  // in vcpu->req (a write's, or what served the read); a faulting one
  // leaves only a write's, set above.
  if (handled && !exit.fault && (exit.reason == ExitReason::ept_violation || exit.reason == ExitReason::apic_access))
    req_value = value;
  if (exit.fault) ++vm->faults_injected;
  if (handled && !write && !exit.fault) std::memcpy(data, &value, size);
  // A request for the device model waits in its handler (acrn_insert_request:
  // wait_event) until acrn-dm completes it: the callback comes after that
  // (HypervisorModule::b_transport).
  if (handled) console_vmexit_callback(exit, exit.start_ps + exit.cost.total());
  cost_ = nullptr;
  exit_ = nullptr;
  return handled;
}

TimePs Hypervisor::console_vmexit_callback(VmExitExtension& exit, TimePs now_ps) {
  if (!console_.armed) return 0;
  const Vm* vm = this->vm(exit.vm);
  // is_lapic_pt_enabled: configured, and the guest has switched to x2APIC
  // mode since its last reset.
  if (!vm || exit.vcpu >= vm->vcpu_pcpus.size() || vm->vcpu_pcpus[exit.vcpu] != console_.pcpu ||
      exit.vcpu >= vm->vlapics.size() || !is_lapic_pt(*vm, exit.vcpu))
    return 0;
  // tsc - prev_tsc > TICKS_PER_MS * CONSOLE_KICK_TIMER_TIMEOUT
  if (now_ps <= console_.next_ps) return 0;
  console_.next_ps = now_ps + console_.period_ps;
  exit.console_kick = true;
  exit.cost.add(Component::hv, console_.read_ps);
  return console_.read_ps;
}

void Hypervisor::hv_log(LogSeverity severity, const std::string& text) {
  if (!exit_) return;
  const Vm* vm = this->vm(exit_->vm);
  const unsigned pcpu = vm && exit_->vcpu < vm->vcpu_pcpus.size() ? vm->vcpu_pcpus[exit_->vcpu] : 0;
  Breakdown blame;
  const TimePs now = exit_now(blame);
  // create_vcpu names the vCPU's thread "vm%hu:vcpu%hu".
  charge_hv(log_.log(severity, pcpu, fmt::format("vm{}:vcpu{}", exit_->vm, exit_->vcpu), now, text));
}

void Hypervisor::complete_ioreq(const VmExitExtension& exit, const IoRequest& req) {
  Vm* vm = this->vm(exit.vm);
  if (!vm) return;
  u64& v = vm->io_req_value_of(exit.vcpu);
  v = exit.reason == ExitReason::io_instruction ? with_pio_value(v, req.value) : req.value;
}

bool Hypervisor::has_rt_vm() const {
  for (const auto& vm : vms_)
    if (vm && vm->rt_vm) return true;
  return false;
}

TimePs Hypervisor::wbinvd_host(Vm& vm, unsigned vcpu, TimePs now_ps) {
  ++vm.wbinvd_host;
  if (!caches_ || vcpu >= vm.vcpu_pcpus.size()) return 0;
  const FlushCount n = caches_->wbinvd(vm.vcpu_pcpus[vcpu]);
  vm.wbinvd_lines_invalidated += n.lines;
  vm.wbinvd_lines_written_back += n.written_back;
  // The Modified lines go to memory at its peak rate; the invalidation of
  // the clean ones is not timed (no published figure for walking the
  // arrays): a lower bound.
  const TimePs t = n.written_back * timing_.memory_line_ps;
  vm.wbinvd_ps += t;
  caches_->flush_write_backs(vm.vcpu_pcpus[vcpu], now_ps, now_ps + t, n.written_back);
  return t;
}

TimePs Hypervisor::flush_vm_memory(Vm& vm, unsigned vcpu, TimePs now_ps) {
  ++vm.wbinvd_own_memory;
  u64 lines = 0;
  FlushCount n;
  for (const ept::EptTable::Mapping& m : vm.ept->mappings(0, ept::kGpaLimit)) {
    if (ept::mem_type_of(m.entry) == ept::MemType::UC) continue;  // ept_flush_leaf_page skips EPT_UNCACHED
    lines += m.size >> kCacheLineShift;
    vm.wbinvd_flushed_bytes += m.size;
    if (caches_) {
      const FlushCount f = caches_->flush_lines(m.hpa, m.hpa + m.size);
      n.lines += f.lines;
      n.written_back += f.written_back;
    }
  }
  vm.wbinvd_lines_invalidated += n.lines;
  vm.wbinvd_lines_written_back += n.written_back;
  // flush_cache_range issues one CLFLUSHOPT per line, unordered among
  // themselves: each a request to the line's LLC slice, which looks it up
  // and invalidates it wherever it is, overlapping as misses do (mlp in
  // flight, each an LLC hit's latency); a Modified line's write-back
  // takes memory's peak rate. Whichever of the two is slower sets the pace.
  const TimePs issue = lines * timing_.llc_hit_ps / std::max(1u, timing_.mlp);
  const TimePs t = std::max(issue, n.written_back * timing_.memory_line_ps);
  vm.wbinvd_ps += t;
  if (caches_ && vcpu < vm.vcpu_pcpus.size())
    caches_->flush_write_backs(vm.vcpu_pcpus[vcpu], now_ps, now_ps + t, n.written_back);
  return t;
}

void Hypervisor::wbinvd_pause_others(Vm& vm, unsigned vcpu) {
  vm.wbinvd_by = vcpu;
  if (lifecycle_.wait_wbinvd) lifecycle_.wait_wbinvd(vm, vcpu);
}

void Hypervisor::wbinvd_resume_others(Vm& vm, unsigned vcpu) {
  if (lifecycle_.sync_wbinvd) lifecycle_.sync_wbinvd(vm, vcpu);
  vm.wbinvd_by.reset();
}

void Hypervisor::vcpu_kick_lock_instr_emulation(Vm& vm, unsigned vcpu) {
  vm.lock_instr_emulation_by = vcpu;
  if (lifecycle_.kick_lock_instr_emulation) lifecycle_.kick_lock_instr_emulation(vm, vcpu);
}

void Hypervisor::vcpu_complete_lock_instr_emulation(Vm& vm, unsigned vcpu) {
  if (lifecycle_.complete_lock_instr_emulation) lifecycle_.complete_lock_instr_emulation(vm, vcpu);
  vm.lock_instr_emulation_by.reset();
}

bool Hypervisor::handle_ecam(Vm& vm, u64 addr, unsigned size, bool write, u64& value, IoRequest& forward) {
  // ECAM: bus in bits 27:20, device 19:15, function 14:12, register 11:0.
  const u64 off = addr - kEcamBase;
  const pci::Bdf bdf = pci::Bdf::from_value(static_cast<u16>(off >> 12));
  const u32 reg = static_cast<u32>(off & 0xFFF);
  // vpci_mmio_cfg_access: an access pci_is_valid_access refuses reads
  // all-ones here, never reaching a device or the device model. The value
  // is a uint32_t ~0U whatever the size (an 8-byte read gets its upper
  // half zero), and all of it goes into the request's value.
  if ((size != 1 && size != 2 && size != 4) || reg % size != 0) {
    if (!write) value = u64{0xFFFF'FFFFu};
    return true;
  }
  // The whole 4 KiB of a function, extended space included, is the vdev's
  // (its cfgdata is PCIE_CONFIG_SPACE_SIZE) or the device model's.
  if (vm.vpci.find(bdf) || vm.load_order != VmLoadOrder::post_launched) {
    if (write)
      vm.vpci.cfg_write(bdf, reg, size, static_cast<u32>(value));
    else
      value = vm.vpci.cfg_read(bdf, reg, size);
    return true;
  }
  forward = IoRequest{IoRequest::Type::pci_config, vm.id, exit_ ? exit_->vcpu : 0u, addr, bdf, reg, size, write, value};
  return false;
}

bool Hypervisor::handle_pio(Vm& vm, u16 port, unsigned size, bool write, u64& value, IoRequest& forward) {
  // register_reset_port_handler: 0x64 and 0xCF9 for every VM but a
  // post-launched one that is not an RTVM (acrn-dm emulates those).
  if ((port == kResetControlPort || port == kKeyboardPort) &&
      (vm.load_order != VmLoadOrder::post_launched || vm.rt_vm)) {
    if (handle_reset_port(vm, port, size, write, value)) return true;
    forward = IoRequest{IoRequest::Type::port_io, vm.id, exit_ ? exit_->vcpu : 0u, port, {}, 0, size, write, value};
    return false;
  }
  if (VPci::claims_port(port, size)) {
    if (port < VPci::kConfigData) {  // the address latch
      if (!write) {
        value = vm.vpci.pio_read(port, size);
        return true;
      }
      vm.vpci.pio_write(port, size, static_cast<u32>(value));
      // vpci_pio_cfgaddr_write: a post-launched VM's 4-byte address write for
      // a BDF with no hypervisor vdev is also its device model's (the HSM
      // keeps its own latch for the config requests that follow,
      // handle_cf8cfc): the exit goes on to the Service VM.
      const pci::Bdf bdf = pci::Bdf::from_value(static_cast<u16>((value >> 8) & 0xFFFF));
      if (vm.load_order == VmLoadOrder::post_launched && port == VPci::kConfigAddress && size == 4 &&
          !vm.vpci.find(bdf)) {
        forward = IoRequest{IoRequest::Type::port_io, vm.id, exit_ ? exit_->vcpu : 0u, port, {}, 0, size, write, value};
        return false;
      }
      return true;
    }
    pci::Bdf bdf;
    u32 reg = 0;
    if (!vm.vpci.take_data_port_target(port, size, bdf, reg)) {
      if (!write) value = u64{0xFFFF'FFFFu};  // vpci_pio_cfgdata_read's ~0U
      return true;
    }
    // A post-launched VM's devices that the hypervisor does not emulate
    // live in its device model: vpci_read_cfg / vpci_write_cfg find no vdev
    // and return -ENODEV, and the port access goes to the Service VM as it
    // came (hv_emulate_pio's PIO request), where the HSM's own latch of the
    // address write makes it a config request (handle_cf8cfc).
    if (vm.load_order == VmLoadOrder::post_launched && !vm.vpci.find(bdf)) {
      forward = IoRequest{IoRequest::Type::port_io, vm.id, exit_ ? exit_->vcpu : 0u, port, {}, 0, size, write, value};
      return false;
    }
    if (write)
      vm.vpci.cfg_write(bdf, reg, size, static_cast<u32>(value));
    else
      value = vm.vpci.cfg_read(bdf, reg, size);
    return true;
  }
  if (vm.load_order == VmLoadOrder::post_launched) {
    forward = IoRequest{IoRequest::Type::port_io, vm.id, exit_ ? exit_->vcpu : 0u, port, {}, 0, size, write, value};
    return false;
  }
  ++vm.unhandled_pio;
  if (!write) value = ~u64{0} >> (64 - 8 * size);  // pio_default_read: all-ones of its width
  return true;
}

TimePs Hypervisor::exit_now(Breakdown& blame) const {
  // Outside an exit (tests, set-up) things happen at time 0 with no cause.
  if (!exit_) return 0;
  blame = exit_->segment;
  blame += exit_->cost;
  return exit_->start_ps + exit_->cost.total();
}

void Hypervisor::record_isolation(VmId vm, std::string target, std::string reason) {
  ++isolation_counts_[reason];
  if (isolation_.size() < kMaxIsolationEvents) isolation_.push_back({vm, std::move(target), std::move(reason)});
}

ept::EditResult Hypervisor::ept_add_mr(Vm& vm, Hpa hpa, Gpa gpa, u64 size, u64 prot) {
  ept::EditResult r;
  const Hpa hpa_start = round_up(hpa, kPageSize4K);
  for (const EditPiece& p : acrn_edit_pieces(gpa, size)) {
    const ept::EditResult e = vm.ept->add_mr(hpa_start + p.offset, p.gpa, p.size, prot);
    r.pages_4k_mapped += e.pages_4k_mapped;
    r.pages_2m_mapped += e.pages_2m_mapped;
    r.pages_1g_mapped += e.pages_1g_mapped;
    r.present.insert(r.present.end(), e.present.begin(), e.present.end());
    // pgtable_add_map leaves a present entry alone with a pr_fatal, one per
    // entry: add_pte's per 4 KiB page, add_pde's or add_pdpte's per large leaf.
    for (const auto& [level, at] : e.present) {
      const char* entry = level == ept::Level::pt ? "pte" : level == ept::Level::pd ? "pde" : "pdpte";
      hv_log(LogSeverity::fatal, fmt::format("add_{}, {} 0x{:x} is already present!\n", entry, entry, at));
    }
  }
  charge_hv(timing_.ept_edit_ps * (r.pages_4k_mapped + r.pages_2m_mapped + r.pages_1g_mapped));
  invept(vm);
  return r;
}

// ept_del_mr and ept_modify_mr: pgtable_modify_or_del_map on each piece,
// ept_edit per leaf changed, then the flush.
template <typename Edit>
ept::EditResult Hypervisor::modify_or_del(Vm& vm, Gpa gpa, u64 size, Edit edit) {
  ept::EditResult r;
  for (const EditPiece& p : acrn_edit_pieces(gpa, size)) {
    const ept::EditResult e = edit(p.gpa, p.size);
    r.leaves_changed += e.leaves_changed;
    r.large_pages_split += e.large_pages_split;
  }
  charge_hv(timing_.ept_edit_ps * r.leaves_changed);
  invept(vm);
  return r;
}

ept::EditResult Hypervisor::ept_del_mr(Vm& vm, Gpa gpa, u64 size) {
  return modify_or_del(vm, gpa, size, [&vm](Gpa g, u64 n) { return vm.ept->del_mr(g, n); });
}

ept::EditResult Hypervisor::ept_modify_mr(Vm& vm, Gpa gpa, u64 size, u64 prot_set, u64 prot_clr) {
  return modify_or_del(vm, gpa, size,
                       [&vm, prot_set, prot_clr](Gpa g, u64 n) { return vm.ept->modify_mr(g, n, prot_set, prot_clr); });
}

void Hypervisor::invept(Vm& vm) {
  ++vm.invept_count;
  if (invept_hook_) invept_hook_(vm);
}

}  // namespace ivsim
