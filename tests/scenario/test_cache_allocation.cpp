// ACRN's cache allocation (RDT/CAT) through the ivsim binary: a mask wider
// than the cache's capacity bitmask, a split mask and a cache the board does
// not have are refused with an error located at the field (YAML) or element
// (XML) and status 2; the shipped CAT scenario keeps the RT VM's control
// state in the L3 where its unpartitioned twin loses it to the neighbours.
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

#include "cli.h"

namespace {

const std::string kScenarios = std::string(IVSIM_TESTS_DIR) + "/../platforms/scenarios/";

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = cli::temp_path(name);
  std::ofstream(path) << text;
  return path;
}

// "line:col" (1-based) of the first `needle` in `text`.
std::string position(const std::string& text, const std::string& needle) {
  const std::size_t at = text.find(needle);
  REQUIRE(at != std::string::npos);
  const std::size_t line_start = text.rfind('\n', at) == std::string::npos ? 0 : text.rfind('\n', at) + 1;
  const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<long>(at), '\n');
  return std::to_string(line) + ":" + std::to_string(at - line_start + 1);
}

// The shipped CAT scenario with `from` replaced by `to`, validated.
struct Refused {
  std::string file, text;
  cli::Result result;
};

Refused validate_with(const std::string& name, const std::string& from, const std::string& to) {
  std::string text = cli::slurp(kScenarios + "rt_interference_cat.yaml");
  const std::size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  Refused r{write_temp(name, text), text, {}};
  r.result = cli::ivsim("validate " + r.file);
  return r;
}

}  // namespace

TEST_CASE("a CLOS mask wider than the cache's capacity_mask_length is refused at its line with status 2",
          "[cache_allocation]") {
  const Refused r = validate_with("cat-wide.yaml", "vcpu: 0, type: Unified, clos_mask: 0x07f",
                                  "vcpu: 0, type: Unified, clos_mask: 0xfff");
  INFO(r.result.out);
  CHECK(r.result.status == 2);
  CHECK(r.result.out.find(r.file + ":" + position(r.text, "0xfff") +
                          ": error: hypervisor.cache_allocation[0].policies[0].clos_mask: mask 0xfff is wider than "
                          "the level-3 cache 0x0's 11-bit capacity bitmask (capacity_mask_length): at most 0x7ff") !=
        std::string::npos);
  std::remove(r.file.c_str());
}

TEST_CASE("a non-contiguous CLOS mask is refused at its line with status 2", "[cache_allocation]") {
  const Refused r = validate_with("cat-split.yaml", "Noisy_VM1, vcpu: 0, type: Unified, clos_mask: 0x780",
                                  "Noisy_VM1, vcpu: 0, type: Unified, clos_mask: 0x701");
  INFO(r.result.out);
  CHECK(r.result.status == 2);
  CHECK(r.result.out.find(r.file + ":" + position(r.text, "0x701") +
                          ": error: hypervisor.cache_allocation[0].policies[3].clos_mask: mask 0x701 is not "
                          "contiguous") != std::string::npos);
  std::remove(r.file.c_str());
}

TEST_CASE("a cache id the board does not have is refused at its line with status 2", "[cache_allocation]") {
  const Refused r = validate_with("cat-id.yaml", "cache_id: 0x0", "cache_id: 0x2");
  INFO(r.result.out);
  CHECK(r.result.status == 2);
  CHECK(r.result.out.find(r.file + ":" + position(r.text, "0x2") +
                          ": error: hypervisor.cache_allocation[0].cache_id: board srv-2s-xeon has no level-3 cache "
                          "0x2 (its level-3 cache ids: 0x0, 0x1)") != std::string::npos);
  // A cache that is there but has no CAT (Cascade Lake's L2) is refused too.
  const Refused l2 = validate_with("cat-l2.yaml", "cache_level: 3", "cache_level: 2");
  INFO(l2.result.out);
  CHECK(l2.result.status == 2);
  CHECK(l2.result.out.find("hypervisor.cache_allocation[0].cache_id: board srv-2s-xeon's level-2 cache 0x0 has no "
                           "cache allocation") != std::string::npos);
  std::remove(r.file.c_str());
  std::remove(l2.file.c_str());
}

