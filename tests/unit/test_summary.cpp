// The run summary: units per row, columns sized to their contents, every
// workload listed with its status and reason, one VM per line of exits.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "sim/report.h"

using namespace ivsim;

namespace {

Json metric(const std::string& name, u64 count, double ns) {
  Json m = {{"name", name}, {"unit", "ns"}, {"count", count}};
  if (count == 0) return m;
  for (const char* k : {"min", "p50", "p90", "p99", "p999", "max", "mean"}) m[k] = ns;
  m["breakdown"] = {{"compute", ns - 21.0}, {"coherence", 21.0}};
  return m;
}

Json report() {
  Json r;
  r["ivsim_version"] = "0.1.0";
  r["scenario"] = {{"name", "s"}, {"board", "b"}};
  r["timing_profile"] = {{"name", "p"}};
  r["workloads"] = Json::array();
  r["workloads"].push_back({{"name", "fast"},
                            {"status", "completed"},
                            {"metrics", Json::array({metric("round_trip", 20000, 366.222)})},
                            {"counters", Json::object()}});
  r["workloads"].push_back({{"name", "a_workload_with_a_much_longer_name_than_usual"},
                            {"status", "completed"},
                            {"metrics", Json::array({metric("round_trip", 123456789, 20.0e6)})},
                            {"counters", {{"walks", 7}}}});
  r["workloads"].push_back({{"name", "doorbell"},
                            {"status", "completed"},
                            {"metrics", Json::array({metric("round_trip", 10, 6712.3), metric("other", 0, 0)})},
                            {"counters", Json::object()}});
  r["workloads"].push_back({{"name", "silent"},
                            {"status", "blocked"},
                            {"reason", "initiator: polling GVA 0x80200040"},
                            {"metrics", Json::array({metric("round_trip", 0, 0)})},
                            {"counters", Json::object()}});
  r["workloads"].push_back({{"name", "gone"},
                            {"status", "stalled"},  // a status this code does not know is printed as it is
                            {"reason", "guest: waits"},
                            {"metrics", Json::array()},
                            {"counters", Json::object()}});
  r["vms"] = Json::array();
  for (int i = 0; i < 16; ++i)
    r["vms"].push_back({{"name", "VM_" + std::to_string(i)},
                        {"exits", {{"ept_violation_mmio", i == 3 ? 0 : 1}, {"io_instruction", i == 3 ? 0 : 174}}}});
  r["host"] = {{"simulated_ns", 7589000.0}, {"wall_seconds", 0.06}, {"simulated_accesses_per_second", 4.1e6}};
  return r;
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

}  // namespace

TEST_CASE("summary: a unit per row, columns as wide as their widest cell", "[summary]") {
  const std::vector<std::string> l = lines(summary_table(report()));
  REQUIRE(l.size() > 12);
  const std::string header = l[1];
  const std::size_t status_col = header.find("status");
  // The long name widens the first column for every row.
  CHECK(header.find("metric") == std::string("a_workload_with_a_much_longer_name_than_usual").size() + 2);
  CHECK(l[2].find("fast ") == 0);
  CHECK(l[2].find("  ns  ") != std::string::npos);
  CHECK(l[2].find("366.2") != std::string::npos);
  CHECK(l[3].find("mean breakdown (ns): compute 345.2 coherence 21.0") != std::string::npos);
  // 20 ms reads in ms, with its nine-digit count in the count column.
  CHECK(l[4].find("123456789  ms") != std::string::npos);
  CHECK(l[4].find("20.0") != std::string::npos);
  CHECK(l[6].find("counters: walks=7") != std::string::npos);
  // 6.7 us still reads in ns; a metric without samples gets no row of its own.
  CHECK(l[7].find("6712.3") != std::string::npos);
  // Every row's status starts in the status column.
  for (std::size_t i : {2, 4, 7}) CHECK(l[i].find("completed") == status_col);
}

TEST_CASE("summary: every workload is listed, with its status and why it did not complete", "[summary]") {
  const std::string s = summary_table(report());
  const std::vector<std::string> l = lines(s);
  CHECK(s.find("silent") != std::string::npos);
  CHECK(s.find("blocked: initiator: polling GVA 0x80200040") != std::string::npos);
  CHECK(s.find("gone") != std::string::npos);
  CHECK(s.find("stalled: guest: waits") != std::string::npos);
  for (const auto& line : l)
    if (line.rfind("silent", 0) == 0) CHECK(line.find("blocked") == l[1].find("status"));
}

TEST_CASE("summary: VM exits one VM per line", "[summary]") {
  const std::vector<std::string> l = lines(summary_table(report()));
  std::size_t at = 0;
  while (at < l.size() && l[at] != "VM exits") ++at;
  REQUIRE(at + 17 < l.size());
  CHECK(l[at + 1] == "  VM_0   ept_violation_mmio=1 io_instruction=174");
  CHECK(l[at + 4] == "  VM_3   none");
  CHECK(l[at + 16] == "  VM_15  ept_violation_mmio=1 io_instruction=174");
  for (const auto& line : l) CHECK(line.size() < 200);
}
