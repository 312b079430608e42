// ACRN's MSR emulation as guest programs see it (hypervisor/arch/x86/guest/
// vmsr.c, hyperv.c): which RDMSR / WRMSR exit (the MSR bitmap
// init_msr_emulation builds), what the handlers return or refuse, the TSC
// offset a TSC or TSC_ADJUST write sets and the TSC-deadline interception
// it switches (set_tsc_msr_interception), the guest's PAT, and Hyper-V's
// synthetic MSRs.
#include <algorithm>
#include <cstring>
#include <string>
#include <systemc>
#include <vector>

#include <catch2/catch.hpp>

#include "models/cpu/msrs.h"
#include "tests/support/console_lines.h"
#include "tests/support/testbench.h"
#include "workloads/guest_api.h"

using namespace ivsim;

namespace {

constexpr Gpa kData = 16 * kMiB;
constexpr Gpa kPage = 17 * kMiB;  // a Hyper-V page the guest hands the hypervisor
constexpr u8 kTimerVector = 0xEC;
constexpr u64 kTscDeadlineMode = u64{2} << 17;

std::size_t exit_index(ExitReason r) { return static_cast<std::size_t>(r); }

// The vector of the fault an access raises, 0 when none.
template <typename F>
u8 fault_of(F&& access) {
  try {
    access();
  } catch (const GuestFault& f) {
    return f.vector;
  }
  return 0;
}

}  // namespace

