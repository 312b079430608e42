// What Lab 5 (docs/labs/5-sharing-a-pcpu.md) has students find, as the
// shape of the results rather than its figures: on a pCPU shared with a
// busy neighbour, polling keeps the median and loses the worst case to a
// turn of the neighbour; a dedicated pCPU or the doorbell bound it; the
// doorbell's wake-up from another pCPU exits the neighbour once a command.
#include <cmath>

#include <nlohmann/json.hpp>

#include "cli.h"

namespace {

const std::string kLab = std::string(IVSIM_TESTS_DIR) + "/../docs/labs/files/sharing.yaml";

nlohmann::json run(const std::string& sets) {
  return nlohmann::json::parse(cli::run_report(kLab + " " + sets, "lab-sharing.json"));
}

const nlohmann::json& response(const nlohmann::json& j) { return j["workloads"][0]["metrics"][0]; }
long long misses(const nlohmann::json& j) { return j["workloads"][0]["counters"]["deadline_misses"]; }
const nlohmann::json& vm(const nlohmann::json& j, const std::string& name) {
  for (const auto& v : j["vms"])
    if (v["name"] == name) return v;
  FAIL("no VM " << name);
  return j;
}

}  // namespace

TEST_CASE("lab 5: polling on a shared pCPU keeps its median and loses its worst case to the neighbour's turn") {
  for (const std::string sched : {"SCHED_BVT", "SCHED_IORR"}) {
    INFO(sched);
    const auto shared = run("--set hypervisor.scheduler=" + sched);
    const auto own = run("--set hypervisor.scheduler=" + sched + " --set vms[3].cpu_affinity=[5]");
    // The dedicated pCPU's order: the 1 % slowest meet a guest tick (about
    // 40 of 3 000 under SCHED_IORR), so the p99 sits at the tick's edge.
    CHECK(response(shared)["p99"].get<double>() < 2.5e3);
    CHECK(response(own)["p99"].get<double>() < 2.5e3);
    CHECK(response(shared)["max"].get<double>() > 5e6);  // a turn of milliseconds
    CHECK(response(own)["max"].get<double>() < 10e3);
    CHECK(misses(shared) >= 1);
    CHECK(misses(shared) <= 10);  // one per turn of the neighbour: the exchange is synchronous
    CHECK(misses(own) == 0);
    CHECK(vm(shared, "Ctrl_VM")["vcpus"][0]["runnable_ns"].get<double>() > 5e6);
  }
}

TEST_CASE("lab 5: the doorbell bounds the shared pCPU's worst case, each wake-up exiting the neighbour") {
  // Idle pCPUs that spin (KEEP_IRQ_DISABLED, or ACRN before v3.3): no C1
  // exit anywhere, so what sharing adds stands alone.
  const std::string bare = " --set workloads[0].params.notify=doorbell --set vms[1].os=bare --set vms[2].os=bare";
  const std::string pause = bare + " --set hypervisor.idle=PAUSE";
  const auto shared = run(pause);
  const auto own = run(pause + " --set vms[3].cpu_affinity=[5]");
  const auto tickless = run(pause + " --set noise.guest_ticks=false");
  // Bounded near the deadline, not a turn of milliseconds: a rare miss when
  // the neighbour's tick meets a command, none without guest ticks.
  CHECK(misses(shared) <= 3);
  CHECK(response(shared)["max"].get<double>() < 12e3);
  CHECK(response(shared)["p99"].get<double>() < 10e3);
  CHECK(misses(tickless) == 0);
  CHECK(response(tickless)["max"].get<double>() < 10e3);
  // Sharing adds the neighbour's exit for the kick IPI and the switch.
  const double added = response(shared)["p50"].get<double>() - response(own)["p50"].get<double>();
  CHECK(added > 1e3);
  CHECK(added < 3e3);
  const long long commands = shared["workloads"][0]["counters"]["commands"];
  const long long kicks = vm(shared, "Neighbour_VM")["exits"]["external_interrupt"];
  CHECK(kicks > commands * 3 / 4);  // before the kick took an exit: a few dozen tick exits
  CHECK(kicks <= commands + 50);
  CHECK(vm(own, "Neighbour_VM")["exits"]["external_interrupt"].get<long long>() < 50);
}

TEST_CASE("lab 5: halting idle pCPUs (ACRN v3.3) add a C1 exit to each wake-up on an idle pCPU, none on a busy one") {
  const std::string bare = " --set workloads[0].params.notify=doorbell --set vms[1].os=bare --set vms[2].os=bare";
  const auto shared = run(bare);
  const auto own = run(bare + " --set vms[3].cpu_affinity=[5]");
  const auto spinning = run(bare + " --set hypervisor.idle=PAUSE --set vms[3].cpu_affinity=[5]");
  // Bounded, but the HMI's own wake-up leaves C1 on every command.
  CHECK(misses(shared) == 3000);
  CHECK(response(shared)["max"].get<double>() < 14e3);
  // On dedicated pCPUs both wake-ups leave C1: two exits of the profile's
  // c1_exit (2 us on coffee-lake-client) over the spinning run.
  const double c1 = response(own)["p50"].get<double>() - response(spinning)["p50"].get<double>();
  CHECK(c1 == Approx(4e3).margin(20));
  // In the mean breakdown they are interrupt time, with a little more: a
  // guest tick that wakes a halted vCPU leaves C1 as well.
  const double irq =
      response(own)["breakdown"]["irq"].get<double>() - response(spinning)["breakdown"]["irq"].get<double>();
  CHECK(irq >= 4e3 - 20);
  CHECK(irq < 4.3e3);
  // The busy neighbour keeps the shared pCPU out of C1: its kick costs the
  // control VM less than the dedicated pCPU's C1 exit.
  CHECK(response(shared)["p50"].get<double>() < response(own)["p50"].get<double>());
}

TEST_CASE("lab 5: what sharing adds to a doorbell response does not depend on the global quantum") {
  // A preemption lands at the runner's synchronisation: on a shared pCPU at
  // least every run.shared_pcpu_quantum_ns, whatever run.quantum_ns is.
  const std::string bare = " --set workloads[0].params.notify=doorbell --set vms[1].os=bare --set vms[2].os=bare";
  const double coarse = response(run(bare + " --set run.quantum_ns=1000"))["p50"];
  const double fine = response(run(bare + " --set run.quantum_ns=250"))["p50"];
  CHECK(std::abs(coarse - fine) < 20);
  // With the shared quantum as coarse as the global one, the neighbour runs
  // on past the kick for up to a quantum; a finer one trims what is left.
  const double lagging = response(run(bare + " --set run.shared_pcpu_quantum_ns=1000"))["p50"];
  CHECK(lagging - coarse > 400);
  const double finest = response(run(bare + " --set run.shared_pcpu_quantum_ns=25"))["p50"];
  CHECK(finest <= coarse);
  CHECK(coarse - finest < 100);
}
