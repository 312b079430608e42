// How a run ends: every workload done, the duration, a stall (nothing left to
// simulate, or the watchdog: no progress for run.watchdog_ms) diagnosed with
// each blocked vCPU's wait-for chain and exit status 4, a SIGINT with the
// report kept (exit 130); and the scenarios that once stalled, on pCPUs
// shared by VMs and the Service VM under every scheduler, run to the end.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "cli.h"

namespace {

const std::string kData = std::string(IVSIM_TESTS_DIR) + "/data/scenarios/";
const std::string kShared = kData + "shared-pcpus.yaml";
const std::string kOnePcpu = kData + "one-pcpu.yaml";

nlohmann::json run_report(const std::string& args, cli::Result& r) {
  const std::string report = cli::temp_path("run-end.json");
  std::remove(report.c_str());
  r = cli::ivsim("run --quiet --report " + report + " " + args);
  nlohmann::json j;
  if (cli::exists(report)) j = nlohmann::json::parse(cli::slurp(report));
  std::remove(report.c_str());
  return j;
}

void check_all_completed(const nlohmann::json& j) {
  REQUIRE(j["workloads"].size() >= 1);
  for (const auto& w : j["workloads"]) {
    INFO(w["name"]);
    CHECK(w["status"] == "completed");
    CHECK(w["metrics"][0]["count"].get<long long>() > 0);
  }
  CHECK(j["run_end"]["reason"] == "completed");
}

}  // namespace

TEST_CASE(
    "a post-launched VM in an hv-land and a dm-land region, on pCPUs shared with the Service VM, runs to the end under "
    "SCHED_IORR and SCHED_BVT") {
  for (const std::string sched : {"SCHED_IORR", "SCHED_BVT"}) {
    INFO(sched);
    cli::Result r;
    const auto j = run_report(kShared + " --set hypervisor.scheduler=" + sched, r);
    INFO(r.out);
    CHECK(r.status == 0);
    check_all_completed(j);
    // The Service VM's vCPU 0 took the HSM upcalls of both VMs' acrn-dm.
    CHECK(j["vms"][1]["interrupts_taken"].get<long long>() > 0);
  }
}

TEST_CASE("under SCHED_PRIO the shared-pCPU scenario runs to the end when the Service VM outranks the User VMs") {
  cli::Result r;
  const auto j =
      run_report(kShared + " --set hypervisor.scheduler=SCHED_PRIO --set vms[1].priority=2 --set vms[2].priority=1", r);
  INFO(r.out);
  CHECK(r.status == 0);
  check_all_completed(j);
}

TEST_CASE("SCHED_NOOP with one vCPU per pCPU runs pre- and post-launched members of hv-land and dm-land regions") {
  cli::Result r;
  const auto j = run_report(std::string(IVSIM_TESTS_DIR) +
                                "/../platforms/scenarios/mixed_isolation.yaml --set hypervisor.scheduler=SCHED_NOOP",
                            r);
  INFO(r.out);
  CHECK(r.status == 0);
  check_all_completed(j);
}

TEST_CASE(
    "a region's default pingpong puts its roles on different pCPUs and rings the doorbell where a pCPU is shared") {
  const cli::Result r = cli::ivsim("show --json " + kShared);
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.out);
  std::map<std::string, nlohmann::json> w;
  for (const auto& x : j["workloads"]) w[x["name"]] = x;
  REQUIRE(w.count("hvr_pingpong"));
  REQUIRE(w.count("dmr_pingpong"));
  for (const auto& [name, x] : w) {
    INFO(name);
    CHECK(x["roles"]["initiator"]["pcpu"] != x["roles"]["responder"]["pcpu"]);
    CHECK(x["note"].get<std::string>().find("default pingpong:") == 0);
  }
  // POST_A's vCPU 0 (pCPU 0) answers hv:/hvr while POST_B's vCPU 0, on the
  // same pCPU, answers dm:/dmr: the hv-land one waits for its doorbell, the
  // dm-land one has none.
  CHECK(w["hvr_pingpong"]["params"]["notify"] == "doorbell");
  CHECK(w["dmr_pingpong"]["params"]["notify"] == "poll");
  CHECK(w["dmr_pingpong"]["note"].get<std::string>().find("dm-land has no doorbell") != std::string::npos);
  // The text form says it too.
  const cli::Result t = cli::ivsim("show " + kShared);
  CHECK(t.out.find("hvr_pingpong: default pingpong: initiator RT_VM vCPU 0 on pCPU 7") != std::string::npos);
}

