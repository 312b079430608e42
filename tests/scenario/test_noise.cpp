// The sources of variation, each switched on alone against the noiseless
// run of the same scenario and seed: each moves the figures it should, in
// the direction it should, and the same seed gives the same report
// (docs/realtime.md).
#include <nlohmann/json.hpp>

#include "cli.h"

namespace {

const std::string kScenarios = std::string(IVSIM_TESTS_DIR) + "/../platforms/scenarios/";
const char* const kSources[] = {"guest_ticks", "hv_ticks",   "service_vm", "dram_refresh",
                                "row_buffer",  "contention", "poll_phase", "hv_console"};

// `env`: variables for the ivsim process ("NAME=value ...").
nlohmann::json run(const std::string& scenario, const std::string& sets, const std::string& env = "") {
  const std::string report = cli::temp_path("noise.json");
  std::remove(report.c_str());
  const cli::Result r =
      cli::run(env + " " + IVSIM_BINARY + " run --quiet --report " + report + " " + kScenarios + scenario + " " + sets);
  INFO(r.out);
  REQUIRE(r.status == 0);
  auto j = nlohmann::json::parse(cli::slurp(report));
  std::remove(report.c_str());
  j.erase("host");
  return j;
}

// Everything off but `source` (its YAML key), plus `extra`.
nlohmann::json only(const std::string& scenario, const std::string& source, const std::string& extra = "") {
  std::string sets;
  for (const char* s : kSources)
    if (s != source) sets += std::string(" --set noise.") + s + "=off";
  return run(scenario, sets + " " + extra);
}

const nlohmann::json& metric(const nlohmann::json& j, const std::string& workload, const std::string& name) {
  for (const auto& w : j["workloads"])
    if (w["name"] == workload)
      for (const auto& m : w["metrics"])
        if (m["name"] == name) return m;
  FAIL("no metric " + workload + "." + name);
  throw;
}

const nlohmann::json& vm(const nlohmann::json& j, const std::string& name) {
  for (const auto& v : j["vms"])
    if (v["name"] == name) return v;
  FAIL("no VM " + name);
  throw;
}

}  // namespace

TEST_CASE("noise off: every round trip of the default scenario costs the same") {
  const auto j = run("default.yaml", "--set noise=off");
  const auto& m = metric(j, "hmi_command", "round_trip");
  CHECK(m["min"] == m["max"]);
  for (const char* k : kSources) CHECK(j["scenario"]["noise"][k] == false);
}

TEST_CASE("guest ticks: a Linux HMI VM's tick exits and stretches some round trips, a tickless RT VM takes none") {
  const std::string linux_hmi = "--set vms[2].os=linux-uio --set vms[0].os=linux-uio";
  const auto off = only("default.yaml", "", linux_hmi);
  const auto on = only("default.yaml", "guest_ticks", linux_hmi);
  const auto& m0 = metric(off, "hmi_command", "round_trip");
  const auto& m1 = metric(on, "hmi_command", "round_trip");
  CHECK(m1["p50"] == m0["p50"]);
  CHECK(m1["max"].get<double>() > m0["max"].get<double>() + 1000);  // an exit, the handler, the re-arm: microseconds
  // 250 Hz over the run: each tick an external-interrupt exit and the TSC-deadline write.
  const double ms = on["simulated_ns"].get<double>() / 1e6;
  const auto ext = vm(on, "HMI_VM")["exits"]["external_interrupt"].get<double>();
  CHECK(ext >= std::floor(ms / 4));
  CHECK(ext <= std::ceil(ms / 4) + 1);
  CHECK(vm(off, "HMI_VM")["exits"]["external_interrupt"] == 0);
  // The RT VM (RTVM, nohz_full) does not tick.
  CHECK(vm(on, "RT_VM")["exits"]["external_interrupt"] == 0);
  CHECK(on == only("default.yaml", "guest_ticks", linux_hmi));  // seed-deterministic
  const auto seed2 = only("default.yaml", "guest_ticks", linux_hmi + " --seed 2");
  CHECK(metric(seed2, "hmi_command", "round_trip") != m1);
}