TEST_CASE("cache allocation needs RDT on, and CDP's Code and Data policies need CDP", "[cache_allocation]") {
  const Refused off = validate_with("cat-off.yaml", "rdt: { enabled: true }", "rdt: { enabled: false }");
  INFO(off.result.out);
  CHECK(off.result.status == 2);
  CHECK(off.result.out.find("error: hypervisor.cache_allocation: cache allocation needs hypervisor.rdt.enabled "
                            "(RDT_ENABLED) set to true") != std::string::npos);
  const Refused data = validate_with("cat-data.yaml", "RT_VM, vcpu: 1, type: Unified", "RT_VM, vcpu: 1, type: Data");
  INFO(data.result.out);
  CHECK(data.result.status == 2);
  CHECK(data.result.out.find(data.file + ":" + position(data.text, "Data") +
                             ": error: hypervisor.cache_allocation[0].policies[1].type: a Data policy needs Code and "
                             "Data Prioritization") != std::string::npos);
  const Refused vcpu = validate_with("cat-vcpu.yaml", "RT_VM, vcpu: 1,", "RT_VM, vcpu: 2,");
  INFO(vcpu.result.out);
  CHECK(vcpu.result.status == 2);
  CHECK(vcpu.result.out.find("policies[1].vcpu: VM RT_VM has 2 vCPUs (0-1), not vCPU 2") != std::string::npos);
  for (const auto* f : {&off, &data, &vcpu}) std::remove(f->file.c_str());
}

TEST_CASE("ACRN scenario XML: RDT and CACHE_REGION are read, and a bad CLOS_MASK is refused at its element",
          "[cache_allocation]") {
  const std::string xml = R"(<acrn-config>
  <hv>
    <FEATURES>
      <SCHEDULER>SCHED_NOOP</SCHEDULER>
      <RDT>
        <RDT_ENABLED>y</RDT_ENABLED>
        <CDP_ENABLED>n</CDP_ENABLED>
        <VCAT_ENABLED>n</VCAT_ENABLED>
      </RDT>
    </FEATURES>
    <CACHE_REGION>
      <CACHE_ALLOCATION>
        <CACHE_ID>0x0</CACHE_ID>
        <CACHE_LEVEL>3</CACHE_LEVEL>
        <POLICY>
          <VM>RT_VM</VM>
          <VCPU>0</VCPU>
          <TYPE>Unified</TYPE>
          <CLOS_MASK>0x00f</CLOS_MASK>
        </POLICY>
        <POLICY>
          <VM>STD_VM</VM>
          <VCPU>0</VCPU>
          <TYPE>Unified</TYPE>
          <CLOS_MASK>0x7f0</CLOS_MASK>
        </POLICY>
      </CACHE_ALLOCATION>
    </CACHE_REGION>
  </hv>
  <vm id="0">
    <load_order>PRE_LAUNCHED_VM</load_order>
    <name>RT_VM</name>
    <vm_type>RTVM</vm_type>
    <cpu_affinity><pcpu><pcpu_id>2</pcpu_id></pcpu></cpu_affinity>
    <memory><hpa_region><size_hpa>256</size_hpa></hpa_region></memory>
  </vm>
  <vm id="1">
    <load_order>SERVICE_VM</load_order>
    <name>Service_VM</name>
    <cpu_affinity><pcpu><pcpu_id>0</pcpu_id></pcpu></cpu_affinity>
  </vm>
  <vm id="2">
    <load_order>POST_LAUNCHED_VM</load_order>
    <name>STD_VM</name>
    <cpu_affinity><pcpu><pcpu_id>4</pcpu_id></pcpu></cpu_affinity>
    <memory><size>256</size></memory>
  </vm>
</acrn-config>
)";
  const std::string good = write_temp("cat.xml", xml);
  cli::Result r = cli::ivsim("validate --board srv-2s-xeon " + good);
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(r.out.find("Software SRAM") == std::string::npos);
  // Software SRAM is not modelled, and a scenario that turns it on hears so.
  std::string ssram_text = xml;
  ssram_text.insert(ssram_text.find("      <RDT>"),
                    "      <SSRAM>\n        <SSRAM_ENABLED>y</SSRAM_ENABLED>\n      </SSRAM>\n");
  const std::string ssram = write_temp("ssram.xml", ssram_text);
  r = cli::ivsim("validate --board srv-2s-xeon " + ssram);
  CHECK(r.status == 0);
  CHECK(r.out.find(ssram + ":" + position(ssram_text, "<SSRAM_ENABLED>") +
                   ": hv/FEATURES/SSRAM/SSRAM_ENABLED is y: Software SRAM is not modelled") != std::string::npos);
  std::remove(ssram.c_str());
  std::string bad_text = xml;
  bad_text.replace(bad_text.find("0x7f0"), 5, "0x1800");
  const std::string bad = write_temp("cat-bad.xml", bad_text);
  r = cli::ivsim("validate --board srv-2s-xeon " + bad);
  INFO(r.out);
  CHECK(r.status == 2);
  CHECK(r.out.find(bad + ":" + position(bad_text, "0x1800") +
                   ": error: hv/CACHE_REGION/CACHE_ALLOCATION[0]/POLICY[1]/CLOS_MASK: mask 0x1800 is wider than the "
                   "level-3 cache 0x0's 11-bit capacity bitmask") != std::string::npos);
  std::remove(good.c_str());
  std::remove(bad.c_str());
}