TEST_CASE(
    "initiator and responder on one pCPU with the Service VM: doorbell and polling pingpongs complete under every "
    "scheduler that shares pCPUs") {
  struct Case {
    std::string sched, notify;
  };
  for (const Case& c : {Case{"SCHED_IORR", "doorbell"}, Case{"SCHED_IORR", "poll"}, Case{"SCHED_BVT", "doorbell"},
                        Case{"SCHED_BVT", "poll"}, Case{"SCHED_PRIO", "doorbell"}}) {
    INFO(c.sched << " " << c.notify);
    cli::Result r;
    // SCHED_PRIO never rotates equal priorities (the warning says so): the
    // Service VM's acrn-dm above the responder above the initiator, so that
    // nobody's bring-up handshake spins the pCPU away from the others.
    const std::string prio = c.sched == "SCHED_PRIO" ? " --set vms[0].priority=2 --set vms[2].priority=1" : "";
    const auto j = run_report(
        kOnePcpu + " --set hypervisor.scheduler=" + c.sched + " --set workloads[0].params.notify=" + c.notify + prio,
        r);
    INFO(r.out);
    CHECK(r.status == 0);
    check_all_completed(j);
    if (c.notify == "poll") {
      // Each side spins until its turn ends before the other runs: under
      // SCHED_BVT its lead in virtual time plus the 5 ms allowance, under
      // SCHED_IORR its 10 ms slice or what is left of it when the Service
      // VM's vCPU, woken by its kernel's tick, takes the pCPU first
      // (sched_iorr_wake). A round trip costs two turns, at least one of
      // them whole.
      const double p50 = j["workloads"][0]["metrics"][0]["p50"];
      CHECK(p50 > (c.sched == "SCHED_BVT" ? 4.9e6 : 1.9e6));
    }
  }
}

TEST_CASE("SCHED_BVT's one-shot run timer exits the guest at the end of each run it times") {
  // Two pollers share a pCPU with the Service VM's vCPU, whose background
  // wake-ups are off: each turn of a poller ends on the timer
  // sched_bvt_pick_next armed for its lead plus the allowance, whose
  // interrupt exits the guest (sched_tick_handler), switch or not.
  cli::Result r;
  const auto j = run_report(kOnePcpu + " --set hypervisor.scheduler=SCHED_BVT --set workloads[0].params.notify=poll" +
                                " --set noise.service_vm=off",
                            r);
  INFO(r.out);
  REQUIRE(r.status == 0);
  check_all_completed(j);
  for (const auto& vm : j["vms"]) {
    if (vm["name"] == "Service_VM") continue;
    INFO(vm["name"]);
    const auto timer_exits = vm["exits"]["external_interrupt"].get<long long>();
    CHECK(timer_exits >= 10);  // 0 when the timer took no exit
    CHECK(timer_exits <= vm["vcpus"][0]["context_switches"].get<long long>());
  }
}

