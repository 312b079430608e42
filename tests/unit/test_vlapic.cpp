#include <catch2/catch.hpp>

#include "models/cpu/vlapic.h"

using namespace ivsim;

TEST_CASE("the virtual LAPIC delivers the highest requested vector above the processor priority") {
  VLapic l;
  CHECK(l.deliverable() == -1);
  CHECK(l.accept(0x41) == VLapic::Refusal::none);
  CHECK(l.accept(0x62) == VLapic::Refusal::none);
  CHECK(l.deliverable() == 0x62);
  CHECK(l.acknowledge() == 0x62);
  // In service: its class blocks the same class, not a higher one.
  CHECK(l.ppr() == 0x60);
  CHECK(l.deliverable() == -1);  // 0x41 is below
  l.accept(0x65);
  CHECK(l.deliverable() == -1);  // same class as in service
  l.accept(0x71);
  CHECK(l.deliverable() == 0x71);
  l.eoi();  // 0x62 completes
  CHECK(l.deliverable() == 0x71);
}

TEST_CASE("the task priority holds back interrupts of its class and below, and reserved vectors are refused") {
  VLapic l;
  l.set_tpr(0x50);
  l.accept(0x52);
  CHECK(l.requested());
  CHECK(l.deliverable() == -1);
  l.set_tpr(0x40);
  CHECK(l.deliverable() == 0x52);
  CHECK(l.accept(0x0E) == VLapic::Refusal::reserved_vector);  // exception vectors
}