TEST_CASE("the MSR bitmap: the TSC reads without an exit, emulated MSRs exit with ACRN's values, refused ones #GP") {
  test::Bench b(test::two_vm_scenario());
  u64 tsc_before = 0, tsc_msr = 0, tsc_after = 0, pat = 0, pat_written = 0, feature_control = 0, mcg_cap = 1;
  u64 platform_info = 1, misc_enable = 1, exits_for_tsc = 1, perf_status = 0;
  u8 pat_reserved = 0, feature_control_write = 0, monitor = 0, pmc = 0, variable_mtrr = 0, outside_range = 0;
  u8 mcg_status_zero = 1;
  std::string unintercepted;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const u64 exits_before = c.counters().exits[exit_index(ExitReason::msr_read)];
    tsc_before = g.rdtsc();
    tsc_msr = g.rdmsr(msr::kTimeStampCounter);
    tsc_after = g.rdtsc();
    exits_for_tsc = c.counters().exits[exit_index(ExitReason::msr_read)] - exits_before;
    pat = g.rdmsr(msr::kPat);
    pat_reserved = fault_of([&] { g.wrmsr(msr::kPat, (kPatPowerOn & ~u64{0xFF}) | 0x02); });
    g.wrmsr(msr::kPat, 0x0007'0406'0007'0106ULL);  // entry 1 WC
    pat_written = g.rdmsr(msr::kPat);
    feature_control = g.rdmsr(msr::kFeatureControl);
    feature_control_write = fault_of([&] { g.wrmsr(msr::kFeatureControl, 1); });
    mcg_cap = g.rdmsr(msr::kMcgCap);
    mcg_status_zero = fault_of([&] { g.wrmsr(msr::kMcgStatus, 0); });
    platform_info = g.rdmsr(msr::kPlatformInfo);  // a User VM's: 0
    perf_status = g.rdmsr(msr::kPerfStatus);
    monitor = fault_of([&] { g.wrmsr(msr::kMiscEnable, u64{1} << 18); });
    g.wrmsr(msr::kMiscEnable, u64{1} << 16);  // EIST: kept, never read back
    misc_enable = g.rdmsr(msr::kMiscEnable);
    pmc = fault_of([&] { (void)g.rdmsr(msr::kPmc0); });
    variable_mtrr = fault_of([&] { g.wrmsr(msr::kMtrrPhysBase0, 0); });
    outside_range = fault_of([&] { (void)g.rdmsr(0x4000'1000u); });
    try {
      (void)g.rdmsr(0x174);  // IA32_SYSENTER_CS: not in ACRN's bitmap
    } catch (const std::runtime_error& e) {
      unintercepted = e.what();
    }
  });
  sc_core::sc_start();
  // The host's TSC plus an offset of 0, read between two RDTSCs, no exit.
  CHECK(exits_for_tsc == 0);
  CHECK(tsc_msr >= tsc_before);
  CHECK(tsc_msr <= tsc_after);
  CHECK(pat == kPatPowerOn);
  CHECK(pat_reserved == kVectorGp);
  // write_pat_msr's pr_err goes to the debug build's serial console; at the
  // scenario's level (3) the handlers' pr_warn lines for the PMC, the
  // variable MTRR, the MSR outside the bitmap and MSR_PLATFORM_INFO do not
  // (the next test has them).
  const HvLog& log = b.platform->hypervisor().console_log();
  REQUIRE(log.lines() == 1);
  CHECK(log.first_lines().at(0).find("]:invalid guest IA32_PAT: 0x0007040600070402") != std::string::npos);
  CHECK(pat_written == 0x0007'0406'0007'0106ULL);
  CHECK(feature_control == 1);  // locked, no VMX, no SGX
  CHECK(feature_control_write == kVectorGp);
  CHECK(mcg_cap == 0);
  CHECK(mcg_status_zero == 0);
  CHECK(platform_info == 0);
  // get_perf_status: the base ratio (base over bus frequency) in bits 15:8.
  CHECK(perf_status == (b.timing.tsc_clock.mhz() / 100) << 8);
  CHECK(perf_status != 0);
  CHECK(monitor == kVectorGp);
  CHECK(misc_enable == 0);
  CHECK(pmc == kVectorGp);
  CHECK(variable_mtrr == kVectorGp);
  CHECK(outside_range == kVectorGp);
  CHECK(unintercepted.find("MSR 0x174") != std::string::npos);
  CHECK(unintercepted.find("does not intercept") != std::string::npos);
}

TEST_CASE("a guest PAT entry made UC turns its write-back RAM uncached") {
  test::Bench b(test::two_vm_scenario());
  TimePs cached = 0, uncached = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    (void)g.load<u64>(kData);  // the line comes into the caches
    TimePs t0 = c.now_ps();
    (void)g.load<u64>(kData);
    cached = c.now_ps() - t0;
    g.wrmsr(msr::kPat, kPatPowerOn & ~u64{0xFF});  // entry 0, which the mapping selects: UC
    (void)g.load<u64>(kData);                      // the translation again
    t0 = c.now_ps();
    (void)g.load<u64>(kData);
    uncached = c.now_ps() - t0;
  });
  sc_core::sc_start();
  CHECK(cached == b.timing.l1_hit_ps);
  CHECK(uncached > 10 * cached);
}

TEST_CASE("a guest TSC write moves RDTSC and TSC_ADJUST, and its TSC deadline fires at the guest's TSC") {
  test::Bench b(test::two_vm_scenario());
  constexpr u64 kAhead = u64{1} << 40;
  u64 before = 0, after = 0, adjust = 0;
  TimePs armed = 0, fired = 0;
  const u64 ticks_10us = static_cast<u64>(b.timing.tsc_clock.cycles_in(10'000'000));
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    before = g.rdtsc();
    g.wrmsr(msr::kTimeStampCounter, before + kAhead);
    after = g.rdtsc();
    adjust = g.rdmsr(msr::kTscAdjust);
    g.on_interrupt(kTimerVector, [&](Guest& isr) { fired = isr.timestamp().time_ps; });
    g.wrmsr(kX2apicLvtTimer, kTscDeadlineMode | kTimerVector);
    armed = c.now_ps();
    g.wrmsr(msr::kTscDeadline, g.rdtsc() + ticks_10us);
    g.compute(4 * ticks_10us);
  });
  sc_core::sc_start();
  CHECK(after >= before + kAhead);
  CHECK(after < before + kAhead + ticks_10us);
  CHECK(adjust == b.vm(0).vmcs.at(0)->tsc_offset);
  // The handler reads the host's TSC after the exit's own time.
  CHECK(adjust <= kAhead);
  CHECK(adjust > kAhead - ticks_10us);
  // The hypervisor's timer at the host's TSC, the deadline less the offset.
  CHECK(fired > armed + 10'000'000);
  CHECK(fired < armed + 11'000'000 + b.timing.vm_exit_entry_ps + b.timing.timer_emulation_ps);
}