TEST_CASE(
    "a wake-up from this pCPU's timer preempts a vCPU in the guest with an exit, one another vCPU of the pCPU makes in "
    "its exit preempts without") {
  // SCHED_IORR without its tick: two pollers on the Service VM vCPU's pCPU.
  // The Service VM's background timer wakes its vCPU, which preempts the
  // poller in the guest: the timer's interrupt exits it. The Service VM's
  // completions of the pollers' I/O requests (their bus scans) are
  // wake-ups made on the pCPU in its hypercall: no exit.
  const std::string base = kOnePcpu + " --set workloads[0].params.notify=poll --set noise.hv_ticks=off";
  cli::Result r;
  const auto with_timer = run_report(base, r);
  REQUIRE(r.status == 0);
  const auto without = run_report(base + " --set noise.service_vm=off", r);
  REQUIRE(r.status == 0);
  for (const std::string vm : {"A", "B"}) {
    INFO(vm);
    long long timer = -1, none = -1;
    for (const auto& v : with_timer["vms"])
      if (v["name"] == vm) timer = v["exits"]["external_interrupt"];
    for (const auto& v : without["vms"])
      if (v["name"] == vm) none = v["exits"]["external_interrupt"];
    CHECK(timer >= 10);  // 0 before preemptions took an exit
    CHECK(none == 0);    // every wake-up the Service VM's exits made
  }
}

TEST_CASE("a poller above its peer on one pCPU under SCHED_PRIO deadlocks: exit 4, a report, and the wait-for chain") {
  cli::Result r;
  const auto j = run_report(kOnePcpu + " --set hypervisor.scheduler=SCHED_PRIO --set workloads[0].params.notify=poll" +
                                " --set vms[0].priority=2 --set vms[2].priority=1" +
                                // The Service VM's background work keeps the platform busy for ever:
                                // without it the kernel runs out of activity, which names the deadlock.
                                " --set noise.service_vm=off",
                            r);
  CHECK(r.status == 4);
  REQUIRE(!j.is_null());
  CHECK(j["workloads"][0]["status"] == "stalled");
  CHECK(j["run_end"]["reason"] == "stalled");
  CHECK(j["run_end"]["stall"]["kind"] == "deadlock");
  // The responder, of higher priority, spins on the command flag in the
  // region; the initiator waits for the pCPU it holds.
  CHECK(r.out.find("nothing is left to simulate (deadlock)") != std::string::npos);
  CHECK(r.out.find("cmd.responder on vm2_B_vcpu0 (pCPU 2): polling GVA 0x80200000 (HPA ") != std::string::npos);
  CHECK(r.out.find("region hv:/r)") != std::string::npos);
  CHECK(r.out.find("cmd.initiator on vm1_A_vcpu0 (pCPU 2): runnable, waiting for pCPU 2 held by vm2_B_vcpu0\n"
                   "    which waits for vm2_B_vcpu0: polling GVA 0x80200000") != std::string::npos);
  const auto& blocked = j["run_end"]["stall"]["blocked"];
  REQUIRE(blocked.size() == 2);
  CHECK(blocked[0]["chain"].size() == 1);
}

TEST_CASE("the watchdog ends a run whose workloads make no progress for run.watchdog_ms: exit 4") {
  // Two pollers on one pCPU under SCHED_IORR progress once per 10 ms slice:
  // with a 5 ms watchdog that is no progress.
  cli::Result r;
  const auto j = run_report(kOnePcpu + " --set workloads[0].params.notify=poll --set run.watchdog_ms=5", r);
  CHECK(r.status == 4);
  CHECK(j["run_end"]["stall"]["kind"] == "watchdog");
  // Stopped exactly one watchdog span after the last progress.
  const double at = j["run_end"]["stall"]["at_ns"], last = j["run_end"]["stall"]["last_progress_ns"];
  CHECK(at - last == Approx(5e6));
  CHECK(j["simulated_ns"] == at);
  CHECK(r.out.find("no workload made progress since") != std::string::npos);
  // Same scenario and seed: the same verdict, byte for byte.
  cli::Result again;
  const auto k = run_report(kOnePcpu + " --set workloads[0].params.notify=poll --set run.watchdog_ms=5", again);
  CHECK(k["run_end"] == j["run_end"]);
}

