// Synchronisations skipped when no other process could act
// (models/cpu/run_ahead.h): only while nothing is due before the vCPU's
// time, and never so that a read sees a line out of simulated-time order.
#include <systemc>

#include <catch2/catch.hpp>

#include "sim/run.h"
#include "tests/support/testbench.h"
#include "workloads/guest_api.h"
#include "workloads/ivshmem_driver.h"

using namespace ivsim;

namespace {

const pci::Bdf k08 = *pci::Bdf::parse("00:08.0");
constexpr u64 kLines = 64;
constexpr u64 kFlag = kLines * 64;

// HMI_VM reads the data lines (so RT_VM's stores to them involve its core),
// then either sleeps polling the flag or computes until past RT_VM's stores;
// RT_VM writes the lines, then the flag; HMI_VM reads them back.
struct Handshake {
  TimePs last_store_ps = 0, flag_seen_ps = 0;
  u64 wrong = 0;
};

void run(test::Bench& b, Handshake& h, bool reader_sleeps) {
  b.cpu("HMI_VM").set_program([&, reader_sleeps](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    for (u64 i = 0; i < kLines; ++i) g.load<u64>(d->shmem + i * 64);
    g.store<u64>(d->shmem + kFlag + 64, 1);  // ready
    if (reader_sleeps) {
      g.wait_until(d->shmem + kFlag, 8, Cmp::eq, 1);
    } else {
      g.compute(60'000);  // awake all along, past the writer's stores
      while (g.load<u64>(d->shmem + kFlag) != 1) g.compute(100);
    }
    h.flag_seen_ps = g.timestamp().time_ps;
    for (u64 i = 0; i < kLines; ++i) h.wrong += g.load<u64>(d->shmem + i * 64) != 1000 + i;
  });
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    g.wait_until(d->shmem + kFlag + 64, 8, Cmp::eq, 1);
    g.compute(20'000);  // the reader is asleep (or computing) by now
    for (u64 i = 0; i < kLines; ++i) g.store<u64>(d->shmem + i * 64, 1000 + i);
    h.last_store_ps = g.timestamp().time_ps;
    g.store<u64>(d->shmem + kFlag, 1);
  });
  // The run ends when both programs (the workload's roles) have.
  RunConfig limits;
  limits.watchdog_ms = 1000;
  const RunOutcome out = run_platform(*b.platform, limits, nullptr, false);
  REQUIRE(out.cut == RunCut::none);
  REQUIRE(b.cpu("HMI_VM").finished());
}

}  // namespace

TEST_CASE("with the reader asleep, the writer's stores skip their synchronisations and the reader sees them all") {
  test::Bench b(test::two_vm_scenario_with_workload());
  Handshake h;
  run(b, h, true);
  const VcpuCounters& writer = b.cpu("RT_VM").counters();
  INFO("syncs " << writer.syncs << ", skipped " << writer.syncs_skipped);
  CHECK(writer.syncs_skipped >= kLines);  // each store to a line the reader holds, at least
  CHECK(h.wrong == 0);
  CHECK(h.flag_seen_ps > h.last_store_ps);
}

TEST_CASE("with the reader awake, the writer still runs ahead where nothing is due, and the reader sees every store") {
  test::Bench b(test::two_vm_scenario_with_workload());
  Handshake h;
  run(b, h, false);
  const VcpuCounters& writer = b.cpu("RT_VM").counters();
  INFO("syncs " << writer.syncs << ", skipped " << writer.syncs_skipped);
  // The reader's compute leaves it waiting at a time past some of the
  // writer's points: those need no hand-off. That the writer never passes
  // the reader's next point is what every shipped scenario's report
  // matching IVSIM_RUN_AHEAD=off checks (tests/scenario/test_run_ahead.cpp;
  // ignoring the bound fails it, and this case alone would not notice).
  CHECK(writer.syncs_skipped > 0);
  CHECK(writer.syncs > 0);
  CHECK(h.wrong == 0);
  CHECK(h.flag_seen_ps > h.last_store_ps);
}

// HMI_VM writes a data line and a flag RT_VM polls, then polls for RT_VM's
// acknowledgement: it waits out its time before it sleeps (settling), which
// lets RT_VM, woken by the flag, run ahead up to that time.
struct Exchange {
  u64 wrong = 0, acks = 0;
};

void exchange(test::Bench& b, Exchange& x, u64 rounds) {
  b.cpu("HMI_VM").set_program([&, rounds](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    g.wait_until(d->shmem + 128, 8, Cmp::eq, 1);  // RT_VM is ready
    for (u64 i = 1; i <= rounds; ++i) {
      g.store<u64>(d->shmem + 192, 1000 + i);  // data
      g.store<u64>(d->shmem, i);               // flag
      x.acks += g.wait_until(d->shmem + 64, 8, Cmp::eq, i) == i;
    }
  });
  b.cpu("RT_VM").set_program([&, rounds](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    g.store<u64>(d->shmem + 128, 1);
    for (u64 i = 1; i <= rounds; ++i) {
      g.wait_until(d->shmem, 8, Cmp::eq, i);
      x.wrong += g.load<u64>(d->shmem + 192) != 1000 + i;
      g.store<u64>(d->shmem + 64, i);  // acknowledge
    }
  });
  RunConfig limits;
  limits.watchdog_ms = 1000;
  const RunOutcome out = run_platform(*b.platform, limits, nullptr, false);
  REQUIRE(out.cut == RunCut::none);
}

TEST_CASE("a writer settling before it sleeps lets the vCPU it woke run ahead, and every read sees its stores") {
  constexpr u64 kRounds = 200;
  test::Bench b(test::two_vm_scenario_with_workload());
  Exchange x;
  exchange(b, x, kRounds);
  const VcpuCounters& reader = b.cpu("RT_VM").counters();
  INFO("reader syncs " << reader.syncs << ", skipped " << reader.syncs_skipped);
  // Woken by the flag while HMI_VM settles, RT_VM reads the flag and the
  // data HMI_VM holds modified without a hand-off, each round (with HMI_VM
  // counted awake while it settles: 690 hand-offs and 207 skipped).
  CHECK(reader.syncs_skipped >= 2 * kRounds);
  CHECK(reader.syncs < 3 * kRounds);
  CHECK(x.wrong == 0);
  CHECK(x.acks == kRounds);
}

TEST_CASE("a run that ends with every vCPU asleep ahead of the kernel reports the time the last one fell asleep") {
  test::Bench b(test::two_vm_scenario_with_workload());
  TimePs hmi_polls_from_ps = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    g.wait_until(d->shmem, 8, Cmp::eq, 1);  // never written
  });
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    g.compute(50'000);  // the RT VM is asleep by now
    hmi_polls_from_ps = g.timestamp().time_ps;
    g.wait_until(d->shmem + 64, 8, Cmp::eq, 1);  // never written either
  });
  RunConfig limits;
  limits.watchdog_ms = 1000;
  const RunOutcome out = run_platform(*b.platform, limits, nullptr, false);
  REQUIRE(out.cut == RunCut::stall);
  CHECK(out.stall.deadlock);
  const TimePs slept_at = b.cpu("HMI_VM").asleep_ahead_ps();
  CHECK(slept_at > hmi_polls_from_ps);                 // after its first look at the line
  CHECK(sc_core::sc_time_stamp().value() < slept_at);  // the kernel never got there
  CHECK(out.simulated_ps == slept_at);                 // the report did
  CHECK(out.stall.text().find("polling GVA") != std::string::npos);
}
