// ACRN's split-lock and UC-lock detection (SPLIT_LOCK_DETECTION_ENABLED,
// UC_LOCK_DETECTION_ENABLED): on a CPU that enumerates split-lock detection,
// a one-vCPU VM's split lock exits and runs without its LOCK prefix
// (emulate_lock_instr), so the bus is never locked and the RT VM beside it
// keeps its deadline; where ACRN may trap a lock the twin lets lock the bus,
// the run says so once; where ACRN cannot (a CPU without the detection),
// nothing changes and nothing is said.
#include <nlohmann/json.hpp>

#include "cli.h"

namespace {

const std::string kLab = std::string(IVSIM_TESTS_DIR) + "/../docs/labs/files/buslock.yaml";
const std::string kData = std::string(IVSIM_TESTS_DIR) + "/data/acrn";
const std::string kSplitWarning = "locks the bus. With SPLIT_LOCK_DETECTION_ENABLED";
// Lab 6 on the Tiger Lake NUC's four pCPUs, one VM to each.
const std::string kOnTigerLake =
    " --set board=nuc11tnbi5 --set vms[0].cpu_affinity=[3] --set vms[1].cpu_affinity=[0]"
    " --set vms[2].cpu_affinity=[1] --set vms[3].cpu_affinity=[2]";

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

struct Run {
  std::string out;
  nlohmann::json report;
};

Run run(const std::string& args, const std::string& name) {
  const cli::RunAndReport r = cli::run_and_report(args, name);
  return {r.out, nlohmann::json::parse(r.report)};
}

Run lab(const std::string& sets) {
  return run(kLab + " --set workloads[1].params.split_lock_percent=1 " + sets, "lock-lab.json");
}

const nlohmann::json& vm(const nlohmann::json& j, const std::string& name) {
  for (const auto& v : j["vms"])
    if (v["name"] == name) return v;
  FAIL("no VM " << name);
  return j;
}

long long bus_locks(const nlohmann::json& j) {
  long long n = 0;
  for (const auto& v : j["vms"])
    for (const auto& c : v["vcpus"]) n += c.value("bus_locks", 0LL);
  return n;
}

long long misses(const nlohmann::json& j) { return j["workloads"][0]["counters"].value("deadline_misses", 0LL); }
long long irq_misses(const nlohmann::json& j) {
  return j["workloads"][0]["counters"].value("deadline_misses.irq", 0LL);
}

}  // namespace

TEST_CASE("split-lock detection on a Tiger Lake: the one-vCPU neighbour's split locks exit and lock nothing") {
  const Run off = lab(kOnTigerLake);
  const Run on = lab(kOnTigerLake + " --set hypervisor.split_lock_detection=true");
  const long long locks = on.report["workloads"][1]["counters"]["split_locks"];
  REQUIRE(locks > 0);
  // Off, each is a bus lock that holds the RT VM's misses off memory.
  CHECK(bus_locks(off.report) == locks);
  CHECK(misses(off.report) > 0);
  // On, each is an exception exit of the neighbour's and no bus lock.
  CHECK(vm(on.report, "Neighbour_VM")["exits"]["exception"] == locks);
  CHECK(vm(off.report, "Neighbour_VM")["exits"]["exception"] == 0);
  CHECK(bus_locks(on.report) == 0);
  // No response misses by waiting for a lock or a line; one an
  // external interrupt's exit lands in (deadline_misses.irq) is no split lock's.
  CHECK(misses(on.report) == irq_misses(on.report));
  CHECK(misses(on.report) <= 1);
  CHECK(on.report["workloads"][0]["metrics"][0]["breakdown"]["queue"].get<double>() < 0.1);
  // The neighbour pays: each split lock is now an exit's round trip.
  const auto& paid = on.report["workloads"][1]["metrics"][0]["breakdown"];
  CHECK(paid.value("exit", 0.0) > 0);
  CHECK(paid.value("hv", 0.0) > 0);
  CHECK(off.report["workloads"][1]["metrics"][0]["breakdown"].value("exit", 0.0) == 0);
  CHECK(on.report["scenario"]["hypervisor"]["split_lock_detection"] == true);
  CHECK(count(on.out, "locks the bus.") == 0);
  // UC-lock detection is not about a split lock on write-back memory.
  const Run uc = lab(kOnTigerLake + " --set hypervisor.uc_lock_detection=true");
  CHECK(bus_locks(uc.report) == locks);
  CHECK(count(uc.out, "locks the bus.") == 0);
  CHECK_FALSE(uc.report["scenario"]["hypervisor"].contains("split_lock_detection"));
}