TEST_CASE("the vLAPIC's ID register and LDR follow its mode, as vlapic_reset and vlapic_build_x2apic_id set them") {
  VLapic l(0x23, false);
  CHECK(l.id_register() == 0x23u << 24);  // xAPIC: the ID in bits 31:24
  CHECK(l.ldr() == 0);
  CHECK(l.dfr() == 0xFFFF'FFFFu);  // flat model
  CHECK((l.apic_base() & VLapic::kApicBaseExtd) == 0);
  l.write_apic_base(VLapic::kDefaultBase | VLapic::kApicBaseEnable | VLapic::kApicBaseExtd);
  CHECK(l.x2apic());
  CHECK(l.id_register() == 0x23u);
  // Cluster (ID & 0xFFFF0) >> 4 = 2, logical bit ID & 0xF = 3.
  CHECK(l.ldr() == ((2u << 16) | (1u << 3)));
  // x2APIC back to xAPIC, or the LAPIC disabled: vlapic_set_apicbase leaves
  // both undone (a TODO in ACRN), without a fault.
  l.write_apic_base(VLapic::kDefaultBase | VLapic::kApicBaseEnable);
  CHECK(l.x2apic());
  l.write_apic_base(VLapic::kDefaultBase);
  CHECK(l.x2apic());
  CHECK(l.ldr() == ((2u << 16) | (1u << 3)));
  CHECK(l.matches_logical((2u << 16) | (1u << 3)));
  // A physical x2APIC's LDR is read-only; vlapic_write stores the write
  // (vlapic_write_ldr keeps bits 31:24), and the cluster and bitmap are gone.
  l.write_ldr(0x1234'5678u);
  CHECK(l.ldr() == 0x1200'0000u);
  CHECK_FALSE(l.matches_logical((2u << 16) | (1u << 3)));
}

TEST_CASE("logical destinations match as is_dest_field_matched: xAPIC flat and cluster, x2APIC cluster") {
  VLapic flat(1);
  flat.write_ldr(0x04u << 24);
  CHECK(flat.matches_logical(0x04));
  CHECK(flat.matches_logical(0x0F));
  CHECK_FALSE(flat.matches_logical(0x02));
  VLapic cluster(1);
  cluster.write_dfr(0x0000'0000u);  // cluster model
  cluster.write_ldr(0x32u << 24);   // cluster 3, logical bit 1
  CHECK(cluster.matches_logical(0x32));
  CHECK(cluster.matches_logical(0x3F));
  CHECK_FALSE(cluster.matches_logical(0x22));  // another cluster
  CHECK_FALSE(cluster.matches_logical(0x34));  // another member
  VLapic x2(0x12);
  x2.write_apic_base(VLapic::kDefaultBase | VLapic::kApicBaseEnable | VLapic::kApicBaseExtd);  // cluster 1, bit 2
  CHECK(x2.matches_logical((1u << 16) | 0x4));
  CHECK_FALSE(x2.matches_logical(0x4));  // cluster 0
}

TEST_CASE(
    "the SVR's software enable and the TSC-deadline timer follow vlapic_write_svr, vlapic_write_lvt and "
    "vlapic_set_tsc_deadline_msr") {
  VLapic l(1);
  CHECK(l.software_enabled());                       // as the guest kernel's bring-up leaves it
  CHECK((l.lvt_timer() & VLapic::kLvtMasked) != 0);  // vlapic_reset: masked
  // Outside TSC-deadline mode a deadline does nothing.
  l.write_tsc_deadline(1000, 5000);
  CHECK_FALSE(l.timer_armed());
  l.write_lvt_timer(VLapic::kLvtTimerTscDeadline | 0xEC);
  l.write_tsc_deadline(1000, 5000);
  REQUIRE(l.timer_armed());
  CHECK(l.timer_deadline_ps() == 5000);
  l.write_tsc_deadline(2000, 9000);  // replaces the deadline
  CHECK(l.timer_deadline_ps() == 9000);
  l.write_tsc_deadline(0, 0);  // disarms
  CHECK_FALSE(l.timer_armed());
  CHECK(l.tsc_deadline_msr(0) == 0);
  l.write_tsc_deadline(1000, 5000);
  CHECK(l.expire_timer(5000) == 0xEC);
  CHECK_FALSE(l.timer_armed());
  // A change of mode disarms (vlapic_update_lvtt).
  l.write_tsc_deadline(1000, 5000);
  l.write_lvt_timer(0xEC);
  CHECK_FALSE(l.timer_armed());
  // Masked: the expiry requests nothing.
  l.write_lvt_timer(VLapic::kLvtMasked | VLapic::kLvtTimerTscDeadline | 0xEC);
  l.write_tsc_deadline(1000, 5000);
  CHECK(l.expire_timer(5000) == -1);
  // Software-disabled: the timer stops, the LVT is masked and stays so, and
  // fixed requests are ignored.
  l.write_lvt_timer(VLapic::kLvtTimerTscDeadline | 0xEC);
  l.write_tsc_deadline(1000, 5000);
  l.write_svr(0xFF, 0);
  CHECK_FALSE(l.timer_armed());
  CHECK(l.tsc_deadline_msr(4000) == 1000);  // the timeout stays (del_timer): the MSR reads it until it passes
  CHECK(l.tsc_deadline_msr(5000) == 0);
  CHECK((l.lvt_timer() & VLapic::kLvtMasked) != 0);
  CHECK(l.accept(0x41) == VLapic::Refusal::software_disabled);
  CHECK_FALSE(l.requested());
  l.write_lvt_timer(VLapic::kLvtTimerTscDeadline | 0xEC);
  CHECK((l.lvt_timer() & VLapic::kLvtMasked) != 0);
  l.write_svr(0x1FF, 0);
  CHECK((l.lvt_timer() & VLapic::kLvtMasked) != 0);
  CHECK(l.accept(0x41) == VLapic::Refusal::none);
}

TEST_CASE("a periodic timer faster than the hypervisor's floor fires first at its count and then at the floor") {
  // add_timer: period_in_cycle = max(period, us_to_ticks(MIN_TIMER_PERIOD_US)).
  // A 1000 MHz TSC (1000 ps a tick), a 500 us floor.
  VLapic l(1, false, Frequency::from_mhz(1000), 0, 500'000'000);
  l.write_dcr_timer(0xB);  // divide by 1
  l.write_lvt_timer(VLapic::kLvtTimerPeriodic | 0xEC);
  l.write_icr_timer(100'000, 0);  // every 100 us, as the guest asks
  CHECK(l.timer_deadline_ps() == 100'000'000);
  CHECK(l.expire_timer(100'000'000) == 0xEC);
  CHECK(l.timer_deadline_ps() == 600'000'000);
  CHECK(l.ccr_timer(100'000'000) == 500'000);  // more than the initial count, as vlapic_get_ccr reads it
  // A one-shot is not floored, nor a period above the floor.
  l.write_lvt_timer(0xEC);
  l.write_icr_timer(100'000, 1'000'000'000);
  CHECK(l.timer_deadline_ps() == 1'100'000'000);
  CHECK(l.expire_timer(1'100'000'000) == 0xEC);
  CHECK_FALSE(l.timer_armed());
  l.write_lvt_timer(VLapic::kLvtTimerPeriodic | 0xEC);
  l.write_icr_timer(700'000, 2'000'000'000);
  CHECK(l.expire_timer(2'700'000'000) == 0xEC);
  CHECK(l.timer_deadline_ps() == 3'400'000'000);
  // The physical LAPIC under passthrough has no such floor.
  VLapic pt(1, false, Frequency::from_mhz(1000), 24'000, 500'000'000);
  pt.write_apic_base(VLapic::kDefaultBase | VLapic::kApicBaseEnable | VLapic::kApicBaseExtd);
  pt.write_dcr_timer(0xB);
  pt.write_lvt_timer(VLapic::kLvtTimerPeriodic | 0xEC);
  pt.write_icr_timer(2'400, 0);  // 100 us of a 24 MHz crystal clock
  CHECK(pt.timer_deadline_ps() == 100'000'000);
  CHECK(pt.expire_timer(100'000'000) == 0xEC);
  CHECK(pt.timer_deadline_ps() == 200'000'000);
}

TEST_CASE(
    "the count-down timer follows vlapic_write_icrtmr, vlapic_write_dcr, vlapic_get_ccr, set_expiration and the "
    "periodic re-arm of timer_softirq") {
  // A 1000 MHz TSC: one tick is 1000 ps.
  VLapic l(1, false, Frequency::from_mhz(1000));
  CHECK(l.dcr_timer() == 0);  // vlapic_reset: divide by 2
  // One-shot: count 100 at divide by 2 is 200 ticks.
  l.write_lvt_timer(0xEC);
  l.write_icr_timer(100, 1'000'000);
  REQUIRE(l.timer_armed());
  CHECK(l.timer_deadline_ps() == 1'200'000);
  CHECK(l.icr_timer() == 100);
  CHECK(l.ccr_timer(1'000'000) == 100);
  CHECK(l.ccr_timer(1'100'000) == 50);
  CHECK(l.expire_timer(1'200'000) == 0xEC);
  CHECK_FALSE(l.timer_armed());
  CHECK(l.ccr_timer(1'300'000) == 0);  // expired
  // A count of 0 disarms; so does a new count, which re-arms from now.
  l.write_icr_timer(100, 2'000'000);
  l.write_icr_timer(0, 2'050'000);
  CHECK_FALSE(l.timer_armed());
  // Divide by 1 (DCR 1011b) and by 128 (1010b); DCR takes effect at the next arming.
  l.write_dcr_timer(0xB);
  CHECK(l.dcr_timer() == 0xB);
  l.write_icr_timer(100, 3'000'000);
  CHECK(l.timer_deadline_ps() == 3'100'000);
  l.write_dcr_timer(0xA);
  CHECK(l.timer_deadline_ps() == 3'100'000);
  CHECK(l.ccr_timer(3'000'000) == 100 / 128);  // the ticks left, shifted by the new divide
  l.write_icr_timer(1, 4'000'000);
  CHECK(l.timer_deadline_ps() == 4'128'000);
  // Periodic: it stays armed and keeps its phase, whenever the expiry is seen.
  l.write_dcr_timer(0xB);
  l.write_lvt_timer(VLapic::kLvtTimerPeriodic | 0xEC);  // a change of mode disarms
  CHECK_FALSE(l.timer_armed());
  l.write_icr_timer(1000, 10'000'000);  // every 1 us from 10 us
  CHECK(l.timer_deadline_ps() == 11'000'000);
  CHECK(l.expire_timer(11'000'000) == 0xEC);
  REQUIRE(l.timer_armed());
  CHECK(l.timer_deadline_ps() == 12'000'000);
  CHECK(l.ccr_timer(11'250'000) == 750);
  CHECK(l.expire_timer(15'500'000) == 0xEC);  // seen late: one request, the next period after now
  CHECK(l.timer_deadline_ps() == 16'000'000);
  // TSC-deadline mode ignores the initial count, and its CCR reads 0.
  l.write_lvt_timer(VLapic::kLvtTimerTscDeadline | 0xEC);
  l.write_icr_timer(5, 20'000'000);
  CHECK_FALSE(l.timer_armed());
  CHECK(l.icr_timer() == 1000);
  CHECK(l.ccr_timer(20'000'000) == 0);
  // Software-disabling stops a periodic timer; enabling again restarts it
  // from then (vlapic_write_svr), its LVT still masked.
  l.write_lvt_timer(VLapic::kLvtTimerPeriodic | 0xEC);
  l.write_icr_timer(1000, 30'000'000);
  l.write_svr(0xFF, 30'500'000);
  CHECK_FALSE(l.timer_armed());
  // del_timer keeps the timeout: the current count still runs down to it
  // (vlapic_get_ccr), then reads 0.
  CHECK(l.ccr_timer(30'750'000) == 250);
  CHECK(l.ccr_timer(31'000'000) == 0);
  l.write_svr(0x1FF, 40'000'000);
  REQUIRE(l.timer_armed());
  CHECK(l.timer_deadline_ps() == 41'000'000);
  CHECK(l.expire_timer(41'000'000) == -1);
  CHECK(l.timer_armed());
}

TEST_CASE(
    "a LAPIC-passthrough vLAPIC counts down at the crystal clock once x2APIC hands the physical LAPIC over "
    "(vlapic_set_apicbase)") {
  // A 1000 MHz TSC and a 25 MHz crystal: one TSC tick is 1 ns, one crystal tick 40 ns.
  VLapic l(1, false, Frequency::from_mhz(1000), 25'000);
  l.write_lvt_timer(VLapic::kLvtTimerPeriodic | 0xEC);
  l.write_dcr_timer(0xB);  // divide by 1
  // In xAPIC mode the timer is ACRN's emulation: TSC ticks.
  l.write_icr_timer(100, 0);
  CHECK(l.timer_deadline_ps() == 100'000);
  // Enabling x2APIC resets the virtual LAPIC, which cancels its timer.
  l.write_apic_base(VLapic::kDefaultBase | VLapic::kApicBaseEnable | VLapic::kApicBaseExtd);
  REQUIRE(l.x2apic());
  CHECK_FALSE(l.timer_armed());
  // The physical LAPIC: 100 crystal ticks are 4 us, every 4 us.
  l.write_icr_timer(100, 1'000'000);
  CHECK(l.timer_deadline_ps() == 5'000'000);
  CHECK(l.ccr_timer(3'000'000) == 50);
  CHECK(l.expire_timer(5'000'000) == 0xEC);
  CHECK(l.timer_deadline_ps() == 9'000'000);
  // Divide by 2 (DCR 0): 8 us.
  l.write_dcr_timer(0);
  l.write_icr_timer(100, 20'000'000);
  CHECK(l.timer_deadline_ps() == 28'000'000);
  CHECK(l.ccr_timer(24'000'000) == 50);
  // Without LAPIC passthrough x2APIC keeps the emulation's TSC ticks.
  VLapic e(2, false, Frequency::from_mhz(1000));
  e.write_apic_base(VLapic::kDefaultBase | VLapic::kApicBaseEnable | VLapic::kApicBaseExtd);
  REQUIRE(e.x2apic());
  e.write_lvt_timer(0xEC);
  e.write_dcr_timer(0xB);
  e.write_icr_timer(100, 0);
  CHECK(e.timer_deadline_ps() == 100'000);
}