TEST_CASE("under LAPIC passthrough a TSC offset makes IA32_TSC_DEADLINE exit, and an offset of 0 lets it go again") {
  Scenario s = test::two_vm_scenario();
  s.vms[0].lapic_passthrough = true;
  test::Bench b(s);
  const u64 ticks_10us = static_cast<u64>(b.timing.tsc_clock.cycles_in(10'000'000));
  u64 exits_passed = 1, exits_offset = 0, exits_back = 1, read_offset = 0;
  std::vector<TimePs> fired;
  std::vector<TimePs> armed;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.on_interrupt(kTimerVector, [&](Guest& isr) { fired.push_back(isr.timestamp().time_ps); });
    g.wrmsr(kX2apicLvtTimer, kTscDeadlineMode | kTimerVector);
    const auto writes = [&c] { return c.counters().exits[exit_index(ExitReason::msr_write)]; };
    u64 w = writes();
    armed.push_back(c.now_ps());
    g.wrmsr(msr::kTscDeadline, g.rdtsc() + ticks_10us);
    exits_passed = writes() - w;
    g.compute(2 * ticks_10us);
    g.wrmsr(msr::kTscAdjust, ticks_10us * 1000);  // the guest's TSC 10 ms ahead
    w = writes();
    armed.push_back(c.now_ps());
    const u64 deadline = g.rdtsc() + ticks_10us;
    g.wrmsr(msr::kTscDeadline, deadline);
    exits_offset = writes() - w;
    read_offset = g.rdmsr(msr::kTscDeadline);  // the guest's value, while armed
    g.compute(2 * ticks_10us);
    g.wrmsr(msr::kTscAdjust, 0);
    w = writes();
    armed.push_back(c.now_ps());
    g.wrmsr(msr::kTscDeadline, g.rdtsc() + ticks_10us);
    exits_back = writes() - w;
    g.compute(2 * ticks_10us);
  });
  sc_core::sc_start();
  CHECK(exits_passed == 0);
  CHECK(exits_offset == 1);
  CHECK(exits_back == 0);
  REQUIRE(fired.size() == 3);
  REQUIRE(armed.size() == 3);
  CHECK(read_offset > ticks_10us * 1000);
  for (unsigned i = 0; i < 3; ++i) {
    CHECK(fired[i] > armed[i] + 10'000'000);
    CHECK(fired[i] < armed[i] + 12'000'000);
  }
}

TEST_CASE("a vCPU without LAPIC passthrough whose TSC offset stays 0 stops at its TSC_ADJUST write") {
  test::Bench b(test::two_vm_scenario());
  std::string why;
  b.cpu("RT_VM").set_program([&](Vcpu&) {
    Guest g(b.cpu("RT_VM"));
    try {
      g.wrmsr(msr::kTscAdjust, 0);
    } catch (const std::runtime_error& e) {
      why = e.what();
    }
  });
  sc_core::sc_start();
  CHECK(why.find("set_tsc_msr_interception") != std::string::npos);
  CHECK(!b.vm(0).vmcs.at(0)->msr_bitmap.intercepts(msr::kTscDeadline, true));
}

