// `ivsim run --trace` and `--vcd`: the timeline a user opens in Perfetto or
// GTKWave. The file parses, its spans nest on every track, doorbell flows
// go from the sender's exit to the peer's ISR, and tracing changes nothing
// in the report.
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/scenario/cli.h"

namespace {

using Json = nlohmann::json;

const std::string kDoorbell = "--set workloads[0].params.notify=doorbell --set workloads[0].params.iterations=200";

long long ns(const Json& us) { return std::llround(us.get<double>() * 1000.0); }

struct Span {
  long long start, end;
  std::string name;
};

// X events by (pid, tid).
std::map<std::pair<int, int>, std::vector<Span>> tracks(const Json& events) {
  std::map<std::pair<int, int>, std::vector<Span>> t;
  for (const auto& e : events)
    if (e["ph"] == "X") t[{e["pid"], e["tid"]}].push_back({ns(e["ts"]), ns(e["ts"]) + ns(e["dur"]), e["name"]});
  return t;
}

std::string without_host(const std::string& report) {
  Json j = Json::parse(report);
  j.erase("host");
  return j.dump();
}

}  // namespace

TEST_CASE("a doorbell run's trace has nested spans on every track and a flow from each doorbell to the peer's ISR") {
  const std::string dir = cli::temp_path("trace");
  REQUIRE(std::system(("mkdir -p " + dir).c_str()) == 0);
  const cli::Result r = cli::ivsim("run " + kDoorbell + " --quiet --report " + dir + "/r.json --trace " + dir +
                                   "/t.json --vcd " + dir + "/t.vcd");
  INFO(r.out);
  REQUIRE(r.status == 0);
  const Json trace = Json::parse(cli::slurp(dir + "/t.json"));
  const Json& ev = trace["traceEvents"];
  REQUIRE(ev.is_array());

  // Named tracks: a pCPU, the hypervisor, the device model, every VM.
  std::set<std::string> names;
  for (const auto& e : ev)
    if (e["ph"] == "M" && (e["name"] == "process_name" || e["name"] == "thread_name"))
      names.insert(e["args"]["name"].get<std::string>());
  for (const char* n : {"pCPUs", "pCPU 2", "pCPU 7", "hypervisor", "hypervisor on pCPU 2", "device model (Service VM)",
                        "VM 0 RT_VM", "VM 2 HMI_VM", "vCPU 0 (pCPU 7)", "vCPU 0 interrupts"})
    CHECK(names.count(n) == 1);

  // On each track, spans are ordered and nest: a span that starts inside
  // another ends inside it too.
  const auto t = tracks(ev);
  std::size_t spans = 0;
  for (const auto& [track, list] : t) {
    std::vector<Span> v = list;
    std::sort(v.begin(), v.end(),
              [](const Span& a, const Span& b) { return a.start != b.start ? a.start < b.start : a.end > b.end; });
    std::vector<Span> open;
    for (const Span& s : v) {
      CHECK(s.end >= s.start);
      while (!open.empty() && open.back().end <= s.start && !(open.back().start == s.start)) open.pop_back();
      while (!open.empty() && open.back().end < s.start) open.pop_back();
      if (!open.empty() && s.start < open.back().end) {
        INFO("track " << track.first << "/" << track.second << ": " << s.name << " [" << s.start << ", " << s.end
                      << "] inside " << open.back().name << " [" << open.back().start << ", " << open.back().end
                      << "]");
        CHECK(s.end <= open.back().end);
      }
      open.push_back(s);
      ++spans;
    }
  }
  CHECK(spans > 1000);

  // Every kind of span is there.
  std::map<std::string, int> kinds;
  for (const auto& e : ev)
    if (e["ph"] == "X") ++kinds[e["cat"].get<std::string>() + ":" + e["name"].get<std::string>().substr(0, 8)];
  for (const char* k : {"guest:guest pr", "guest:HLT", "vm_exit:VM exit:", "hypervisor:ept_viol", "interrupt:ISR vect",
                        "interrupt:interrup", "device_model:I/O requ", "pcpu:HMI_VM v", "pcpu:RT_VM vC"})
    CHECK(kinds[k] > 0);

  // Flows: one per delivered doorbell, s -> t -> f in time order; s inside a
  // VM exit of the sender, f at the start of an ISR of the peer.
  const Json report = Json::parse(cli::slurp(dir + "/r.json"));
  const long long delivered = report["regions"][0]["doorbells"]["delivered"];
  CHECK(delivered >= 400);
  std::map<long long, std::map<std::string, Json>> flows;
  for (const auto& e : ev)
    if (e["ph"] == "s" || e["ph"] == "t" || e["ph"] == "f") flows[e["id"]][e["ph"]] = e;
  CHECK(static_cast<long long>(flows.size()) == delivered);
  auto inside = [&](const Json& e, const std::string& prefix, bool at_start) {
    const long long ts = ns(e["ts"]);
    for (const Span& s : t.at({e["pid"], e["tid"]}))
      if (s.name.rfind(prefix, 0) == 0 && (at_start ? s.start == ts : s.start <= ts && ts <= s.end)) return true;
    return false;
  };
  int checked = 0;
  for (const auto& [id, f] : flows) {
    REQUIRE(f.size() == 3);
    CHECK(ns(f.at("s")["ts"]) <= ns(f.at("t")["ts"]));
    CHECK(ns(f.at("t")["ts"]) <= ns(f.at("f")["ts"]));
    CHECK(f.at("s")["pid"] != f.at("f")["pid"]);  // from one VM to the other
    if (++checked <= 50) {                        // a sample: the search is linear
      CHECK(inside(f.at("s"), "VM exit: ept_violation_mmio", false));
      CHECK(inside(f.at("f"), "ISR vector", true));
      CHECK(f.at("f")["bp"] == "e");
    }
  }

  // The VCD: each vCPU's irq and isr lines, an isr rise per ISR taken.
  const std::string vcd = cli::slurp(dir + "/t.vcd");
  CHECK(vcd.find("$timescale 1ps $end") != std::string::npos);
  CHECK(vcd.find("$scope module VM2_HMI_VM $end") != std::string::npos);
  const auto isr_id = [&](const std::string& scope) {
    const auto at = vcd.find("$scope module " + scope + " $end");
    const auto var = vcd.find(" isr $end", at);
    const auto start = vcd.rfind("1 ", var) + 2;
    return vcd.substr(start, var - start);
  };
  const std::string hmi_isr = isr_id("VM2_HMI_VM $end\n$scope module vcpu0");
  long long rises = 0;
  std::istringstream lines(vcd);
  for (std::string line; std::getline(lines, line);)
    if (line == "1" + hmi_isr) ++rises;
  CHECK(rises == report["vms"][2]["interrupts_taken"].get<long long>());
  REQUIRE(std::system(("rm -rf " + dir).c_str()) == 0);
}