TEST_CASE("hypervisor ticks: SCHED_IORR's 1 ms tick exits a vCPU without the LAPIC passed through") {
  const std::string iorr = "--set hypervisor.scheduler=SCHED_IORR";
  const auto on = only("default.yaml", "hv_ticks", iorr);
  const double ms = on["simulated_ns"].get<double>() / 1e6;
  const auto ext = vm(on, "HMI_VM")["exits"]["external_interrupt"].get<double>();
  CHECK(ext >= std::floor(ms) - 1);
  CHECK(ext <= std::ceil(ms) + 1);
  CHECK(vm(on, "RT_VM")["exits"]["external_interrupt"] == 0);  // LAPIC passthrough
  const auto off = only("default.yaml", "", iorr);
  CHECK(metric(on, "hmi_command", "round_trip")["max"].get<double>() >
        metric(off, "hmi_command", "round_trip")["max"].get<double>());
  const auto noop = only("default.yaml", "hv_ticks");  // SCHED_NOOP arms no tick
  CHECK(vm(noop, "HMI_VM")["exits"]["external_interrupt"] == 0);
}

TEST_CASE("a debug build's console timer exits the vCPU on vuart_timer_pcpu once a period, a release build none") {
  // The HMI VM polls on pCPU 2; a 1 ms period (40 ms in ACRN) gives a few in the run.
  const std::string on_hmi = "--set hypervisor.vuart_timer_pcpu=2 --set timing.overrides.hv_console_timer=1";
  const auto on = only("default.yaml", "hv_console", on_hmi);
  const double ms = on["simulated_ns"].get<double>() / 1e6;
  const auto ext = vm(on, "HMI_VM")["exits"]["external_interrupt"].get<double>();
  CHECK(ext >= std::floor(ms) - 1);
  CHECK(ext <= std::ceil(ms) + 1);
  CHECK(vm(on, "HMI_VM")["vcpus"][0]["console_kicks"] == ext);
  // An exit, the timer's softirq and a read of the serial port's line
  // status: a round trip that meets one takes over a microsecond longer.
  const auto off = only("default.yaml", "", on_hmi);
  CHECK(metric(on, "hmi_command", "round_trip")["max"].get<double>() >
        metric(off, "hmi_command", "round_trip")["max"].get<double>() + 1000);
  CHECK(vm(off, "HMI_VM")["exits"]["external_interrupt"] == 0);
  // Without a serial console (SERIAL_CONSOLE None) the UART is disabled:
  // the same expiries, but uart16550_getc reads no line status.
  const auto no_uart = only("default.yaml", "hv_console", on_hmi + " --set hypervisor.serial_console=None");
  CHECK(vm(no_uart, "HMI_VM")["vcpus"][0]["console_kicks"] == ext);
  // The slowest round trip loses the read's microsecond, give or take what
  // the rest of it meets a microsecond earlier (the runs diverge after the
  // first expiry).
  CHECK(metric(no_uart, "hmi_command", "round_trip")["max"].get<double>() ==
        Approx(metric(on, "hmi_command", "round_trip")["max"].get<double>() - 1000).margin(150));
  // A release build's console_setup_timer is empty; on pCPU 0 (the default)
  // it interrupts the Service VM, not the HMI VM.
  const auto release = only("default.yaml", "hv_console", on_hmi + " --set hypervisor.build_type=release");
  CHECK(vm(release, "HMI_VM")["exits"]["external_interrupt"] == 0);
  CHECK_FALSE(vm(release, "HMI_VM")["vcpus"][0].contains("console_kicks"));
  const auto pcpu0 = only("default.yaml", "hv_console", "--set timing.overrides.hv_console_timer=1");
  CHECK(vm(pcpu0, "HMI_VM")["exits"]["external_interrupt"] == 0);
  CHECK(on == only("default.yaml", "hv_console", on_hmi));  // seed-deterministic

  // Two vCPUs sharing the pCPU (Lab 5's, SCHED_BVT): each expiry interrupts
  // the one in its guest there, not the one waiting for the pCPU.
  const auto shared = only("../../docs/labs/files/sharing.yaml", "hv_console",
                           "--set hypervisor.vuart_timer_pcpu=4 --set timing.overrides.hv_console_timer=1");
  const double shared_ms = shared["simulated_ns"].get<double>() / 1e6;
  const auto kicks = vm(shared, "Ctrl_VM")["vcpus"][0]["console_kicks"].get<double>() +
                     vm(shared, "Neighbour_VM")["vcpus"][0]["console_kicks"].get<double>();
  CHECK(kicks >= std::floor(shared_ms) - 1);
  CHECK(kicks <= std::ceil(shared_ms) + 1);
}