TEST_CASE("Hyper-V's MSRs: VP index, frequencies, reference time from the launch, the TSC and hypercall pages") {
  Scenario s = test::two_vm_scenario();
  s.console_loglevel = 4;  // hyperv_wrmsr's pr_warn too
  test::Bench b(s);
  u64 vp_index = 1, tsc_hz = 0, apic_hz = 0, ref_time = 0, hypercall_ignored = 1, hypercall = 0, ref_page = 0;
  u8 read_only = 0;
  TimePs read_at = 0;
  u8 code[8] = {};
  u32 seq = 0;
  u64 scale = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    vp_index = g.rdmsr(msr::kHvVpIndex);
    tsc_hz = g.rdmsr(msr::kHvTscFrequency);
    apic_hz = g.rdmsr(msr::kHvApicFrequency);
    read_only = fault_of([&] { g.wrmsr(msr::kHvVpIndex, 3); });
    g.wrmsr(msr::kHvHypercall, kPage | 1);  // before a guest OS ID: ignored
    hypercall_ignored = g.rdmsr(msr::kHvHypercall);
    g.wrmsr(msr::kHvGuestOsId, 0x8100'0000'0000'0000ULL);
    g.wrmsr(msr::kHvHypercall, kPage | 1);
    hypercall = g.rdmsr(msr::kHvHypercall);
    for (unsigned i = 0; i < 8; ++i) code[i] = g.load<u8>(kPage + i);
    g.wrmsr(msr::kHvReferenceTsc, (kPage + 4096) | 1);
    ref_page = g.rdmsr(msr::kHvReferenceTsc);
    seq = g.load<u32>(kPage + 4096);
    scale = g.load<u64>(kPage + 4096 + 8);
    g.compute(2'000'000);
    read_at = c.now_ps();
    ref_time = g.rdmsr(msr::kHvTimeRefCount);
  });
  sc_core::sc_start();
  const u64 khz = b.timing.tsc_clock.mhz() * 1000;
  CHECK(vp_index == 0);
  CHECK(tsc_hz == khz * 1000);
  CHECK(apic_hz == khz * 1000);
  CHECK(read_only == kVectorGp);
  CHECK(hypercall_ignored == 0);
  CHECK(hypercall == (kPage | 1));
  // A 32-bit guest (no paging): mov eax, 2; mov edx, 0; ret.
  const u8 inst32[8] = {0xB8, 0x02, 0x00, 0x00, 0x00, 0xBA, 0x00, 0x00};
  CHECK(std::memcmp(code, inst32, 8) == 0);
  CHECK(ref_page == ((kPage + 4096) | 1));
  CHECK(seq == 1);
  CHECK(scale == static_cast<u64>((static_cast<unsigned __int128>(10000) << 64) / khz));
  // 100 ns units since the launch at time 0, at the handler's time: after
  // the exit and the handler's own cost.
  CHECK(ref_time >= read_at / 100'000);
  CHECK(ref_time <= (read_at + b.timing.vm_exit_entry_ps + b.timing.msr_read_handler_ps) / 100'000 + 1);
  // hyperv_wrmsr logs the read-only write (pr_err) and the hypercall page
  // set before a guest OS ID (pr_warn).
  const HvLog& log = b.platform->hypervisor().console_log();
  REQUIRE(log.lines() == 2);
  CHECK(log.first_lines().at(0).find("[sev=3][seq=1]:hv: hyperv_wrmsr: unexpected MSR[0x40000002] write") !=
        std::string::npos);
  CHECK(log.first_lines().at(1).find("[sev=4][seq=2]:hv: hyperv_wrmsr: guest_os_id is 0") != std::string::npos);
}

// The handlers' default branches log what they refuse (pr_warn, level 4):
// an MSR that exits without a case of its own in the handler's switch. A
// refusal in a case of its own (HWP without vHWP, IA32_MCG_CAP's write,
// the Key Locker copy without the feature) is silent; IA32_MTRR_CAP and
// IA32_COPY_STATUS have a case in the reader only, so only their writes
// are logged. A User VM's read of MSR_PLATFORM_INFO succeeds, with a line.
TEST_CASE("a debug build logs the MSRs the handlers' default branches refuse, not those their own cases refuse") {
  Scenario s = test::two_vm_scenario();
  s.console_loglevel = 4;
  test::Bench b(s);
  std::vector<u8> faults;
  u64 platform_info = 1;
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    faults.push_back(fault_of([&] { (void)g.rdmsr(msr::kPmc0); }));              // logged
    faults.push_back(fault_of([&] { (void)g.rdmsr(msr::kHwpRequest); }));        // silent
    faults.push_back(fault_of([&] { g.wrmsr(msr::kMcgCap, 0); }));               // silent
    faults.push_back(fault_of([&] { g.wrmsr(msr::kCopyLocalToPlatform, 1); }));  // silent (-EINVAL)
    faults.push_back(fault_of([&] { (void)g.rdmsr(msr::kCopyStatus); }));        // silent
    faults.push_back(fault_of([&] { g.wrmsr(msr::kCopyStatus, 0); }));           // logged
    faults.push_back(fault_of([&] { g.wrmsr(msr::kMtrrCap, 0); }));              // logged
    faults.push_back(fault_of([&] { g.wrmsr(msr::kMtrrPhysBase0, 0); }));        // logged
    faults.push_back(fault_of([&] { (void)g.rdmsr(0x4000'1000u); }));            // logged: outside the bitmap
    platform_info = g.rdmsr(msr::kPlatformInfo);
  });
  sc_core::sc_start();
  CHECK(faults == std::vector<u8>(9, kVectorGp));
  CHECK(platform_info == 0);
  const HvLog& log = b.platform->hypervisor().console_log();
  const std::vector<std::string> expected = {
      "[vm2:vcpu0][sev=4][seq=1]:rdmsr_vmexit_handler(): vm2 vcpu0 reading MSR c1 not supported",
      "[vm2:vcpu0][sev=4][seq=2]:wrmsr_vmexit_handler(): vm2 vcpu0 writing MSR 990 not supported",
      "[vm2:vcpu0][sev=4][seq=3]:wrmsr_vmexit_handler(): vm2 vcpu0 writing MSR fe not supported",
      "[vm2:vcpu0][sev=4][seq=4]:wrmsr_vmexit_handler(): vm2 vcpu0 writing MSR 200 not supported",
      "[vm2:vcpu0][sev=4][seq=5]:rdmsr_vmexit_handler(): vm2 vcpu0 reading MSR 40001000 not supported",
      "[vm2:vcpu0][sev=4][seq=6]:rdmsr_vmexit_handler(): vm2 read MSR_PLATFORM_INFO",
  };
  test::check_console_lines(log, expected);
  // Each line held the vCPU's pCPU for its characters at 115200 baud.
  CHECK(log.busy_ps() >= 6 * 60 * b.timing.serial_char_ps);
}

TEST_CASE("without HYPERV_ENABLED the Hyper-V MSRs are #GP") {
  Scenario s = test::two_vm_scenario();
  s.hyperv = false;
  test::Bench b(s);
  u8 fault = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    fault = fault_of([&] { (void)g.rdmsr(msr::kHvVpIndex); });
  });
  sc_core::sc_start();
  CHECK(fault == kVectorGp);
}

// vmtrr.c: fixed-range MTRRs only, the User VM's all WB; a change of
// IA32_MTRR_DEF_TYPE sets the EPT's memory types of the first MiB
// (update_ept_mem_type), which the guest's accesses there then take.
TEST_CASE("virtual MTRRs: ACRN's values, and a new default type or fixed range sets the first MiB's EPT memory type") {
  test::Bench b(test::two_vm_scenario());
  constexpr Gpa kLow = 0x8'0000;  // in FIX16K_80000's first sub-range
  u64 cap = 0, def_type = 0, fixed = 0, variable = 0;
  TimePs wb = 0, uc = 0, wb_again = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    cap = g.rdmsr(msr::kMtrrCap);
    def_type = g.rdmsr(msr::kMtrrDefType);
    fixed = g.rdmsr(msr::kMtrrFix16k80000);
    variable = fault_of([&] { (void)g.rdmsr(msr::kMtrrPhysBase0); });
    const auto reload = [&] {
      (void)g.load<u64>(kLow);
      const TimePs t0 = c.now_ps();
      (void)g.load<u64>(kLow);
      return c.now_ps() - t0;
    };
    wb = reload();
    // The SDM's MTRR update: off (E clear: the default type, UC, for the
    // whole MiB), then the sub-range made UC and the MTRRs on again.
    g.wrmsr(msr::kMtrrDefType, 0);
    uc = reload();
    g.wrmsr(msr::kMtrrFix16k80000, 0x0606'0606'0606'0600ULL);
    g.wrmsr(msr::kMtrrDefType, (u64{1} << 11) | (u64{1} << 10));
    uc = std::min(uc, reload());
    g.wrmsr(msr::kMtrrFix16k80000, 0x0606'0606'0606'0606ULL);
    g.wrmsr(msr::kMtrrDefType, 0);
    g.wrmsr(msr::kMtrrDefType, (u64{1} << 11) | (u64{1} << 10));
    wb_again = reload();
  });
  sc_core::sc_start();
  CHECK(cap == 0x100);
  CHECK(def_type == 0xC00);
  CHECK(fixed == 0x0606'0606'0606'0606ULL);
  CHECK(variable == kVectorGp);
  CHECK(wb == b.timing.l1_hit_ps);
  CHECK(uc > 10 * wb);
  CHECK(wb_again == b.timing.l1_hit_ps);
  CHECK(b.vm(0).invept_count >= 3);
}

TEST_CASE("hide_mtrr_support: the MTRRs are #GP, and the Service VM's fixed ranges are the host's") {
  Scenario s = test::two_vm_scenario();
  s.vms[0].hide_mtrr = true;
  test::Bench b(s);
  u8 cap = 0, def_type = 0;
  u64 service_def_type = 0;
  std::string service_fixed;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    cap = fault_of([&] { (void)g.rdmsr(msr::kMtrrCap); });
    def_type = fault_of([&] { g.wrmsr(msr::kMtrrDefType, 0); });
  });
  b.cpu("Service_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    service_def_type = g.rdmsr(msr::kMtrrDefType);
    try {
      (void)g.rdmsr(msr::kMtrrFix64k00000);
    } catch (const std::runtime_error& e) {
      service_fixed = e.what();
    }
  });
  sc_core::sc_start();
  CHECK(cap == kVectorGp);
  CHECK(def_type == kVectorGp);
  CHECK(service_def_type == 0xC00);
  CHECK(service_fixed.find("init_vmtrr") != std::string::npos);
}

