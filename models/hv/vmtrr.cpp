// ACRN's virtual MTRRs (hypervisor/arch/x86/guest/vmtrr.c): fixed ranges
// only, the memory types of a VM's first MiB set in its EPT
// (update_ept_mem_type) when the guest changes IA32_MTRR_DEF_TYPE.
#include <fmt/format.h>

#include "models/cpu/msrs.h"
#include "models/hv/hypervisor.h"

namespace ivsim {

namespace {

// vmtrr.c: fixed_mtrr_map, the fixed-range MTRRs by index, each with the
// start and size of its eight sub-ranges.
struct FixedMtrr {
  u32 msr;
  u32 start;
  u32 sub_range_size;
};
constexpr FixedMtrr kFixedMtrrMap[11] = {
    {msr::kMtrrFix64k00000, 0x0, 0x10000},       {msr::kMtrrFix16k80000, 0x80000, 0x4000},
    {msr::kMtrrFix16kA0000, 0xA0000, 0x4000},    {msr::kMtrrFix4kC0000, 0xC0000, 0x1000},
    {msr::kMtrrFix4kC0000 + 1, 0xC8000, 0x1000}, {msr::kMtrrFix4kC0000 + 2, 0xD0000, 0x1000},
    {msr::kMtrrFix4kC0000 + 3, 0xD8000, 0x1000}, {msr::kMtrrFix4kC0000 + 4, 0xE0000, 0x1000},
    {msr::kMtrrFix4kC0000 + 5, 0xE8000, 0x1000}, {msr::kMtrrFix4kC0000 + 6, 0xF0000, 0x1000},
    {msr::kMtrrFix4kC0000 + 7, 0xF8000, 0x1000}};
constexpr u64 kMaxFixedRangeAddr = 0x100000;
// IA32_MTRR_DEF_TYPE: the default type (bits 7:0), FE (10), E (11).
constexpr u64 kMtrrEnable = u64{1} << 11, kMtrrFixedEnable = u64{1} << 10;
// init_vmtrr: MTRRcap with FIX (bit 8) and no variable range (VCNT 0).
constexpr u64 kVmtrrCap = u64{1} << 8;
constexpr u64 kMtrrFixedRangeAllWb = 0x0606'0606'0606'0606ULL;

int fixed_mtrr_index(u32 m) {
  for (int i = 0; i < 11; ++i)
    if (kFixedMtrrMap[i].msr == m) return i;
  return -1;
}

// update_ept: an MTRR type as the EPT's memory type; the reserved ones UC.
u64 ept_type_of_mtrr(u64 type) {
  switch (type) {
    case 1:
    case 4:
    case 5:
    case 6:
      return type << ept::kMemTypeShift;
    default:
      return ept::kUC;
  }
}

}  // namespace

void Hypervisor::init_vmtrr(Vm& vm, unsigned vcpu) {
  GuestMsrs& g = vm.guest_msrs.at(vcpu);
  // init_vmtrr (create_vcpu, unless vm_hide_mtrr): MTRRs on, fixed ranges
  // on, default type UC. A User VM's fixed ranges are all WB, as its EPT
  // maps its RAM; the Service VM's start as the host's (msr_read of each),
  // for its firmware's sake, which the twin does not know.
  if (vm.hide_mtrr) return;
  g.mtrr_def_type = kMtrrEnable | kMtrrFixedEnable;
  if (vm.load_order == VmLoadOrder::service_vm) {
    g.mtrr_fixed_known = 0;
  } else {
    g.mtrr_fixed.fill(kMtrrFixedRangeAllWb);
    g.mtrr_fixed_known = 0x7FF;
  }
}

u64 Hypervisor::read_vmtrr(Vm& vm, unsigned vcpu, u32 m, VmExitExtension& exit) {
  const GuestMsrs& g = vm.guest_msrs.at(vcpu);
  if (m == msr::kMtrrCap) return kVmtrrCap;
  if (m == msr::kMtrrDefType) return g.mtrr_def_type;
  const int i = fixed_mtrr_index(m);
  if (!(g.mtrr_fixed_known & (1u << i))) {
    exit.unmodelled = fmt::format(
        "guest RDMSR of MSR {:#x}: the Service VM's fixed-range MTRR, which init_vmtrr copies from the host's, which "
        "the "
        "twin does not model",
        m);
    return 0;
  }
  return g.mtrr_fixed[static_cast<std::size_t>(i)];
}

void Hypervisor::write_vmtrr(Vm& vm, unsigned vcpu, u32 m, u64 value, VmExitExtension& exit) {
  GuestMsrs& g = vm.guest_msrs.at(vcpu);
  if (m != msr::kMtrrDefType) {
    const int i = fixed_mtrr_index(m);
    g.mtrr_fixed[static_cast<std::size_t>(i)] = value;
    g.mtrr_fixed_known |= static_cast<u16>(1u << i);
    return;
  }
  if (g.mtrr_def_type == value) return;
  g.mtrr_def_type = value;
  // update_ept_mem_type, at steps 8 and 10 of the SDM's MTRR update: the
  // EPT's memory type of the VM's first MiB follows the MTRRs. With either
  // enable bit clear, the default type for all of it; else each fixed
  // range's sub-ranges, runs of one type as one edit (ept_modify_mr).
  if (!(value & kMtrrEnable) || !(value & kMtrrFixedEnable)) {
    ept_modify_mr(vm, 0, kMaxFixedRangeAddr, ept_type_of_mtrr(value & 0xFF), ept::kMemTypeMask);
    return;
  }
  if (g.mtrr_fixed_known != 0x7FF) {
    exit.unmodelled =
        "guest WRMSR of IA32_MTRR_DEF_TYPE in the Service VM: update_ept_mem_type applies its fixed-range MTRRs, which "
        "start as the host's, which the twin does not model";
    return;
  }
  for (std::size_t i = 0; i < 11; ++i) {
    const FixedMtrr& f = kFixedMtrrMap[i];
    const auto type_of = [&](unsigned j) { return (g.mtrr_fixed[i] >> (8 * j)) & 0xFF; };
    u64 type = type_of(0);
    u64 start = f.start, size = f.sub_range_size;
    for (unsigned j = 1; j < 8; ++j) {
      if (type_of(j) == type) {
        size += f.sub_range_size;
        continue;
      }
      ept_modify_mr(vm, start, size, ept_type_of_mtrr(type), ept::kMemTypeMask);
      type = type_of(j);
      start = f.start + j * f.sub_range_size;
      size = f.sub_range_size;
    }
    ept_modify_mr(vm, start, size, ept_type_of_mtrr(type), ept::kMemTypeMask);
  }
}

}  // namespace ivsim