TEST_CASE("a wake-up from HLT on vuart_timer_pcpu waits for the console callback the idle loop is running") {
  // The HMI VM waits for the doorbell in HLT on pCPU 2. A 10 us read of the
  // serial port (1 us in the profiles) keeps the idle loop's callback
  // longer than a round trip: every expiry either exits the HMI VM's guest
  // or holds up the wake-up that comes while it runs.
  const std::string on_hmi =
      "--set hypervisor.vuart_timer_pcpu=2 --set timing.overrides.hv_console_timer=1 "
      "--set workloads[0].params.notify=doorbell --set workloads[0].params.iterations=2000 "
      "--set timing.overrides.serial_port_read=10000";
  const auto on = only("default.yaml", "hv_console", on_hmi);
  const double ms = on["simulated_ns"].get<double>() / 1e6;
  const auto& hmi = vm(on, "HMI_VM");
  REQUIRE(hmi["exits"]["hlt"].get<double>() >= 2000);
  const auto kicks = hmi["vcpus"][0]["console_kicks"].get<double>();
  CHECK(kicks >= std::floor(ms) - 1);
  CHECK(kicks <= std::ceil(ms) + 1);
  CHECK(kicks > hmi["exits"]["external_interrupt"].get<double>());  // some in the idle loop
  const auto off = only("default.yaml", "", on_hmi);
  CHECK(metric(on, "hmi_command", "one_way")["max"].get<double>() >
        metric(off, "hmi_command", "one_way")["max"].get<double>() + 5000);
  CHECK(on == only("default.yaml", "hv_console", on_hmi));  // seed-deterministic
  // In a release build nothing runs there.
  const auto release = only("default.yaml", "hv_console", on_hmi + " --set hypervisor.build_type=release");
  CHECK_FALSE(vm(release, "HMI_VM")["vcpus"][0].contains("console_kicks"));
}

TEST_CASE("a LAPIC-passthrough vCPU on vuart_timer_pcpu runs the console from its VM exits, not from the timer") {
  // The RT VM (pCPU 7, LAPIC passed through) rings the doorbell, an exit each round trip.
  const std::string on_rt =
      "--set hypervisor.vuart_timer_pcpu=7 --set timing.overrides.hv_console_timer=1 "
      "--set workloads[0].params.notify=doorbell --set workloads[0].params.iterations=2000";
  const auto on = only("default.yaml", "hv_console", on_rt);
  const double ms = on["simulated_ns"].get<double>() / 1e6;
  REQUIRE(ms > 5);
  const auto& rt = vm(on, "RT_VM");
  CHECK(rt["exits"]["external_interrupt"] == 0);  // the guest owns the LAPIC timer
  // console_vmexit_callback: at most once a period, and with an exit every
  // few microseconds, about once a period.
  const auto kicks = rt["vcpus"][0]["console_kicks"].get<double>();
  CHECK(kicks >= std::floor(ms) - 1);
  CHECK(kicks <= std::ceil(ms) + 1);
  const auto off = only("default.yaml", "", on_rt);
  CHECK_FALSE(vm(off, "RT_VM")["vcpus"][0].contains("console_kicks"));
  // Each read of the UART comes at the end of the RT VM's doorbell exit,
  // after the handler sent the interrupt: on the message's path as the
  // hypervisor's time, not on its latency.
  const auto& one_way_on = metric(on, "hmi_command", "one_way");
  const auto& one_way_off = metric(off, "hmi_command", "one_way");
  CHECK(one_way_on["breakdown"]["hv"].get<double>() > one_way_off["breakdown"]["hv"].get<double>());
  CHECK(one_way_on["mean"] == one_way_off["mean"]);
}