namespace {

nlohmann::json run_report(const std::string& scenario) {
  const std::string report = cli::temp_path(scenario + ".json");
  const cli::Result r = cli::ivsim("run --quiet " + kScenarios + scenario + ".yaml --report " + report);
  INFO(r.out);
  REQUIRE(r.status == 0);
  auto j = nlohmann::json::parse(cli::slurp(report));
  std::remove(report.c_str());
  return j;
}

const nlohmann::json& metric_of(const nlohmann::json& report, const std::string& workload) {
  for (const auto& w : report["workloads"])
    if (w["name"] == workload) return w["metrics"][0];
  FAIL("no workload " << workload);
  static const nlohmann::json none;
  return none;
}

}  // namespace

TEST_CASE("end to end: with the L3 partitioned, the noisy neighbours no longer evict the RT VM's lines",
          "[cache_allocation]") {
  // The same scenario with and without hypervisor.cache_allocation: the RT
  // VM's control-state walk (12 MiB, beyond its 1 MiB L2) lives in the L3,
  // where three neighbours streaming 32 MiB each compete for it.
  const nlohmann::json shared = run_report("rt_interference");
  const nlohmann::json cat = run_report("rt_interference_cat");
  const auto& without = metric_of(shared, "rt_control_state");
  const auto& with = metric_of(cat, "rt_control_state");
  INFO("without CAT: p50 " << without["p50"] << " p99 " << without["p99"] << " max " << without["max"] << " mean "
                           << without["mean"] << " dram " << without["breakdown"]["dram"]);
  INFO("with CAT: p50 " << with["p50"] << " p99 " << with["p99"] << " max " << with["max"] << " mean " << with["mean"]
                        << " dram " << with["breakdown"]["dram"]);
  // Without the partition the neighbours push the RT VM's lines out of the
  // L3: a share of its loads go to DRAM, its tail is DRAM's.
  CHECK(without["breakdown"]["dram"].get<double>() > 5.0);
  // With it, every timed load of the RT VM hits (its L2 or its L3 ways): none
  // of its lines was evicted by a neighbour, and the tail is the L3's.
  CHECK(with["breakdown"]["dram"].get<double>() == 0.0);
  CHECK(with["p99"].get<double>() < without["p99"].get<double>());
  CHECK(with["max"].get<double>() < without["max"].get<double>());
  CHECK(with["mean"].get<double>() < without["mean"].get<double>());
  // The neighbours, confined to 4 of the 11 ways, still stream from DRAM.
  // (Open-row hits make a streaming miss cheaper than the profile's random one.)
  CHECK(metric_of(cat, "neighbour0")["breakdown"]["dram"].get<double>() > 30.0);
  // The command path lives in the two cores' private caches, which a
  // non-inclusive L3's evictions do not reach: the same either way.
  // (The noise draws land on different samples, so to within a nanosecond,
  // about 0.1 % of it.)
  CHECK(metric_of(cat, "hmi_command")["p99"].get<double>() ==
        Approx(metric_of(shared, "hmi_command")["p99"].get<double>()).margin(1.0));
}