TEST_CASE("SIGINT ends a run at its next synchronisation point with the report of what was measured: exit 130") {
  const std::string report = cli::temp_path("sigint.json");
  std::remove(report.c_str());
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execl(IVSIM_BINARY, IVSIM_BINARY, "run", "--set", "workloads[0].params.iterations=100000000", "--report",
          report.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Interrupt once the run is well into its simulation: a second of the
  // child's CPU time (elaboration takes a fraction of that, also under the
  // sanitizers), not of wall time, which a loaded machine stretches.
  const auto cpu_seconds = [pid] {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::istringstream rest(stat.substr(stat.rfind(')') + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {  // fields 14 and 15: utime, stime (clock ticks)
      if (i == 14) utime = std::stoull(field);
      if (i == 15) stime = std::stoull(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  };
  for (int waited_ms = 0; cpu_seconds() < 1.0 && waited_ms < 60000; waited_ms += 50)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  kill(pid, SIGINT);
  int st = 0;
  waitpid(pid, &st, 0);
  REQUIRE(WIFEXITED(st));
  CHECK(WEXITSTATUS(st) == 130);
  REQUIRE(cli::exists(report));
  const auto j = nlohmann::json::parse(cli::slurp(report));
  CHECK(j["run_end"]["reason"] == "interrupted");
  CHECK(j["workloads"][0]["status"] == "interrupted");
  REQUIRE(j["workloads"][0]["metrics"].size() > 0);
  CHECK(j["workloads"][0]["metrics"][0]["count"].get<long long>() > 0);
  std::remove(report.c_str());
}

TEST_CASE("ivsim run --progress prints progress lines to a log, while --quiet or a non-terminal stderr print none") {
  // A run far longer than the test, interrupted after three seconds of wall
  // time: the first line is due after one, however fast the host simulates.
  const std::string report = cli::temp_path("progress.json");
  const std::string run = "timeout --preserve-status -s INT 3 " + std::string(IVSIM_BINARY) + " run --report " +
                          report + " --set workloads[0].params.iterations=100000000";
  cli::Result r = cli::run(run + " --progress 2>&1 >/dev/null");
  CHECK(r.status == 130);  // still running when interrupted, and ended as SIGINT ends a run
  CHECK(r.out.find("ivsim: ") == 0);
  CHECK(r.out.find(" simulated | hmi_command ") != std::string::npos);
  CHECK(r.out.find("/100000000 | ") != std::string::npos);
  CHECK(r.out.find(" us/s | ETA ") != std::string::npos);
  // Without --progress (stderr is a pipe here), or with --quiet: no progress
  // line in a run as long, only the note that it was interrupted.
  r = cli::run(run + " 2>&1 >/dev/null");
  CHECK(r.status == 130);
  CHECK(r.out.find(" | hmi_command ") == std::string::npos);
  CHECK(r.out.find("interrupted at") != std::string::npos);
  r = cli::run(run + " --progress --quiet 2>&1 >/dev/null");
  CHECK(r.status == 130);
  CHECK(r.out.find(" | hmi_command ") == std::string::npos);
  CHECK(r.out.find("interrupted at") != std::string::npos);
  std::remove(report.c_str());
}

TEST_CASE("measurement tools run on the Service VM, whose RAM is not at guest-physical 0") {
  const std::string scenario = cli::temp_path("sos-tools.yaml");
  std::ofstream(scenario) << "name: sos-tools\n"
                             "board: cfl-k700-i7\n"
                             "vms:\n"
                             "  - { id: 0, name: Service_VM, load_order: SERVICE_VM, cpu_affinity: [0, 1, 2], "
                             "memory_mib: 1024 }\n"
                             "workloads:\n"
                             "  - { name: chase, kind: pointer_chase, roles: { chaser: { vm: Service_VM } }, "
                             "params: { working_set_bytes: 65536, iterations: 1000 } }\n"
                             "  - { name: copy, kind: memcpy_bandwidth, roles: { copier: { vm: Service_VM, vcpu: 1 } "
                             "}, params: { bytes: 1048576, iterations: 1 } }\n"
                             "  - { name: walk, kind: walk_refs, roles: { walker: { vm: Service_VM, vcpu: 2 } }, "
                             "params: { working_set_mib: 8, base_mib: 32, accesses: 100 } }\n";
  cli::Result r;
  const auto j = run_report(scenario, r);
  INFO(r.out);
  CHECK(r.status == 0);
  check_all_completed(j);
  std::remove(scenario.c_str());
}