TEST_CASE("the Service VM's background work wakes its vCPU 0 and walks its working set") {
  const auto off = only("default.yaml", "");
  const auto on = only("default.yaml", "service_vm", "--set noise.service_vm.period_us=500");
  const double ms = on["simulated_ns"].get<double>() / 1e6;
  const double wakes =
      vm(on, "Service_VM")["exits"]["hlt"].get<double>() - vm(off, "Service_VM")["exits"]["hlt"].get<double>();
  CHECK(wakes >= std::floor(ms / 0.5) - 1);
  CHECK(wakes <= std::ceil(ms / 0.5) + 1);
  CHECK(vm(on, "Service_VM")["loads"].get<double>() == vm(off, "Service_VM")["loads"].get<double>());  // not guest code

  // Each wake walks its lines through the caches: a working set larger than
  // the L2 misses to the LLC or memory, one that fits stays in the L2, and
  // the timeline's spans show the difference (more than an LLC hit per line).
  std::string others_off;
  for (const char* k : kSources)
    if (std::string(k) != "service_vm") others_off += std::string(" --set noise.") + k + "=off";
  auto mean_wake_ns = [&](const std::string& working_set_kib) {
    const std::string trace = cli::temp_path("background-" + working_set_kib + ".json");
    const cli::Result r = cli::ivsim("run --quiet --report " + cli::temp_path("background.json") + " --trace " + trace +
                                     " " + kScenarios + "default.yaml" + others_off +
                                     " --set noise.service_vm.period_us=500 --set noise.service_vm.lines_per_wake=256" +
                                     " --set noise.service_vm.working_set_kib=" + working_set_kib);
    INFO(r.out);
    REQUIRE(r.status == 0);
    const auto t = nlohmann::json::parse(cli::slurp(trace));
    std::remove(trace.c_str());
    double sum = 0, n = 0;
    for (const auto& e : t["traceEvents"])
      if (e.value("name", "") == "Service VM background work") {
        CHECK(e["cat"] == "noise");
        sum += e["dur"].get<double>() * 1000, ++n;
      }
    REQUIRE(n >= wakes - 1);
    return sum / n;
  };
  const double small = mean_wake_ns("16");     // 256 lines, all in the L2 after the first wake
  const double large = mean_wake_ns("65536");  // 64 MiB: every line from memory
  CHECK(large > small + 256 * 10);
}

TEST_CASE("poll phase: a poller notices a store up to an L1 hit later, so round trips spread over nanoseconds") {
  const auto off = only("default.yaml", "");
  const auto on = only("default.yaml", "poll_phase");
  const auto& a = metric(off, "hmi_command", "round_trip");
  const auto& b = metric(on, "hmi_command", "round_trip");
  CHECK(a["p50"] == a["max"]);
  CHECK(b["min"].get<double>() >= a["min"].get<double>());
  CHECK(b["p99"].get<double>() > b["p50"].get<double>());
  // A round trip is two polls, each at most one L1 hit (4 cycles) late.
  const double mhz = on["timing_profile"]["frequency"]["mhz"].get<double>();
  const double l1_ns = on["timing_profile"]["entries"]["l1_hit"]["value"].get<double>() * 1000 / mhz;
  CHECK(b["max"].get<double>() <= a["max"].get<double>() + 2 * l1_ns + 0.01);
  CHECK(b["mean"].get<double>() > a["mean"].get<double>() + 0.5 * l1_ns);  // half an L1 hit per poll on average
  CHECK(b["breakdown"]["compute"].get<double>() > a["breakdown"]["compute"].get<double>());
  CHECK(on.dump() == only("default.yaml", "poll_phase").dump());  // seeded
  CHECK(on.dump() != only("default.yaml", "poll_phase", "--seed 2").dump());
}

TEST_CASE("the report does not depend on how the run slices the kernel, though noise goes on after the workloads end") {
  // The slices adapt to the host's speed (sim/run.cpp); IVSIM_SLICE_NS fixes
  // them. Ticks and background work would count on to a slice's end.
  const std::string sets = " --set noise.service_vm.period_us=500 --set noise.hv_ticks=on";
  auto sliced = [&](const std::string& slice_ns) {
    return run("default.yaml", sets + " --set hypervisor.scheduler=SCHED_IORR", "IVSIM_SLICE_NS=" + slice_ns);
  };
  const auto fine = sliced("1000");
  const auto coarse = sliced("50000000");
  CHECK(vm(fine, "Service_VM")["exits"]["hlt"].get<double>() > 0);
  CHECK(fine.dump(1) == coarse.dump(1));
}