TEST_CASE("split-lock detection on a Coffee Lake: no detection to turn on, the split locks lock the bus") {
  const Run on = lab("--set hypervisor.split_lock_detection=true");
  CHECK(bus_locks(on.report) == on.report["workloads"][1]["counters"]["split_locks"].get<long long>());
  CHECK(vm(on.report, "Neighbour_VM")["exits"]["exception"] == 0);
  CHECK(misses(on.report) > 0);
  CHECK(count(on.out, "locks the bus.") == 0);
}

TEST_CASE(
    "split-lock detection in a VM of two vCPUs: stepped with the other vCPU kicked and an unknown CPU warns once") {
  const std::string workloads = cli::temp_path("lock-w.yaml");
  std::ofstream(workloads) << "workloads:\n"
                              "  - name: locker\n"
                              "    kind: noisy\n"
                              "    roles:\n"
                              "      neighbour: { vm: POST_STD_VM2, vcpu: 0 }\n"
                              "    params: { working_set_bytes: 65536, iterations: 2000, split_lock_percent: 5 }\n"
                              "  - name: other\n"
                              "    kind: noisy\n"
                              "    roles:\n"
                              "      neighbour: { vm: POST_STD_VM2, vcpu: 1 }\n"
                              "    params: { working_set_bytes: 65536, iterations: 20000 }\n";
  // The fixture board (model 0x9E, Coffee Lake) lists its CPU's capabilities,
  // IA32_CORE_CAPABILITIES not among them; the same board with the MSR, as a
  // Tiger Lake (0x8C), and as a model the CPU map does not know (0x8B).
  std::string board = cli::slurp(kData + "/board-8cpu.xml");
  const std::string vmx = R"(<capability id="vmx"/>)";
  const std::string model = "<model_id>0x9e</model_id>";
  REQUIRE(board.find(vmx) != std::string::npos);
  auto as_model = [&](const std::string& id, const std::string& file) {
    std::string b = board;
    b.replace(b.find(vmx), vmx.size(), vmx + R"(<capability id="ia32_core_capabilities"/>)");
    for (auto at = b.find(model); at != std::string::npos; at = b.find(model, at))
      b.replace(at, model.size(), "<model_id>" + id + "</model_id>");
    const std::string path = cli::temp_path(file);
    std::ofstream(path) << b;
    return path;
  };
  const std::string tgl_path = as_model("0x8c", "lock-board.xml");
  const std::string unknown_path = as_model("0x8b", "lock-board-unknown.xml");
  const std::string args = " --scenario " + kData + "/scenario-hybrid.xml --workloads " + workloads +
                           " --set hypervisor.split_lock_detection=true";

  const Run without = run("--board " + kData + "/board-8cpu.xml" + args, "lock-cfl.json");
  CHECK(count(without.out, kSplitWarning) == 0);
  CHECK(bus_locks(without.report) > 0);
  const cli::Result shown = cli::ivsim("show --board " + kData + "/board-8cpu.xml" + args);
  CHECK(shown.out.find("split-lock detection (no effect: the CPU does not enumerate it)") != std::string::npos);

  // ACRN pauses the VM's other vCPU and steps the instruction with MTF:
  // an exception and a monitor-trap exit per split lock, no bus lock; the
  // other vCPU, busy, is kicked out of its guest for each.
  const Run two = run("--board " + tgl_path + args, "lock-tgl.json");
  const long long locks = two.report["workloads"][0]["counters"]["split_locks"];
  REQUIRE(locks > 0);
  CHECK(count(two.out, kSplitWarning) == 0);
  CHECK(bus_locks(two.report) == 0);
  const auto& exits = vm(two.report, "POST_STD_VM2")["exits"];
  CHECK(exits["exception"] == locks);
  CHECK(exits["monitor_trap"] == locks);
  CHECK(exits["external_interrupt"].get<long long>() >= locks / 2);
  CHECK(vm(without.report, "POST_STD_VM2")["exits"]["monitor_trap"] == 0);
  const cli::Result shown_tgl = cli::ivsim("show --board " + tgl_path + args);
  CHECK(shown_tgl.out.find("split-lock detection (emulated as ACRN does") != std::string::npos);

  // A CPU the map does not know may or may not enumerate it: the lock
  // locks the bus and the run says so, once.
  const Run unknown = run("--board " + unknown_path + args, "lock-unknown.json");
  CHECK(count(unknown.out, kSplitWarning) == 1);
  CHECK(unknown.out.find("vm3_POST_STD_VM2_vcpu0: a split lock") != std::string::npos);
  CHECK(bus_locks(unknown.report) > 0);
  CHECK(vm(unknown.report, "POST_STD_VM2")["exits"]["exception"] == 0);
  std::remove(workloads.c_str());
  std::remove(tgl_path.c_str());
  std::remove(unknown_path.c_str());
}