// guest_flags.py gives a pre-launched RTVM of a debug build the PMU
// (GUEST_FLAG_PMU_PASSTHROUGH): init_msr_emulation leaves its counters
// unintercepted, the host's own. A release build intercepts them: #GP.
namespace {

void pmc_read(const std::string& build_type) {
  Scenario s = test::two_vm_scenario();
  s.vms[0].vm_type = "RTVM";
  s.build_type = build_type;
  test::Bench b(s);
  u8 fault = 0;
  std::string why;
  u64 exits = 1;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const u64 before = c.counters().exits[exit_index(ExitReason::msr_read)];
    try {
      (void)g.rdmsr(msr::kPmc0);
    } catch (const GuestFault& f) {
      fault = f.vector;
    } catch (const std::runtime_error& e) {
      why = e.what();
    }
    exits = c.counters().exits[exit_index(ExitReason::msr_read)] - before;
  });
  sc_core::sc_start();
  if (build_type == "debug") {
    CHECK(exits == 0);
    CHECK(why.find("MSR 0xc1, which ACRN's MSR bitmap does not intercept") != std::string::npos);
  } else {
    CHECK(exits == 1);
    CHECK(fault == kVectorGp);
  }
}

}  // namespace

TEST_CASE("the PMU's MSRs are the host's for a pre-launched RTVM of a debug build") { pmc_read("debug"); }
TEST_CASE("the PMU's MSRs are #GP for a pre-launched RTVM of a release build") { pmc_read("release"); }