TEST_CASE("DRAM refresh lengthens the tail of a neighbour's misses, the open row shortens their median") {
  const std::string lib = "library/noisy.yaml";
  const auto plain = only(lib, "");
  const auto& base = metric(plain, "neighbour", "access");
  const auto refresh = only(lib, "dram_refresh");
  const auto& r = metric(refresh, "neighbour", "access");
  CHECK(r["p50"] == base["p50"]);
  CHECK(r["p999"].get<double>() > base["p999"].get<double>() + 100);  // waiting out tRFC (350 ns)
  CHECK(r["breakdown"]["dram"].get<double>() > base["breakdown"]["dram"].get<double>());
  const auto open_rows = only(lib, "row_buffer");
  const auto& rows = metric(open_rows, "neighbour", "access");
  CHECK(rows["p50"].get<double>() < base["p50"].get<double>() - 20);  // a 64-byte stride stays in the open row
}

TEST_CASE("contention: two streaming neighbours make each other's misses wait in the memory controller") {
  const std::string lib = "library/noisy.yaml";
  // A second neighbour on the HMI VM's other vCPU, streaming too.
  const std::string two = "--workloads " + std::string(IVSIM_TESTS_DIR) + "/data/two-neighbours.yaml";
  const auto one = only(lib, "contention", "--set workloads[1].params.iterations=200000");
  const auto& alone = metric(one, "neighbour", "access");
  CHECK(alone["breakdown"]["queue"].get<double>() == 0);
  const auto both = only(lib, "contention", two);
  const auto& a = metric(both, "neighbour", "access");
  CHECK(a["breakdown"]["queue"].get<double>() > 0);
  CHECK(a["mean"].get<double>() > alone["mean"].get<double>());
}

TEST_CASE(
    "the report has the tail's percentiles and the slowest 1 %'s breakdown, and --histogram draws the distribution") {
  const auto j = only("default.yaml", "guest_ticks", "--set vms[2].os=linux-uio");
  const auto& m = metric(j, "hmi_command", "round_trip");
  CHECK(m["p9999"].get<double>() >= m["p999"].get<double>());
  CHECK(m["max"].get<double>() >= m["p9999"].get<double>());
  const auto& slow = m["slowest_1pct"];
  CHECK(slow["count"].get<double>() >= 0.01 * m["count"].get<double>());
  // The ticks' exits are all in the slowest samples.
  CHECK(slow["breakdown"]["exit"].get<double>() > 100 * m["breakdown"]["exit"].get<double>() / 2);
  const cli::Result r = cli::ivsim("run --histogram --report " + cli::temp_path("hist.json") + " " + kScenarios +
                                   "default.yaml --set vms[2].os=linux-uio --set noise.service_vm=off");
  REQUIRE(r.status == 0);
  CHECK(r.out.find("slowest 1% (") != std::string::npos);
  CHECK(r.out.find("########################################") != std::string::npos);  // the fullest bin's bar
}

TEST_CASE("the report's memory section counts write-backs and waits by the pCPU whose requests met them") {
  const auto j = run("library/noisy.yaml", "");
  const auto& m = j["memory"];
  double write_backs = 0, queued = 0, refresh_waits = 0, neighbour = 0;
  for (const auto& p : m["pcpus"]) {
    write_backs += p["write_backs"].get<double>();
    queued += p["queued"].get<double>();
    refresh_waits += p["refresh_waits"].get<double>();
    if (p["pcpu"] == 4) neighbour = p["write_backs"].get<double>();      // Other_VM's vCPU 0, streaming stores
    if (p["pcpu"] == 2 || p["pcpu"] == 6) CHECK(p["write_backs"] == 0);  // the ping-pong's lines stay cached
  }
  CHECK(write_backs == m["write_backs"].get<double>());
  CHECK(queued == m["queued"].get<double>());
  CHECK(refresh_waits == m["refresh_waits"].get<double>());
  CHECK(neighbour > 0.99 * write_backs);
  CHECK(refresh_waits > 0);
  CHECK(m["dram_row_hits"].get<double>() > 0);
  // Without the uncore's sources the waits are gone; the write-backs are not.
  const auto quiet = run("library/noisy.yaml", "--set noise=off");
  CHECK(quiet["memory"]["write_backs"].get<double>() > 0.99 * neighbour);
  CHECK(quiet["memory"]["queued"] == 0);
  CHECK(quiet["memory"]["refresh_waits"] == 0);
}