TEST_CASE("a traced run's report is byte-identical to an untraced one") {
  const std::string a = cli::temp_path("plain.json"), b = cli::temp_path("traced.json"),
                    t = cli::temp_path("traced-trace.json");
  REQUIRE(cli::ivsim("run " + kDoorbell + " --quiet --report " + a).status == 0);
  REQUIRE(cli::ivsim("run " + kDoorbell + " --quiet --report " + b + " --trace " + t).status == 0);
  CHECK(without_host(cli::slurp(a)) == without_host(cli::slurp(b)));
  std::remove(a.c_str());
  std::remove(b.c_str());
  std::remove(t.c_str());
}

TEST_CASE("a trace window keeps only the spans that overlap it") {
  const std::string all = cli::temp_path("all.json"), part = cli::temp_path("part.json");
  REQUIRE(cli::ivsim("run " + kDoorbell + " --quiet --report '' --trace " + all).status == 0);
  const cli::Result r =
      cli::ivsim("run " + kDoorbell + " --quiet --report '' --trace " + part + " --trace-window 100us:150us");
  INFO(r.out);
  REQUIRE(r.status == 0);
  std::size_t n_all = 0, n_part = 0;
  const Json whole = Json::parse(cli::slurp(all)), windowed = Json::parse(cli::slurp(part));
  for (const auto& e : whole["traceEvents"]) n_all += e["ph"] == "X";
  for (const auto& e : windowed["traceEvents"]) {
    if (e["ph"] != "X") continue;
    ++n_part;
    CHECK(ns(e["ts"]) < 150'000);
    CHECK(ns(e["ts"]) + ns(e["dur"]) >= 100'000);
  }
  CHECK(n_part > 10);
  CHECK(n_part * 4 < n_all);
  std::remove(all.c_str());
  std::remove(part.c_str());
}

TEST_CASE("a bad --trace-window or --trace path is refused before anything runs") {
  const std::string t = cli::temp_path("never.json");
  cli::Result r = cli::ivsim("run --quiet --report '' --trace " + t + " --trace-window 2ms:1ms");
  CHECK(r.status == 2);
  CHECK(r.out.find("--trace-window: error: T1 must be after T0") != std::string::npos);
  r = cli::ivsim("run --quiet --report '' --trace " + t + " --trace-window 5:6ms");
  CHECK(r.status == 2);
  CHECK(r.out.find("needs a unit") != std::string::npos);
  r = cli::ivsim("run --quiet --report '' --trace-window 1ms:2ms");
  CHECK(r.status == 2);
  CHECK(r.out.find("--trace-window: error: goes with --trace or --vcd") != std::string::npos);
  r = cli::ivsim("run --quiet --report '' --trace /nonexistent-dir/t.json");
  CHECK(r.status == 2);
  CHECK(r.out.find("--trace: error:") != std::string::npos);
  CHECK_FALSE(cli::exists(t));
}
