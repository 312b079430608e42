// Hyper-V's synthetic MSRs as ACRN emulates them with HYPERV_ENABLED
// (hypervisor/arch/x86/guest/hyperv.c: hyperv_rdmsr, hyperv_wrmsr,
// hyperv_init_time): the partition reference time, the VP index, the
// frequencies, and the hypercall and reference-TSC pages ACRN writes into
// guest memory.
#include <array>
#include <cstring>

#include "models/cpu/msrs.h"
#include "models/hv/hypervisor.h"

namespace ivsim {

namespace {

// u64_mul_u64_shr64 and u64_shl64_div_u64 (hyperv.c).
u64 mul_shr64(u64 a, u64 b) { return static_cast<u64>((static_cast<unsigned __int128>(a) * b) >> 64); }
u64 shl64_div(u64 a, u64 divisor) { return static_cast<u64>((static_cast<unsigned __int128>(a) << 64) / divisor); }

}  // namespace

void Hypervisor::hyperv_init_time(Vm& vm, TimePs now) {
  // The partition reference time counts in 100 ns units from here,
  // TscScale = 2^64 * 10000 / TSC kHz.
  vm.hyperv.tsc_scale = shl64_div(10000, tsc_khz());
  vm.hyperv.tsc_offset = mul_shr64(guest_tsc(vm, 0, now), vm.hyperv.tsc_scale);
}

void Hypervisor::hyperv_wrmsr(Vm& vm, unsigned, u32 m, u64 value, VmExitExtension& exit) {
  HypervState& h = vm.hyperv;
  switch (m) {
    case msr::kHvGuestOsId:
      h.guest_os_id = value;
      if (value == 0) h.hypercall &= ~u64{1};  // hypercall_page.enabled = 0
      break;
    case msr::kHvHypercall: {
      if (h.guest_os_id == 0) {
        hv_log(LogSeverity::warning, "hv: hyperv_wrmsr: guest_os_id is 0");  // and ignored
        break;
      }
      h.hypercall = value;
      // hyperv_setup_hypercall_page: ACRN implements no Hyper-V hypercall;
      // the page it writes returns HV_STATUS_INVALID_HYPERCALL_CODE (2).
      if (!(value & 1)) break;
      std::array<u8, kPageSize4K> page{};
      constexpr u8 kInst64[] = {0x48, 0xC7, 0xC0, 0x02, 0x00, 0x00, 0x00, 0xC3};                    // mov rax, 2; ret
      constexpr u8 kInst32[] = {0xB8, 0x02, 0x00, 0x00, 0x00, 0xBA, 0x00, 0x00, 0x00, 0x00, 0xC3};  // eax 2, edx 0
      if (exit.long_mode)
        std::memcpy(page.data(), kInst64, sizeof kInst64);
      else
        std::memcpy(page.data(), kInst32, sizeof kInst32);
      (void)copy_to_gpa(vm, (value >> 12) << 12, page.data(), page.size());  // gpa2hva NULL: nothing written
      break;
    }
    case msr::kHvReferenceTsc: {
      // hyperv_setup_tsc_page: the scale and offset, then the sequence
      // bumped (never 0 or ~0) so a reader retries.
      h.ref_tsc_page = value;
      if (!(value & 1)) break;
      const Gpa page = (value >> 12) << 12;
      u32 seq = 0;
      if (!copy_from_gpa(vm, page, &seq, sizeof seq)) break;
      (void)copy_to_gpa(vm, page + 8, &h.tsc_scale, 8);
      (void)copy_to_gpa(vm, page + 16, &h.tsc_offset, 8);
      seq += 1;
      if (seq == 0xFFFF'FFFFu || seq == 0) seq = 1;
      (void)copy_to_gpa(vm, page, &seq, sizeof seq);
      break;
    }
    default:
      // VP_INDEX, TIME_REF_COUNT and the frequencies are read-only: -1, #GP.
      hv_log(LogSeverity::error, fmt::format("hv: hyperv_wrmsr: unexpected MSR[0x{:x}] write", m));
      exit.inject(kVectorGp, "#GP: WRMSR of a read-only Hyper-V MSR (hyperv_wrmsr)");
      break;
  }
}

u64 Hypervisor::hyperv_rdmsr(Vm& vm, unsigned vcpu, u32 m, VmExitExtension&) {
  const HypervState& h = vm.hyperv;
  switch (m) {
    case msr::kHvGuestOsId:
      return h.guest_os_id;
    case msr::kHvHypercall:
      return h.hypercall;
    case msr::kHvVpIndex:
      return vcpu;
    case msr::kHvTimeRefCount: {
      // hyperv_get_ReferenceTime: the guest's TSC scaled to 100 ns, from
      // the BSP's launch.
      Breakdown blame;
      return mul_shr64(guest_tsc(vm, vcpu, exit_now(blame)), h.tsc_scale) - h.tsc_offset;
    }
    case msr::kHvReferenceTsc:
      return h.ref_tsc_page;
    default:
      // TSC_FREQUENCY, and APIC_FREQUENCY ("vLAPIC freq is the same as TSC freq").
      return tsc_khz() * 1000;
  }
}

}  // namespace ivsim
