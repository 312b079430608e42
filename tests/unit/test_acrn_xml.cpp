// ACRN's XML files as the configurator ships them: board files, scenario
// files (v3 and the 2.x IVSHMEM_REGION text), what the twin fills in as the
// configurator would, and a corpus of malformed files, each pinned to its
// exact located error.
#include <catch2/catch.hpp>

#include <unistd.h>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "platforms/board.h"
#include "platforms/board_xml.h"
#include "platforms/cpu_models.h"
#include "platforms/host_caches.h"
#include "platforms/timing_profile.h"
#include "sim/acrn_launch_xml.h"
#include "sim/acrn_scenario_xml.h"
#include "sim/scenario_loader.h"
#include "sim/suggest.h"
#include "tests/support/acrn_data.h"
#include "tests/support/fuzz_inputs.h"

using namespace ivsim;

namespace {

const std::string kData = std::string(IVSIM_TESTS_DIR) + "/data/acrn/";
const std::string kBoard = kData + "board-8cpu.xml";

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  REQUIRE(f.good());
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The hybrid_rt-like fixture with one spot changed; line numbers in the
// expected errors refer to tests/data/acrn/scenario-hybrid.xml.
std::string scenario_with(const std::string& find, const std::string& replace) {
  std::string s = slurp(kData + "scenario-hybrid.xml");
  const auto pos = s.find(find);
  REQUIRE(pos != std::string::npos);
  return s.replace(pos, find.size(), replace);
}

std::string board_with(const std::string& find, const std::string& replace) {
  std::string s = slurp(kBoard);
  const auto pos = s.find(find);
  REQUIRE(pos != std::string::npos);
  return s.replace(pos, find.size(), replace);
}

Scenario load_xml(const std::string& xml, const std::string& board = kBoard, const std::vector<std::string>& sets = {},
                  std::vector<std::string>* warnings = nullptr) {
  ScenarioTree tree = read_acrn_scenario_text(xml, "bad.xml", board);
  for (const auto& s : sets) apply_set(tree.root, s);
  return validate_scenario_tree(tree, warnings);
}

std::string xml_error(const std::string& xml, const std::string& board = kBoard,
                      const std::vector<std::string>& sets = {}) {
  test::dump_fuzz_seed("acrn_scenario_xml", xml);
  std::vector<std::string> warnings;
  try {
    load_xml(xml, board, sets, &warnings);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string board_error(const std::string& xml) {
  test::dump_fuzz_seed("board_xml", xml);
  try {
    parse_board_xml(xml, "board.xml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

// A board file written to a temporary path (load_board reads files).
struct TempFile {
  std::string path;
  explicit TempFile(const std::string& text, const std::string& name)
      : path("/tmp/ivsim-test-" + std::to_string(getpid()) + "-" + name) {
    std::ofstream(path) << text;
  }
  ~TempFile() { std::remove(path.c_str()); }
};

struct BadCase {
  const char* what;
  std::string error;     // what the code says
  std::string expected;  // what it must say
};

}  // namespace

TEST_CASE("ACRN board files load as the shipped YAML boards describe them", "[acrn_xml][acrn-data]") {
  const std::string kAcrn = acrn_data::require() + "/";
  for (const std::string name : {"cfl-k700-i7", "nuc11tnbi5"}) {
    INFO(name);
    const Board x = load_board(kAcrn + name + "/" + name + ".xml", {});
    const Board y = load_board(name, {});
    CHECK(x.name == y.name);
    CHECK(x.cpu_model == y.cpu_model);
    CHECK(x.family_id == y.family_id);
    CHECK(x.model_id == y.model_id);
    CHECK(x.physical_address_bits == y.physical_address_bits);
    CHECK(x.ram_mib == y.ram_mib);
    CHECK(x.timing_profile.empty());  // the CPU model map decides at run time
    CHECK(timing_profile_for_cpu(x.family_id, x.model_id) == y.timing_profile);
    CHECK(x.frequency_mhz == y.frequency_mhz);
    REQUIRE(x.pcpus.size() == y.pcpus.size());
    for (std::size_t i = 0; i < x.pcpus.size(); ++i) {
      CHECK(x.pcpus[i].id == y.pcpus[i].id);
      CHECK(x.pcpus[i].die == y.pcpus[i].die);
      CHECK(x.pcpus[i].core == y.pcpus[i].core);
      CHECK(x.pcpus[i].thread == y.pcpus[i].thread);
    }
    REQUIRE(x.caches.size() == y.caches.size());
    for (std::size_t i = 0; i < x.caches.size(); ++i) {
      CHECK(x.caches[i].level == y.caches[i].level);
      CHECK(x.caches[i].type == y.caches[i].type);
      CHECK(x.caches[i].size_bytes == y.caches[i].size_bytes);
      CHECK(x.caches[i].ways == y.caches[i].ways);
      CHECK(x.caches[i].line_bytes == y.caches[i].line_bytes);
      CHECK(x.caches[i].pcpus == y.caches[i].pcpus);
      // The cache id ACRN's CACHE_ID names, and the cache allocation the
      // YAML board copies from the board file (nuc11tnbi5's L2s).
      CHECK(x.caches[i].id == y.caches[i].id);
      CHECK(x.caches[i].cat.capacity_mask_length == y.caches[i].cat.capacity_mask_length);
      CHECK(x.caches[i].cat.clos_number == y.caches[i].cat.clos_number);
      CHECK(x.caches[i].cat.cdp == y.caches[i].cat.cdp);
    }
  }
}

TEST_CASE("a board file's CAT and CDP capabilities are read per cache, beside or inside the CAT element",
          "[acrn_xml]") {
  std::string xml = board_with("<cache_size>12582912</cache_size>",
                               R"(<capability id="CAT">
        <capacity_mask_length>12</capacity_mask_length>
        <clos_number>4</clos_number>
        <capability id="CDP"/>
      </capability>
      <cache_size>12582912</cache_size>)");
  Board b = parse_board_xml(xml, "board.xml");
  const CacheInfo& l3 = b.caches.back();
  CHECK(l3.level == 3);
  CHECK(l3.id == 0);
  CHECK(l3.cat.capacity_mask_length == 12);
  CHECK(l3.cat.clos_number == 4);
  CHECK(l3.cat.cdp);
  for (const CacheInfo& c : b.caches)
    if (c.level < 3) CHECK_FALSE(c.cat.present());
  // The capability reaches the topology the coherence directory is built from.
  const CacheTopology t = cache_topology(b);
  REQUIRE(t.llc.size() == 1);
  CHECK(t.llc[0].cat.capacity_mask_length == 12);
  CHECK(t.llc[0].id == 0);
  // A CAT capability without its figures is an error at the capability.
  xml =
      board_with("<cache_size>12582912</cache_size>", R"(<capability id="CAT"><clos_number>4</clos_number></capability>
      <cache_size>12582912</cache_size>)");
  CHECK(board_error(xml).find("caches/cache[") != std::string::npos);
  CHECK(board_error(xml).find("missing element capacity_mask_length") != std::string::npos);
}

TEST_CASE("a board file names caches by APIC id, mapped to pCPU ids, and instruction caches are skipped",
          "[acrn_xml]") {
  const Board b = load_board(kBoard, {});
  CHECK(b.name == "test-8cpu");
  CHECK(b.cpu_model == "Test CPU @ 1.80GHz");
  CHECK(b.ram_mib == 16384);  // 16777216 kB
  CHECK(b.frequency_mhz == 1800);
  REQUIRE(b.pcpus.size() == 8);
  CHECK(b.pcpus[3].id == 3);
  CHECK(b.pcpus[3].core == 3);
  CHECK(b.pcpus[3].thread == 6);   // the thread id, as the file writes it (the APIC id)
  REQUIRE(b.caches.size() == 17);  // 8 L1d, 8 L2, 1 L3: the 8 L1i are not modelled
  for (const auto& c : b.caches) CHECK(c.type != 2);
  CHECK(b.caches[1].pcpus == std::vector<unsigned>{1});  // <processor>0x2</processor>
  CHECK(b.caches[16].level == 3);
  CHECK(b.caches[16].pcpus == std::vector<unsigned>{0, 1, 2, 3, 4, 5, 6, 7});
}

TEST_CASE("the CPU model picks the timing profile", "[acrn_xml]") {
  CHECK(timing_profile_for_cpu(6, 0x9e) == "coffee-lake-client");
  CHECK(timing_profile_for_cpu(6, 0x9f) == "");                    // not an Intel model id (intel-family.h has none)
  CHECK(timing_profile_for_cpu(6, 0x8e) == "coffee-lake-client");  // Whiskey Lake
  CHECK(timing_profile_for_cpu(6, 0x97) == "alder-lake-hybrid");
  CHECK(timing_profile_for_cpu(6, 0x96) == "atom-tremont");
  CHECK(timing_profile_for_cpu(6, 0x6a) == "ice-lake-server");
  CHECK(timing_profile_for_cpu(6, 0x8c) == "tiger-lake-client");
  CHECK(timing_profile_for_cpu(6, 0x8d) == "tiger-lake-client");
  CHECK(timing_profile_for_cpu(6, 0x55) == "cascade-lake-server");
  CHECK(timing_profile_for_cpu(6, 0x99) == "");
  CHECK(timing_profile_for_cpu(15, 0x9e) == "");
}

TEST_CASE("ACRN's hybrid_rt.xml reads as the configurator means it", "[acrn_xml][acrn-data]") {
  const std::string kAcrn = acrn_data::require() + "/";
  std::vector<std::string> warnings;
  ScenarioTree tree =
      read_acrn_scenario_file(kAcrn + "cfl-k700-i7/hybrid_rt.xml", kAcrn + "cfl-k700-i7/cfl-k700-i7.xml");
  const Scenario s = validate_scenario_tree(tree, &warnings);
  CHECK(warnings.empty());
  CHECK(s.name == "hybrid_rt");
  CHECK(s.scheduler == "SCHED_BVT");
  CHECK(s.max_vm_num == 16);
  REQUIRE(s.vms.size() == 4);
  CHECK(s.vms[0].name == "PRE_RT_VM0");
  CHECK(s.vms[0].load_order == LoadOrder::pre_launched);
  CHECK(s.vms[0].vm_type == "RTVM");
  CHECK(s.vms[0].lapic_passthrough);
  CHECK(s.vms[0].pcpus == std::vector<unsigned>{6, 7});
  CHECK(s.vms[0].memory_mib == 1024);  // memory/hpa_region/size_hpa
  // The Service VM has no cpu_affinity: every pCPU no pre-launched VM uses.
  CHECK(s.vms[1].load_order == LoadOrder::service_vm);
  CHECK(s.vms[1].pcpus == std::vector<unsigned>{0, 1, 2, 3, 4, 5});
  CHECK(s.vms[1].memory_mib == 1024);  // the twin's default for a Service VM
  CHECK(s.vms[2].pcpus == std::vector<unsigned>{1, 2, 3});
  CHECK(s.vms[2].memory_mib == 4096);  // memory/size
  CHECK_FALSE(s.vms[2].lapic_passthrough);
  REQUIRE(s.regions.size() == 1);
  CHECK(s.regions[0].name == "shm_region_0");
  CHECK(s.regions[0].provider == Provider::hypervisor);
  CHECK(s.regions[0].size_mib == 2);
  CHECK(s.regions[0].region_id == 0);  // no IVSHMEM_REGION_ID
  REQUIRE(s.regions[0].members.size() == 2);
  CHECK(s.regions[0].members[1].vm == "POST_STD_VM1");
  CHECK(s.regions[0].members[1].vbdf.to_string() == "00:08.0");
  // No workload in the file: a pingpong between the region's first two members.
  REQUIRE(s.workloads.size() == 1);
  CHECK(s.workloads[0].name == "shm_region_0_pingpong");
  CHECK(s.workloads[0].kind == "pingpong");
  CHECK(s.workloads[0].region == "shm_region_0");
  CHECK(s.workloads[0].roles.at("initiator").vm == "PRE_RT_VM0");
  CHECK(s.workloads[0].roles.at("initiator").vcpu == 0);
  CHECK(s.workloads[0].roles.at("responder").vm == "POST_STD_VM1");
  CHECK(s.workloads[0].params.at("iterations").i == 10000);
  // Errors point into the XML.
  const SourceLocation w = s.where("ivshmem[0].size_mib");
  CHECK(w.file == kAcrn + "cfl-k700-i7/hybrid_rt.xml");
  CHECK(w.line == 31);
  CHECK(w.column == 25);
}

TEST_CASE("every ACRN scenario file loads with its board", "[acrn_xml][acrn-data]") {
  const std::string kAcrn = acrn_data::require() + "/";
  const std::vector<std::pair<std::string, std::string>> files = {
      {"cfl-k700-i7/hybrid_rt.xml", "cfl-k700-i7/cfl-k700-i7.xml"},
      {"nuc11tnbi5/partitioned.xml", "nuc11tnbi5/nuc11tnbi5.xml"},
      {"nuc11tnbi5/hybrid_launch_2user_vm.xml", "nuc11tnbi5/nuc11tnbi5.xml"},
      {"nuc11tnbi5/shared_launch_6user_vm.xml", "nuc11tnbi5/nuc11tnbi5.xml"},
  };
  for (const auto& [scenario, board] : files) {
    INFO(scenario);
    std::vector<std::string> warnings;
    const Scenario s = validate_scenario_tree(read_acrn_scenario_file(kAcrn + scenario, kAcrn + board), &warnings);
    CHECK(warnings.empty());
    CHECK_FALSE(s.vms.empty());
  }
  // shared_launch_6user_vm: the Service VM takes every pCPU (no pre-launched VM).
  const Scenario s = validate_scenario_tree(
      read_acrn_scenario_file(kAcrn + "nuc11tnbi5/shared_launch_6user_vm.xml", kAcrn + "nuc11tnbi5/nuc11tnbi5.xml"));
  CHECK(s.vms[0].pcpus == std::vector<unsigned>{0, 1, 2, 3});
  CHECK(s.vms[2].lapic_passthrough);
  // hybrid_launch_2user_vm: all but the safety VM's pCPU 3.
  const Scenario h = validate_scenario_tree(
      read_acrn_scenario_file(kAcrn + "nuc11tnbi5/hybrid_launch_2user_vm.xml", kAcrn + "nuc11tnbi5/nuc11tnbi5.xml"));
  CHECK(h.vms[1].pcpus == std::vector<unsigned>{0, 1, 2});
}

TEST_CASE("blank VBDFs are assigned as the configurator does: lowest free device number from 00:08.0", "[acrn_xml]") {
  const Scenario s = load_xml(slurp(kData + "scenario-hybrid.xml"));
  REQUIRE(s.regions.size() == 2);
  // POST_STD_VM1 wrote 00:0a.0 for region 1; its blank one in region 0 takes 00:08.0.
  CHECK(s.regions[0].members[0].vbdf.to_string() == "00:08.0");
  CHECK(s.regions[0].members[1].vbdf.to_string() == "00:08.0");
  // PRE_RT_VM0 already has 00:08.0 (region 0): its blank one takes 00:09.0.
  CHECK(s.regions[1].members[0].vbdf.to_string() == "00:09.0");
  CHECK(s.regions[1].members[1].vbdf.to_string() == "00:0a.0");
  CHECK(s.regions[1].region_id == 0);  // <IVSHMEM_REGION_ID/>
  // The assigned VBDF is located at its member, for later errors.
  CHECK(s.where("ivshmem[0].members[1].vbdf").line == 18);
  // Older cpu_affinity/pcpu_id form; the Service VM gets what pre-launched VMs leave.
  CHECK(s.vms[3].pcpus == std::vector<unsigned>{4, 5});
  CHECK(s.vms[1].pcpus == std::vector<unsigned>{0, 1, 2, 3, 4, 5});
  CHECK(s.max_vm_num == 8);
  // Two default pingpongs between the same VMs run on different vCPUs.
  REQUIRE(s.workloads.size() == 2);
  CHECK(s.workloads[0].roles.at("initiator").vcpu == 0);
  CHECK(s.workloads[1].name == "shm_region_1_pingpong");
  CHECK(s.workloads[1].roles.at("initiator").vm == "PRE_RT_VM0");
  CHECK(s.workloads[1].roles.at("initiator").vcpu == 1);
  CHECK(s.workloads[1].roles.at("responder").vcpu == 1);
}

TEST_CASE("empty lapic_passthrough and memory/size take the schema defaults as the configurator fills them",
          "[acrn_xml]") {
  std::string xml = slurp(kData + "scenario-hybrid.xml");
  auto replace = [&](const std::string& from, const std::string& to) {
    const auto at = xml.find(from);
    REQUIRE(at != std::string::npos);
    xml.replace(at, from.size(), to);
  };
  replace("<lapic_passthrough>y</lapic_passthrough>", "<lapic_passthrough/>");
  replace("<size>512</size>", "<size/>");
  const Scenario s = load_xml(xml);
  CHECK_FALSE(s.vms[0].lapic_passthrough);  // default_populator.py: n
  CHECK(s.vms[3].memory_mib == 1024);       // VMtypes.xsd MemoryInfo/size
}

TEST_CASE("a pre-launched VM with memory/size and hpa_regions gets both as memory_allocator.py allocates them",
          "[acrn_xml]") {
  std::string xml = slurp(kData + "scenario-hybrid.xml");
  const std::string region = "      <hpa_region>\n        <start_hpa>0x100000000</start_hpa>";
  const auto at = xml.find(region);
  REQUIRE(at != std::string::npos);
  xml.insert(at, "      <size>512</size>\n");
  CHECK(load_xml(xml).vms[0].memory_mib == 512 + 1024);
}

TEST_CASE("KEEP_IRQ_DISABLED sets how an idle pCPU waits, and an ACRN 2.x file's pCPUs pause", "[acrn_xml]") {
  // cpu_do_idle: HLT unless CONFIG_KEEP_IRQ_DISABLED (ACRN v3.3); before
  // v3.3 always PAUSE, and a 2.x file says it is one.
  CHECK(load_xml(slurp(kData + "scenario-hybrid.xml")).idle == "HLT");
  const std::string features = "<SCHEDULER>SCHED_BVT</SCHEDULER>";
  CHECK(load_xml(scenario_with(features, features + "<KEEP_IRQ_DISABLED>y</KEEP_IRQ_DISABLED>")).idle == "PAUSE");
  CHECK(load_xml(scenario_with(features, features + "<KEEP_IRQ_DISABLED>n</KEEP_IRQ_DISABLED>")).idle == "HLT");
  CHECK(load_xml(slurp(kData + "scenario-2x.xml")).idle == "PAUSE");
  // A --set still decides, as for any field.
  CHECK(load_xml(slurp(kData + "scenario-2x.xml"), kBoard, {"hypervisor.idle=HLT"}).idle == "HLT");
  CHECK_THROWS_WITH(load_xml(scenario_with(features, features + "<KEEP_IRQ_DISABLED>1</KEEP_IRQ_DISABLED>")),
                    Catch::Contains("hv/FEATURES/KEEP_IRQ_DISABLED: expected y or n, got \"1\""));
}

TEST_CASE("HYPERV_ENABLED is read and is on when absent as in ACRN's schema", "[acrn_xml]") {
  const std::string features = "<SCHEDULER>SCHED_BVT</SCHEDULER>";
  CHECK(load_xml(scenario_with(features, features)).hyperv);  // config.xsd: default y
  CHECK(load_xml(scenario_with(features, features + "<HYPERV_ENABLED>y</HYPERV_ENABLED>")).hyperv);
  CHECK_FALSE(load_xml(scenario_with(features, features + "<HYPERV_ENABLED>n</HYPERV_ENABLED>")).hyperv);
  CHECK_THROWS_WITH(load_xml(scenario_with(features, features + "<HYPERV_ENABLED>on</HYPERV_ENABLED>")),
                    Catch::Contains("hv/FEATURES/HYPERV_ENABLED: expected y or n, got \"on\""));
}

TEST_CASE("MCE_ON_PSC_ENABLED and the older MCE_ON_PSC_DISABLED are read, on when absent", "[acrn_xml]") {
  const std::string features = "<SCHEDULER>SCHED_BVT</SCHEDULER>";
  CHECK(load_xml(scenario_with(features, features)).mce_on_psc);  // config.xsd: ENABLED y, DISABLED n
  CHECK(load_xml(scenario_with(features, features + "<MCE_ON_PSC_ENABLED>y</MCE_ON_PSC_ENABLED>")).mce_on_psc);
  CHECK_FALSE(load_xml(scenario_with(features, features + "<MCE_ON_PSC_ENABLED>n</MCE_ON_PSC_ENABLED>")).mce_on_psc);
  // v2.5-v3.0 said it the other way round.
  CHECK(load_xml(scenario_with(features, features + "<MCE_ON_PSC_DISABLED>n</MCE_ON_PSC_DISABLED>")).mce_on_psc);
  CHECK_FALSE(load_xml(scenario_with(features, features + "<MCE_ON_PSC_DISABLED>y</MCE_ON_PSC_DISABLED>")).mce_on_psc);
  CHECK_THROWS_WITH(load_xml(scenario_with(features, features + "<MCE_ON_PSC_DISABLED>no</MCE_ON_PSC_DISABLED>")),
                    Catch::Contains("hv/FEATURES/MCE_ON_PSC_DISABLED: expected y or n, got \"no\""));
}

TEST_CASE("VUART_TIMER_PCPU is read, 0 when absent, and must be one of the board's pCPUs", "[acrn_xml]") {
  const std::string features = "<SCHEDULER>SCHED_BVT</SCHEDULER>";
  CHECK(load_xml(scenario_with(features, features)).vuart_timer_pcpu == 0);  // config.xsd: default 0
  CHECK(load_xml(scenario_with(features, features + "<VUART_TIMER_PCPU>3</VUART_TIMER_PCPU>")).vuart_timer_pcpu == 3);
  CHECK_THROWS_WITH(load_xml(scenario_with(features, features + "<VUART_TIMER_PCPU>99</VUART_TIMER_PCPU>")),
                    Catch::Contains("hv/FEATURES/VUART_TIMER_PCPU: pCPU 99 does not exist on board"));
}

TEST_CASE("SERVICE_VM_SUPERVISOR_ENABLED is read and is off when absent", "[acrn_xml]") {
  const std::string features = "<SCHEDULER>SCHED_BVT</SCHEDULER>";
  CHECK_FALSE(load_xml(scenario_with(features, features)).service_vm_supervisor);
  CHECK(load_xml(scenario_with(features, features + "<SERVICE_VM_SUPERVISOR_ENABLED>y</SERVICE_VM_SUPERVISOR_ENABLED>"))
            .service_vm_supervisor);
}

TEST_CASE("BUILD_TYPE is read and is debug when absent as in ACRN's schema", "[acrn_xml]") {
  const std::string debug = "<BUILD_TYPE>debug</BUILD_TYPE>";
  CHECK(load_xml(scenario_with(debug, debug)).build_type == "debug");
  CHECK(load_xml(scenario_with(debug, "")).build_type == "debug");  // config.xsd: default debug
  CHECK(load_xml(scenario_with(debug, "<BUILD_TYPE>release</BUILD_TYPE>")).build_type == "release");
  CHECK_THROWS_WITH(load_xml(scenario_with(debug, "<BUILD_TYPE>Release</BUILD_TYPE>")),
                    Catch::Contains("hv/BUILD_TYPE"));
}

TEST_CASE("DEBUG_OPTIONS' SERIAL_CONSOLE and CONSOLE_LOGLEVEL are read, None and 5 when absent as in ACRN's schema",
          "[acrn_xml]") {
  const std::string debug = "<BUILD_TYPE>debug</BUILD_TYPE>";
  const Scenario absent = load_xml(scenario_with(debug, debug));
  CHECK(absent.serial_console == "None");
  CHECK(absent.console_loglevel == 5);
  const auto with = [&](const std::string& options) {
    return scenario_with(debug, debug + "<DEBUG_OPTIONS>" + options + "</DEBUG_OPTIONS>");
  };
  const Scenario sample =
      load_xml(with("<SERIAL_CONSOLE>/dev/ttyS1</SERIAL_CONSOLE><MEM_LOGLEVEL>5</MEM_LOGLEVEL>"
                    "<NPK_LOGLEVEL>5</NPK_LOGLEVEL><CONSOLE_LOGLEVEL>3</CONSOLE_LOGLEVEL>"));
  CHECK(sample.serial_console == "/dev/ttyS1");
  CHECK(sample.console_loglevel == 3);
  CHECK(load_xml(with("<SERIAL_CONSOLE>None</SERIAL_CONSOLE>")).serial_console == "None");
  CHECK_THROWS_WITH(load_xml(with("<SERIAL_CONSOLE>COM1</SERIAL_CONSOLE>")),
                    Catch::Contains("hv/DEBUG_OPTIONS/SERIAL_CONSOLE: expected None or a serial device"));
  CHECK_THROWS_WITH(load_xml(with("<CONSOLE_LOGLEVEL>6</CONSOLE_LOGLEVEL>")),
                    Catch::Contains("hv/DEBUG_OPTIONS/CONSOLE_LOGLEVEL"));
}

TEST_CASE("SPLIT_LOCK_DETECTION_ENABLED and UC_LOCK_DETECTION_ENABLED are read, and the board says if they can act",
          "[acrn_xml]") {
  const std::string features = "<SCHEDULER>SCHED_BVT</SCHEDULER>";
  const Scenario off = load_xml(slurp(kData + "scenario-hybrid.xml"));
  CHECK_FALSE(off.split_lock_detection);
  CHECK_FALSE(off.uc_lock_detection);
  const Scenario uc =
      load_xml(scenario_with(features, features + "<SPLIT_LOCK_DETECTION_ENABLED>n</SPLIT_LOCK_DETECTION_ENABLED>"
                                                  "<UC_LOCK_DETECTION_ENABLED>y</UC_LOCK_DETECTION_ENABLED>"));
  CHECK_FALSE(uc.split_lock_detection);
  CHECK(uc.uc_lock_detection);
  CHECK(load_xml(scenario_with(features, features + "<SPLIT_LOCK_DETECTION_ENABLED>y</SPLIT_LOCK_DETECTION_ENABLED>"))
            .split_lock_detection);
  CHECK_THROWS_WITH(
      load_xml(scenario_with(features, features + "<UC_LOCK_DETECTION_ENABLED>yes</UC_LOCK_DETECTION_ENABLED>")),
      Catch::Contains("hv/FEATURES/UC_LOCK_DETECTION_ENABLED: expected y or n, got \"yes\""));
  // The fixture board lists its CPU's capabilities without
  // IA32_CORE_CAPABILITIES: ACRN could read no detection bit on it.
  CHECK(parse_board_xml(slurp(kBoard), "board.xml").core_capabilities_msr == std::optional<bool>(false));
  const std::string with_msr = board_with(R"(<capability id="vmx"/>)", R"(<capability id="vmx"/>
      <capability id="ia32_core_capabilities"/>)");
  CHECK(parse_board_xml(with_msr, "board.xml").core_capabilities_msr == std::optional<bool>(true));
  const std::string unlisted = board_with(R"(<capability id="vmx"/>)", "");
  CHECK_FALSE(parse_board_xml(unlisted, "board.xml").core_capabilities_msr.has_value());
}

TEST_CASE("ACRN 2.x IVSHMEM_REGION text converts as ACRN's upgrader does", "[acrn_xml]") {
  const std::string regions_v3 = slurp(kData + "scenario-hybrid.xml");
  const std::string xml = scenario_with(
      regions_v3.substr(regions_v3.find("        <IVSHMEM_REGION>"),
                        regions_v3.find("      </IVSHMEM>") - regions_v3.find("        <IVSHMEM_REGION>")),
      "        <IVSHMEM_REGION>hv:/shm_region_0, 2, 0:2</IVSHMEM_REGION>\n"
      "        <IVSHMEM_REGION>dm:/dm_shm, 8, 2:3</IVSHMEM_REGION>\n"
      "        <IVSHMEM_REGION>legacy_noprefix, 4, 0:3</IVSHMEM_REGION>\n");
  const Scenario s = load_xml(xml);
  REQUIRE(s.regions.size() == 3);
  CHECK(s.regions[0].name == "shm_region_0");
  CHECK(s.regions[0].provider == Provider::hypervisor);
  CHECK(s.regions[0].size_mib == 2);
  REQUIRE(s.regions[0].members.size() == 2);
  CHECK(s.regions[0].members[0].vm == "PRE_RT_VM0");
  CHECK(s.regions[0].members[1].vm == "POST_STD_VM1");
  CHECK(s.regions[0].members[0].vbdf.to_string() == "00:08.0");
  CHECK(s.regions[1].name == "dm_shm");
  CHECK(s.regions[1].provider == Provider::device_model);
  CHECK(s.regions[1].members[0].vm == "POST_STD_VM1");
  CHECK(s.regions[1].members[0].vbdf.to_string() == "00:09.0");  // its second region: the next device
  CHECK(s.regions[1].members[1].vbdf.to_string() == "00:08.0");
  CHECK(s.regions[2].provider == Provider::hypervisor);  // no prefix: Hypervisor, as the upgrader reads it
  CHECK(s.regions[2].members[0].vbdf.to_string() == "00:09.0");
  CHECK(s.regions[2].members[1].vm == "POST_STD_VM2");
  CHECK(s.regions[2].members[1].vbdf.to_string() == "00:09.0");
  // Each field is located where it is written in the text.
  CHECK(s.where("ivshmem[1].size_mib").line == 9);
  CHECK(s.where("ivshmem[1].size_mib").column == 37);
}

TEST_CASE("an ACRN 2.x scenario file converts as ACRN's upgrader does", "[acrn_xml]") {
  std::vector<std::string> warnings;
  const Scenario s = load_xml(slurp(kData + "scenario-2x.xml"), kBoard, {}, &warnings);
  REQUIRE(s.vms.size() == 5);
  // vm_type gave the load order and the kind; GUEST_FLAG_RT makes an RTVM.
  CHECK(s.vms[0].load_order == LoadOrder::pre_launched);
  CHECK(s.vms[0].vm_type == "RTVM");
  CHECK(s.vms[0].lapic_passthrough);  // GUEST_FLAG_LAPIC_PASSTHROUGH
  CHECK(s.vms[1].load_order == LoadOrder::service_vm);
  CHECK(s.vms[1].vm_type == "STANDARD_VM");
  CHECK_FALSE(s.vms[1].lapic_passthrough);
  CHECK(s.vms[2].load_order == LoadOrder::post_launched);
  CHECK(s.vms[2].vm_type == "STANDARD_VM");
  CHECK(s.vms[3].load_order == LoadOrder::post_launched);  // KATA_VM: post-launched, as ACRN 2.x ran it
  CHECK(s.vms[4].load_order == LoadOrder::post_launched);
  CHECK(s.vms[4].vm_type == "RTVM");
  // Sizes in hex are bytes; the pre-launched VM's two regions add up.
  CHECK(s.vms[0].memory_mib == 512 + 256);
  CHECK(s.vms[3].memory_mib == 768);   // memory/whole
  CHECK(s.vms[2].memory_mib == 1024);  // none given: the schema's default
  // The Service VM at start 0: the twin's own default, as with a 3.x file without memory.
  const Scenario v3 = load_xml(slurp(kData + "scenario-hybrid.xml"));
  CHECK(s.vms[1].memory_mib == v3.vms[1].memory_mib);
  CHECK(s.vms[0].pcpus == std::vector<unsigned>{6, 7});
  REQUIRE(s.regions.size() == 1);
  CHECK(s.regions[0].members[1].vm == "POST_STD_VM1");
  CHECK(s.where("vms[0].load_order").line == 25);  // located at vm_type
  CHECK(s.where("vms[0].memory_mib").line == 41);
  CHECK(s.where("vms[0].lapic_passthrough").line == 28);
  // RDT off: the CLOS masks are dropped without a word. The one warning is
  // what ACRN 3.x's configurator says of the upgraded file.
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("vm[4]/vm_type: ACRN v3.3's configurator warns (vm_types.xsd): pre-launched RTVMs "
                         "(PRE_RT_VM0) and post-launched RTVMs (POST_RT_VM3) may not coexist") != std::string::npos);
}

TEST_CASE(
    "ACRN 2.x: an empty IVSHMEM_REGION beside IVSHMEM_ENABLED is no region, and RDT's CLOS_MASK is dropped "
    "even when RDT is on",
    "[acrn_xml]") {
  std::string xml = slurp(kData + "scenario-2x.xml");
  const std::string region = "<IVSHMEM_REGION>hv:/shm_region_0, 2, 0:2</IVSHMEM_REGION>";
  xml.replace(xml.find(region), region.size(), "<IVSHMEM_REGION/>");
  xml.replace(xml.find("<RDT_ENABLED>n"), 14, "<RDT_ENABLED>y");
  const Scenario s = load_xml(xml);
  CHECK(s.regions.empty());
  // The warning goes to the log (spdlog), as the SSRAM one does; the run goes on.
  CHECK(s.vms.size() == 5);
  // Without IVSHMEM_ENABLED (the 3.x schema) an empty region stays an error.
  xml.replace(xml.find("<IVSHMEM_ENABLED>y</IVSHMEM_ENABLED>"), 36, "");
  CHECK(xml_error(xml) ==
        "bad.xml:17:9: error: hv/FEATURES/IVSHMEM/IVSHMEM_REGION[0]: empty IVSHMEM_REGION: expected "
        "NAME, PROVIDED_BY, IVSHMEM_SIZE and IVSHMEM_VMS");
}

TEST_CASE("ACRN 2.x VM names: free text becomes a 3.x name, and a nameless post-launched VM is named by its type",
          "[acrn_xml]") {
  std::string xml = slurp(kData + "scenario-2x.xml");
  xml.replace(xml.find("<name>ACRN_Service_VM</name>"), 28, "<name>ACRN SOS VM</name>");
  xml.replace(xml.find("<name>POST_STD_VM1</name>"), 25, "");
  const Scenario s = load_xml(xml);
  CHECK(s.vms[1].name == "ACRN_SOS_VM");
  // 2.5's schema allowed 32 characters, 3.x's 15 (MAX_VM_NAME_LEN less the NUL).
  xml.replace(xml.find("<name>ACRN SOS VM</name>"), 24, "<name>ACRN Service VM of 2.5</name>");
  CHECK(load_xml(xml).vms[1].name == "ACRN_Service_VM");
  CHECK(s.vms[2].name == "POST_STD_VM1");  // the first POST_STD_VM, as ACRN 2.7's configurator names it
  CHECK(s.vms[4].name == "POST_RT_VM3");   // its own name kept
  // The 2.x region text names VM 2 by id: the same name.
  CHECK(s.regions[0].members[1].vm == "POST_STD_VM1");
}

TEST_CASE("an ACRN 2.x launch file is refused as a scenario, by name", "[acrn_xml]") {
  CHECK(xml_error(slurp(kData + "launch-2x.xml")) ==
        "bad.xml:1:1: error: this is an ACRN 2.x launch file, not a scenario file: give the scenario file it was made "
        "for, and this file with --launch");
  const XmlDocument doc = XmlDocument::parse(slurp(kData + "launch-2x.xml"), "launch.xml");
  CHECK_FALSE(is_acrn_board_file(doc));
  CHECK(is_acrn_launch_file(doc));
}

namespace {
// scenario-2x.xml with a launch file over it.
Scenario load_with_launch(const std::string& launch_xml, const std::string& scenario_xml = "") {
  ScenarioTree tree =
      read_acrn_scenario_text(scenario_xml.empty() ? slurp(kData + "scenario-2x.xml") : scenario_xml, "s.xml", kBoard);
  test::dump_fuzz_seed("acrn_scenario_xml", launch_xml);  // the target merges a launch file into a 2.x scenario
  apply_acrn_launch_file(tree, XmlDocument::parse(launch_xml, "launch.xml"));
  return validate_scenario_tree(tree);
}
std::string launch_error(const std::string& launch_xml, const std::string& scenario_xml = "") {
  try {
    load_with_launch(launch_xml, scenario_xml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}
std::string user_vm(const std::string& body) {
  return "<acrn-config scenario=\"s\" user_vm_launcher=\"1\">\n<user_vm id=\"1\">" + body +
         "</user_vm>\n</acrn-config>\n";
}
}  // namespace

TEST_CASE("an ACRN 2.x launch file merges into its scenario as ACRN's upgrader and acrn-dm take it", "[acrn_xml]") {
  const Scenario s = load_with_launch(slurp(kData + "launch-2x.xml"));
  REQUIRE(s.vms.size() == 5);
  // user_vm 1, by its vm_name: mem_size, its pCPUs.
  const VmConfig& std1 = *s.find_vm("POST_STD_VM1");
  CHECK(std1.memory_mib == 2048);
  CHECK(std1.pcpus == std::vector<unsigned>{2, 3});
  CHECK(s.where("vms[2].memory_mib").file == "launch.xml");
  CHECK(s.where("vms[2].memory_mib").line == 8);
  // user_vm 3 has no name: VM id 1 (the Service VM) + 3. Hard RT: an RTVM
  // with LAPIC passthrough; no pCPU given, so the scenario's stay.
  const VmConfig& rt3 = *s.find_vm("POST_RT_VM3");
  CHECK(rt3.id == 4);
  CHECK(rt3.vm_type == "RTVM");
  CHECK(rt3.lapic_passthrough);
  CHECK(rt3.memory_mib == 512);
  CHECK(rt3.pcpus == std::vector<unsigned>{5});
  // hv:/shm_region_0 named a member the scenario lists already; dm:/dm_shm
  // is a dm-land region of both user VMs, 4 MB.
  REQUIRE(s.regions.size() == 2);
  CHECK(s.regions[0].members.size() == 2);
  CHECK(s.regions[1].name == "dm_shm");
  CHECK(s.regions[1].provider == Provider::device_model);
  CHECK(s.regions[1].size_mib == 4);
  REQUIRE(s.regions[1].members.size() == 2);
  CHECK(s.regions[1].members[0].vm == "POST_STD_VM1");
  CHECK(s.regions[1].members[1].vm == "POST_RT_VM3");
}

TEST_CASE("an ACRN 2.x launch file's errors name its element and line", "[acrn_xml]") {
  CHECK(launch_error(slurp(kData + "scenario-2x.xml")) ==
        "launch.xml:1:1: error: expected an ACRN 2.x launch file (root <acrn-config> with attribute user_vm_launcher "
        "or uos_launcher), got <acrn-config>");
  CHECK(launch_error(user_vm("<vm_name>POST_VM9</vm_name>")) ==
        "launch.xml:2:26: error: user_vm[0]/vm_name: no post-launched VM of the scenario is named \"POST_VM9\" (ACRN "
        "creates the VM whose configuration has the launch file's name; post-launched VMs: POST_STD_VM1, KATA_VM2, "
        "POST_RT_VM3)");
  CHECK(launch_error("<acrn-config user_vm_launcher=\"1\"><user_vm id=\"7\"/></acrn-config>") ==
        "launch.xml:1:48: error: user_vm[0]/@id: user VM 7 is VM id 8 (the Service VM's id 1 + 7), which the "
        "scenario does not define");
  CHECK(launch_error("<acrn-config user_vm_launcher=\"1\"><user_vm id=\"x\"/></acrn-config>") ==
        "launch.xml:1:48: error: user_vm[0]/@id: expected a user VM id from 1, got \"x\"");
  CHECK(launch_error(user_vm("<shm_regions><shm_region>hv:/nowhere,2</shm_region></shm_regions>")) ==
        "launch.xml:2:42: error: user_vm[0]/shm_regions/shm_region[0]: hv-land region \"nowhere\" is not among the "
        "scenario's IVSHMEM_REGIONs, the only ones ACRN's hypervisor provides");
  CHECK(launch_error(user_vm("<shm_regions><shm_region>shm_0 2</shm_region></shm_regions>")) ==
        "launch.xml:2:42: error: user_vm[0]/shm_regions/shm_region[0]: expected \"dm:/NAME,SIZE_MB\" or "
        "\"hv:/NAME,SIZE_MB\", got \"shm_0 2\"");
  CHECK(launch_error("<acrn-config user_vm_launcher=\"2\"><user_vm id=\"1\"><shm_regions><shm_region>dm:/d,2"
                     "</shm_region></shm_regions></user_vm><user_vm id=\"3\"><shm_regions><shm_region>dm:/d,4"
                     "</shm_region></shm_regions></user_vm></acrn-config>") ==
        "launch.xml:1:161: error: user_vm[1]/shm_regions/shm_region[0]: dm-land region \"d\" is 4 MB here and 2 MB "
        "for an earlier user VM");
  CHECK(launch_error("<acrn-config user_vm_launcher=\"2\"><user_vm id=\"1\"/><user_vm id=\"1\"/></acrn-config>") ==
        "launch.xml:1:52: error: user_vm[1]: launches POST_STD_VM1, as user_vm[0] does");
  // The validator's errors about a region the launch file made name its element.
  CHECK(launch_error(user_vm("<shm_regions><shm_region>dm:/x,3</shm_region></shm_regions>")) ==
        "launch.xml:2:42: error: user_vm[0]/shm_regions/shm_region[0]: size must be one of 2, 4, 8, 16, 32, 64, 128, "
        "256, 512 (MiB), got 3");
  CHECK(launch_error(user_vm("<mem_size>lots</mem_size>"))
            .find("launch.xml:2:27: error: user_vm[0]/mem_size: expected an integer") == 0);
  // The user VMs are counted from the Service VM's id.
  std::string no_service = slurp(kData + "scenario-2x.xml");
  no_service.replace(no_service.find("SOS_VM"), 6, "PRE_STD_VM");
  CHECK(launch_error(user_vm(""), no_service)
            .find("launch.xml:1:1: error: a launch file numbers its user VMs from "
                  "the Service VM's id") == 0);
}

TEST_CASE("XML scenarios take --set overrides and a workloads file", "[acrn_xml]") {
  ScenarioTree tree = read_acrn_scenario_text(slurp(kData + "scenario-hybrid.xml"), "s.xml", kBoard);
  apply_workloads_text(tree, R"(workloads:
  - name: cmd
    kind: pingpong
    region: shm_region_1
    roles:
      initiator: { vm: POST_STD_VM1, vcpu: 1 }
      responder: { vm: PRE_RT_VM0, vcpu: 1 }
run:
  seed: 9
)",
                       "w.yaml");
  apply_set(tree.root, "workloads[0].params.iterations=50");
  apply_set(tree.root, "vms[2].memory_mib=1024");
  const Scenario s = validate_scenario_tree(tree);
  REQUIRE(s.workloads.size() == 2);  // region 0 still gets its default pingpong
  CHECK(s.workloads[0].name == "cmd");
  CHECK(s.workloads[0].params.at("iterations").i == 50);
  CHECK(s.workloads[1].name == "shm_region_0_pingpong");
  CHECK(s.run.seed == 9);
  CHECK(s.vms[2].memory_mib == 1024);
  CHECK(s.where("workloads[0].kind").file == "w.yaml");
  CHECK(s.where("workloads[0].kind").line == 3);
}

TEST_CASE("a workloads file holds workloads, run and timing only", "[acrn_xml]") {
  ScenarioTree tree = read_acrn_scenario_text(slurp(kData + "scenario-hybrid.xml"), "s.xml", kBoard);
  try {
    apply_workloads_text(tree, "workload:\n  - name: x\n", "w.yaml");
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) == R"(w.yaml:1:1: error: unknown key "workload"; did you mean "workloads"?)");
  }
}

TEST_CASE("a board whose CPU no profile maps validates: validate needs no timing profile", "[acrn_xml]") {
  const TempFile unknown_cpu(
      board_with("<model_id>0x9e</model_id>\n      <capability", "<model_id>0x99</model_id>\n      <capability"),
      "unknown-cpu.xml");
  CHECK(xml_error(slurp(kData + "scenario-hybrid.xml"), unknown_cpu.path) == "(no error)");
  // Not even a broken profile folder stops it.
  setenv("IVSIM_DATA_DIR", "/nonexistent", 1);
  CHECK(load_board(unknown_cpu.path, {}).model_id == 0x99);
  unsetenv("IVSIM_DATA_DIR");
}

TEST_CASE("pci_devs, PCI vUART connections and vbootloader reach the BAR allocation", "[acrn_xml]") {
  const Scenario plain = load_xml(slurp(kData + "scenario-hybrid.xml"));
  for (const auto& vm : plain.vms) {
    CHECK(vm.pci_devs.empty());
    CHECK(vm.pci_vuarts == 0);
    CHECK_FALSE(vm.ovmf);
  }
  // The BDF before the first blank; the configurator's empty <pci_dev/> is skipped.
  const std::string pre = "<name>PRE_RT_VM0</name>";
  Scenario s = load_xml(scenario_with(pre, pre + "<pci_devs><pci_dev>00:1f.6 Ethernet controller: Intel</pci_dev>"
                                                 "<pci_dev/><pci_dev>01:00.0 NVMe</pci_dev></pci_devs>"));
  REQUIRE(s.vms[0].pci_devs.size() == 2);
  CHECK(s.vms[0].pci_devs[0].to_string() == "00:1f.6");
  CHECK(s.vms[0].pci_devs[1].to_string() == "01:00.0");
  CHECK_THROWS_WITH(load_xml(scenario_with(pre, pre + "<pci_devs><pci_dev>SATA controller</pci_dev></pci_devs>")),
                    Catch::Contains("vm[0]/pci_devs/pci_dev[0]: expected the BDF of a device on the board"));
  // vbootloader y: --ovmf for a post-launched VM (launch_cfg_gen.py); n or absent: none.
  const std::string post = "<name>POST_STD_VM1</name>";
  CHECK(load_xml(scenario_with(post, post + "<vbootloader>y</vbootloader>")).vms[2].ovmf);
  CHECK_FALSE(load_xml(scenario_with(post, post + "<vbootloader>n</vbootloader>")).vms[2].ovmf);
  CHECK_FALSE(load_xml(scenario_with(pre, pre + "<vbootloader>y</vbootloader>")).vms[0].ovmf);
  // A vuart_connection of type pci with an endpoint in the VM: one PCI vUART each.
  s = load_xml(scenario_with("</hv>", R"(<vuart_connections>
      <vuart_connection><name>a</name><type>pci</type>
        <endpoint><vm_name>PRE_RT_VM0</vm_name></endpoint><endpoint><vm_name>ACRN_Service_VM</vm_name></endpoint>
      </vuart_connection>
      <vuart_connection><name>b</name><type>legacy</type>
        <endpoint><vm_name>PRE_RT_VM0</vm_name></endpoint><endpoint><vm_name>POST_STD_VM1</vm_name></endpoint>
      </vuart_connection>
    </vuart_connections></hv>)"));
  CHECK(s.vms[0].pci_vuarts == 1);
  CHECK(s.vms[1].pci_vuarts == 1);
  CHECK(s.vms[2].pci_vuarts == 0);
}

TEST_CASE("a post-launched VM's acrn-dm devices come in launch_cfg_gen.py's order and under its conditions",
          "[acrn_xml]") {
  for (const auto& vm : load_xml(slurp(kData + "scenario-hybrid.xml")).vms) CHECK(vm.dm_devices.empty());
  const std::string post = "<name>POST_STD_VM1</name>";
  std::string xml = scenario_with(post, post + R"(<console_vuart>PCI</console_vuart>
      <usb_xhci><usb_dev>1-2</usb_dev></usb_xhci>
      <virtio_devices>
        <input/><input><backend_device_file>/dev/input/event1</backend_device_file></input>
        <console><backend_type>stdio</backend_type></console><console/>
        <network><interface_name>tap0</interface_name></network>
        <block/><block>./a.img</block>
        <gpu><display_type>Window</display_type></gpu>
        <vsock>3</vsock>
      </virtio_devices>)");
  const std::string hv_end = "</hv>";
  xml.replace(xml.find(hv_end), hv_end.size(), R"(<vuart_connections>
      <vuart_connection><name>a</name><type>pci</type>
        <endpoint><vm_name>POST_STD_VM1</vm_name><vbdf>00:10.0</vbdf></endpoint>
        <endpoint><vm_name>ACRN_Service_VM</vm_name></endpoint>
      </vuart_connection></vuart_connections></hv>)");
  const Scenario s = load_xml(xml);
  std::vector<std::string> kinds;
  for (const DmDevice& d : s.vms[2].dm_devices) kinds.push_back(d.label());
  CHECK(kinds == std::vector<std::string>{"uart", "uart@00:10.0", "xhci", "virtio-input", "virtio-console",
                                          "virtio-net", "virtio-blk", "virtio-gpu", "vhost-vsock"});
  // The Service VM's end of the connection is the hypervisor's vUART, not acrn-dm's.
  CHECK(s.vms[1].dm_devices.empty());
}

TEST_CASE("vm/priority, vm/bvt_weight, vm/own_pcpu and vm/hide_mtrr_support are read, with the schema's defaults",
          "[acrn_xml]") {
  // PRIO_LOW and PRIO_HIGH are 1 and 2 (schedule.h); absent, PRIO_LOW.
  const Scenario plain = load_xml(slurp(kData + "scenario-hybrid.xml"));
  for (const auto& vm : plain.vms) {
    CHECK(vm.priority == 1);
    CHECK(vm.bvt_weight == 1);
  }
  const std::string name = "<name>POST_STD_VM1</name>";
  const Scenario s = load_xml(scenario_with(name, name + "<priority>PRIO_HIGH</priority><bvt_weight>128</bvt_weight>"));
  CHECK(s.vms[2].priority == 2);
  CHECK(s.vms[2].bvt_weight == 128);
  CHECK(s.vms[3].priority == 1);
  CHECK(load_xml(scenario_with(name, name + "<priority>PRIO_LOW</priority>")).vms[2].priority == 1);
  CHECK_THROWS_WITH(load_xml(scenario_with(name, name + "<priority>2</priority>")),
                    Catch::Contains("vm[2]/priority: expected PRIO_LOW or PRIO_HIGH, got \"2\""));
  CHECK_THROWS_WITH(load_xml(scenario_with(name, name + "<bvt_weight>129</bvt_weight>")),
                    Catch::Contains("vm[2]/bvt_weight: expected an integer from 1 to 128, got \"129\""));
  // vm/own_pcpu (v3.2 on), y or n.
  CHECK(load_xml(scenario_with(name, name + "<own_pcpu>y</own_pcpu>")).vms[2].own_pcpu);
  CHECK_FALSE(plain.vms[2].own_pcpu);
  CHECK_THROWS_WITH(load_xml(scenario_with(name, name + "<own_pcpu>1</own_pcpu>")),
                    Catch::Contains("vm[2]/own_pcpu: expected y or n, got \"1\""));
  // vm/hide_mtrr_support, y or n; in ACRN 2.x the guest flag.
  CHECK(load_xml(scenario_with(name, name + "<hide_mtrr_support>y</hide_mtrr_support>")).vms[2].hide_mtrr);
  CHECK_FALSE(load_xml(scenario_with(name, name + "<hide_mtrr_support>n</hide_mtrr_support>")).vms[2].hide_mtrr);
  CHECK_FALSE(plain.vms[2].hide_mtrr);
  std::string x2 = slurp(kData + "scenario-2x.xml");
  const std::string rt_flag = "<guest_flag>GUEST_FLAG_RT</guest_flag>";
  x2.replace(x2.find(rt_flag), rt_flag.size(), rt_flag + "<guest_flag>GUEST_FLAG_HIDE_MTRR</guest_flag>");
  const Scenario hidden = load_xml(x2);
  CHECK(hidden.vms[0].hide_mtrr);
  CHECK_FALSE(hidden.vms[1].hide_mtrr);
  // A file without hv/FEATURES/SCHEDULER runs the schema's default, SCHED_BVT.
  CHECK(load_xml(scenario_with("<SCHEDULER>SCHED_BVT</SCHEDULER>", "")).scheduler == "SCHED_BVT");
  CHECK(load_xml(scenario_with("<SCHEDULER>SCHED_BVT</SCHEDULER>", "<SCHEDULER>SCHED_PRIO</SCHEDULER>")).scheduler ==
        "SCHED_PRIO");
}

TEST_CASE("malformed ACRN XML is rejected with located errors", "[acrn_xml]") {
  const TempFile scenario_as_board(slurp(kData + "scenario-hybrid.xml"), "scenario-as-board.xml");
  const std::string nine_regions = [] {
    std::string r;
    for (int i = 0; i < 9; ++i)
      r += "        <IVSHMEM_REGION><NAME>r" + std::to_string(i) +
           "</NAME><IVSHMEM_SIZE>2</IVSHMEM_SIZE><IVSHMEM_VMS><IVSHMEM_VM><VM_NAME>PRE_RT_VM0</VM_NAME></IVSHMEM_VM>"
           "<IVSHMEM_VM><VM_NAME>POST_STD_VM1</VM_NAME></IVSHMEM_VM></IVSHMEM_VMS></IVSHMEM_REGION>\n";
    return r;
  }();

  const std::vector<BadCase> cases = {
      // Scenario files.
      {"malformed XML", xml_error(scenario_with("</NAME>", "</NAM>")),
       "bad.xml:9:31: error: invalid XML: Start-end tags mismatch"},
      {"not XML at all", xml_error("name: a yaml file\n"),
       "bad.xml:2:1: error: invalid XML: No document element found"},
      {"unknown PROVIDED_BY", xml_error(scenario_with(">Hypervisor<", ">Hypervisr<")),
       R"(bad.xml:10:24: error: hv/FEATURES/IVSHMEM/IVSHMEM_REGION[0]/PROVIDED_BY: expected one of Hypervisor, Device Model, got "Hypervisr"; did you mean "Hypervisor"?)"},
      {"IVSHMEM_SIZE not a power of two", xml_error(scenario_with("<IVSHMEM_SIZE>2<", "<IVSHMEM_SIZE>3<")),
       "bad.xml:11:25: error: hv/FEATURES/IVSHMEM/IVSHMEM_REGION[0]/IVSHMEM_SIZE: size must be one of 2, 4, 8, 16, 32, "
       "64, 128, 256, 512 (MiB), got 3"},
      {"IVSHMEM_SIZE not a number", xml_error(scenario_with("<IVSHMEM_SIZE>4<", "<IVSHMEM_SIZE>4M<")),
       R"(bad.xml:27:25: error: hv/FEATURES/IVSHMEM/IVSHMEM_REGION[1]/IVSHMEM_SIZE: expected an integer, got "4M")"},
      {"bad VBDF", xml_error(scenario_with("<VBDF>00:08.0</VBDF>", "<VBDF>00:08.9</VBDF>")),
       R"(bad.xml:16:21: error: hv/FEATURES/IVSHMEM/IVSHMEM_REGION[0]/IVSHMEM_VMS/IVSHMEM_VM[0]/VBDF: expected a VBDF "BB:DD.F" in hex (device 00-1F, function 0-7, e.g. "00:08.0"), got "00:08.9")"},
      {"post-launched device number 0x1F", xml_error(scenario_with("<VBDF>00:0a.0</VBDF>", "<VBDF>00:1f.0</VBDF>")),
       "bad.xml:36:21: error: hv/FEATURES/IVSHMEM/IVSHMEM_REGION[1]/IVSHMEM_VMS/IVSHMEM_VM[1]/VBDF: device number "
       "0x1F is not allowed in a post-launched VM (must be 0x03-0x1E)"},
      {"VBDF used twice in a VM", xml_error(scenario_with("<VBDF></VBDF>", "<VBDF>00:08.0</VBDF>")),
       "bad.xml:32:21: error: hv/FEATURES/IVSHMEM/IVSHMEM_REGION[1]/IVSHMEM_VMS/IVSHMEM_VM[0]/VBDF: VBDF 00:08.0 is "
       "already used in VM \"PRE_RT_VM0\" by hv/FEATURES/IVSHMEM/IVSHMEM_REGION[0]/IVSHMEM_VMS/IVSHMEM_VM[0]"},
      {"unknown VM_NAME",
       xml_error(scenario_with("<VM_NAME>POST_STD_VM1</VM_NAME>\n              <VBDF/>",
                               "<VM_NAME>POST_STD_VM3</VM_NAME>\n              <VBDF/>")),
       R"(bad.xml:19:24: error: hv/FEATURES/IVSHMEM/IVSHMEM_REGION[0]/IVSHMEM_VMS/IVSHMEM_VM[1]/VM_NAME: unknown VM "POST_STD_VM3"; did you mean "POST_STD_VM1"?)"},
      {"VM twice in a region",
       xml_error(scenario_with("<VM_NAME>POST_STD_VM1</VM_NAME>\n              <VBDF/>",
                               "<VM_NAME>PRE_RT_VM0</VM_NAME>\n              <VBDF/>")),
       R"(bad.xml:19:24: error: hv/FEATURES/IVSHMEM/IVSHMEM_REGION[0]/IVSHMEM_VMS/IVSHMEM_VM[1]/VM_NAME: VM "PRE_RT_VM0" is already a member of this region (members[0]))"},
      {"region name too long", xml_error(scenario_with("<NAME>shm_region_0<", "<NAME>a_region_name_of_28_chars_xx<")),
       R"(bad.xml:9:17: error: hv/FEATURES/IVSHMEM/IVSHMEM_REGION[0]/NAME: region name must be 1-27 word characters (letters, digits, _), got "a_region_name_of_28_chars_xx")"},
      {"duplicate Hypervisor region name", xml_error(scenario_with("<NAME>shm_region_1<", "<NAME>shm_region_0<")),
       R"(bad.xml:25:17: error: hv/FEATURES/IVSHMEM/IVSHMEM_REGION[1]/NAME: duplicate Hypervisor region name "shm_region_0" (also hv/FEATURES/IVSHMEM/IVSHMEM_REGION[0]))"},
      {"Device Model region with a pre-launched member",
       xml_error(scenario_with("<PROVIDED_BY>Hypervisor</PROVIDED_BY>\n          <IVSHMEM_SIZE>4",
                               "<PROVIDED_BY>Device Model</PROVIDED_BY>\n          <IVSHMEM_SIZE>4")),
       R"(bad.xml:31:24: error: hv/FEATURES/IVSHMEM/IVSHMEM_REGION[1]/IVSHMEM_VMS/IVSHMEM_VM[0]/VM_NAME: a Device Model region can only have POST_LAUNCHED_VM members; "PRE_RT_VM0" is PRE_LAUNCHED_VM)"},
      {"nine Hypervisor regions", xml_error(scenario_with("      <IVSHMEM>\n", "      <IVSHMEM>\n" + nine_regions)),
       "bad.xml:16:9: error: hv/FEATURES/IVSHMEM/IVSHMEM_REGION[8]: at most 8 Hypervisor regions are supported (ACRN's "
       "mem_regions[8]); this is the 9th"},
      {"misspelt element in a region",
       xml_error(scenario_with("<IVSHMEM_SIZE>2</IVSHMEM_SIZE>", "<IVSHMEM_SZE>2</IVSHMEM_SZE>")),
       R"(bad.xml:11:11: error: hv/FEATURES/IVSHMEM/IVSHMEM_REGION[0]: unknown element "IVSHMEM_SZE"; did you mean "IVSHMEM_SIZE"?)"},
      {"empty region", xml_error(scenario_with("<IVSHMEM>\n", "<IVSHMEM>\n        <IVSHMEM_REGION/>\n")),
       "bad.xml:8:9: error: hv/FEATURES/IVSHMEM/IVSHMEM_REGION[0]: empty IVSHMEM_REGION: expected NAME, PROVIDED_BY, "
       "IVSHMEM_SIZE and IVSHMEM_VMS"},
      {"region without NAME", xml_error(scenario_with("<NAME>shm_region_1</NAME>", "")),
       "bad.xml:24:9: error: hv/FEATURES/IVSHMEM/IVSHMEM_REGION[1]: missing element NAME"},
      {"legacy region with an unknown VM id",
       xml_error(scenario_with("      <IVSHMEM>\n",
                               "      <IVSHMEM>\n        <IVSHMEM_REGION>hv:/old, 2, 0:7</IVSHMEM_REGION>\n")),
       "bad.xml:8:39: error: hv/FEATURES/IVSHMEM/IVSHMEM_REGION[0]: no VM has id 7 (VM ids: 0, 1, 2, 3)"},
      {"legacy region with a bad VM id",
       xml_error(scenario_with("      <IVSHMEM>\n",
                               "      <IVSHMEM>\n        <IVSHMEM_REGION>hv:/old, 2, 0:x</IVSHMEM_REGION>\n")),
       R"(bad.xml:8:39: error: hv/FEATURES/IVSHMEM/IVSHMEM_REGION[0]: expected a VM id, got "x")"},
      {"legacy region without its VM list",
       xml_error(scenario_with("      <IVSHMEM>\n",
                               "      <IVSHMEM>\n        <IVSHMEM_REGION>hv:/old, 2</IVSHMEM_REGION>\n")),
       R"(bad.xml:8:25: error: hv/FEATURES/IVSHMEM/IVSHMEM_REGION[0]: expected ACRN 2.x's "hv:/NAME, SIZE_MB, VM_ID:VM_ID" (or the elements NAME, PROVIDED_BY, IVSHMEM_SIZE, IVSHMEM_VMS), got "hv:/old, 2")"},
      {"legacy region size",
       xml_error(scenario_with("      <IVSHMEM>\n",
                               "      <IVSHMEM>\n        <IVSHMEM_REGION>hv:/old, 5, 0:2</IVSHMEM_REGION>\n")),
       "bad.xml:8:34: error: hv/FEATURES/IVSHMEM/IVSHMEM_REGION[0]: size must be one of 2, 4, 8, 16, 32, 64, 128, 256, "
       "512 (MiB), got 5"},
      {"pcpu_id not on the board", xml_error(scenario_with("<pcpu_id>7</pcpu_id>", "<pcpu_id>9</pcpu_id>")),
       "bad.xml:58:18: error: vm[0]/cpu_affinity/pcpu[1]/pcpu_id: pCPU 9 does not exist on board test-8cpu (pCPUs "
       "0-7)"},
      {"pcpu_id twice", xml_error(scenario_with("<pcpu_id>5</pcpu_id>", "<pcpu_id>4</pcpu_id>")),
       "bad.xml:98:16: error: vm[3]/cpu_affinity/pcpu_id[1]: pCPU 4 is listed twice (also cpu_affinity[0])"},
      {"duplicate vm id", xml_error(scenario_with("<vm id=\"3\">", "<vm id=\"2\">")),
       "bad.xml:93:11: error: vm[3]/@id: duplicate VM id 2 (also used by vm[2])"},
      {"vm id not below MAX_VM_NUM", xml_error(scenario_with("<MAX_VM_NUM>8<", "<MAX_VM_NUM>3<")),
       "bad.xml:93:11: error: vm[3]/@id: VM id must be less than hv/CAPACITIES/MAX_VM_NUM (3), got 3"},
      {"vm without id", xml_error(scenario_with("<vm id=\"3\">", "<vm>")),
       "bad.xml:93:3: error: vm[3]: missing attribute id"},
      {"vm without load_order", xml_error(scenario_with("<load_order>SERVICE_VM</load_order>\n", "")),
       "bad.xml:72:3: error: vm[1]: missing element load_order"},
      {"post-launched vm without cpu_affinity",
       xml_error(scenario_with("    <cpu_affinity>\n      <pcpu_id>4</pcpu_id>\n      <pcpu_id>5</pcpu_id>\n    "
                               "</cpu_affinity>\n",
                               "")),
       "bad.xml:93:3: error: vm[3]: missing element cpu_affinity"},
      {"bad load_order", xml_error(scenario_with("<load_order>SERVICE_VM<", "<load_order>SOS_VM<")),
       R"(bad.xml:73:17: error: vm[1]/load_order: expected one of PRE_LAUNCHED_VM, SERVICE_VM, POST_LAUNCHED_VM, got "SOS_VM")"},
      {"lapic_passthrough not y or n", xml_error(scenario_with("<lapic_passthrough>y<", "<lapic_passthrough>yes<")),
       R"(bad.xml:51:24: error: vm[0]/lapic_passthrough: expected y or n, got "yes")"},
      {"unknown scheduler", xml_error(scenario_with("SCHED_BVT", "SCHED_BTV")),
       R"(bad.xml:6:18: error: hv/FEATURES/SCHEDULER: expected one of SCHED_NOOP, SCHED_IORR, SCHED_BVT, SCHED_PRIO, got "SCHED_BTV"; did you mean "SCHED_BVT"?)"},
      {"memory size not a number", xml_error(scenario_with("<size_hpa>1024<", "<size_hpa>1G<")),
       R"(bad.xml:65:19: error: vm[0]/memory/hpa_region[0]/size_hpa: expected a size from 0 to 1048576 (MB), got "1G")"},
      {"pre-launched VMs take every pCPU",
       xml_error(
           slurp(kData + "scenario-hybrid.xml"), kBoard,
           {"vms[0].cpu_affinity=[0, 1, 2, 3, 4, 5, 6, 7]", "vms[2].cpu_affinity=[1]", "vms[3].cpu_affinity=[2]"}),
       "bad.xml:72:3: error: vm[1]: the Service VM has no cpu_affinity and pre-launched VMs use every pCPU of board "
       "test-8cpu; give it cpu_affinity"},
      {"--set on an XML scenario, unknown key",
       xml_error(slurp(kData + "scenario-hybrid.xml"), kBoard, {"vms[2].memory_mb=1"}),
       R"(--set: error: vms[2]: unknown key "memory_mb"; did you mean "memory_mib"?)"},
      {"missing board file", xml_error(slurp(kData + "scenario-hybrid.xml"), "/nonexistent/board.xml"),
       R"(--board: error: board: cannot open board file "/nonexistent/board.xml": No such file or directory)"},
      {"no board given", xml_error(slurp(kData + "scenario-hybrid.xml"), ""),
       "--board: error: board: an ACRN scenario file needs its board: --board BOARD.xml (or a shipped board name)"},
      {"a board file given as the scenario", xml_error(slurp(kBoard)),
       "bad.xml:1:1: error: this is an ACRN board file, not a scenario file (give it with --board)"},
      {"a scenario file given as the board", xml_error(slurp(kData + "scenario-hybrid.xml"), scenario_as_board.path),
       scenario_as_board.path +
           ":1:1: error: this is an ACRN scenario file, not a board file (give it with --scenario)"},
      // Board files.
      {"board: malformed XML", board_error(board_with("</cpu_id>", "</cpu>")),
       "board.xml:22:22: error: invalid XML: Start-end tags mismatch"},
      {"board: thread without cpu_id", board_error(board_with("          <cpu_id>2</cpu_id>\n", "")),
       "board.xml:39:9: error: processors/die[0]/core[2]/thread[0]: missing element cpu_id"},
      {"board: duplicate cpu_id", board_error(board_with("<cpu_id>2</cpu_id>", "<cpu_id>1</cpu_id>")),
       "board.xml:40:19: error: processors/die[0]/core[2]/thread[0]/cpu_id: duplicate cpu_id 1 (also "
       "processors/die[0]/core[1]/thread[0])"},
      {"board: model_id not a number",
       board_error(
           board_with("<model_id>0x9e</model_id>\n      <capability", "<model_id>9e</model_id>\n      <capability")),
       R"(board.xml:14:17: error: processors/model/model_id: expected a number (decimal or 0x hex), got "9e")"},
      {"board: RAM size", board_error(board_with("16777216 kB", "16 GB")),
       R"(board.xml:6:2: error: TOTAL_MEM_INFO: expected the RAM size as "N kB", got "16 GB")"},
      {"board: cache shared by an unknown APIC id",
       board_error(board_with("<processor>0xe</processor>\n      </processors>\n    </cache>\n  </caches>",
                              "<processor>0xf</processor>\n      </processors>\n    </cache>\n  </caches>")),
       "board.xml:299:20: error: caches/cache[24]/processors/processor[7]: no thread in processors has apic_id 0xf"},
      {"board: no processors",
       board_error("<acrn-config board=\"x\">\n  <TOTAL_MEM_INFO>1024 kB</TOTAL_MEM_INFO>\n</acrn-config>\n"),
       "board.xml:1:1: error: missing element processors"},
      {"board: an ACRN 2.4 board inspector's file, pCPU ids only",
       board_error("<acrn-config board=\"x\">\n  <CPU_PROCESSOR_INFO>\n\t0, 1, 2, 3\n\t</CPU_PROCESSOR_INFO>\n"
                   "  <TOTAL_MEM_INFO>1024 kB</TOTAL_MEM_INFO>\n</acrn-config>\n"),
       "board.xml:1:1: error: missing element processors: this board file comes from the board inspector of an "
       "ACRN before v2.5, which lists the pCPU ids (CPU_PROCESSOR_INFO) but not their cores, APIC IDs or caches; "
       "generate it again with ACRN 2.5's or a later board_inspector.py, or describe the board in YAML "
       "(docs/boards.md)"},
      {"board: not a board file", board_error("<config/>"),
       R"(board.xml:1:1: error: expected an ACRN board file: a root element <acrn-config board="NAME">)"},
  };
  REQUIRE(cases.size() >= 40);
  for (const auto& c : cases) {
    INFO(c.what);
    CHECK(c.error == c.expected);
  }
}

TEST_CASE("a VM without a memory size gets the schema's default, 1024 MB, as the configurator fills it in",
          "[acrn_xml]") {
  // vm[3] (post-launched) with no <memory> at all; VMtypes.xsd MemoryInfo/size default="1024".
  const Scenario s = load_xml(scenario_with("    <memory>\n      <size>512</size>\n    </memory>\n", ""));
  REQUIRE(s.vms.size() == 4);
  CHECK(s.vms[3].memory_mib == 1024);
  // An empty <memory/> likewise.
  const Scenario t = load_xml(scenario_with("<memory>\n      <size>512</size>\n    </memory>", "<memory/>"));
  CHECK(t.vms[3].memory_mib == 1024);
}

TEST_CASE("MAX_EMULATED_MMIO sets each VM's emulated MMIO nodes, from 1 to 128 as config.xsd allows", "[acrn_xml]") {
  CHECK(load_xml(slurp(kData + "scenario-hybrid.xml")).max_emulated_mmio == 16);  // absent: the schema's default
  const std::string caps = "<MAX_VM_NUM>8</MAX_VM_NUM>";
  CHECK(load_xml(scenario_with(caps, caps + "<MAX_EMULATED_MMIO>6</MAX_EMULATED_MMIO>")).max_emulated_mmio == 6);
  const std::string error = xml_error(scenario_with(caps, caps + "<MAX_EMULATED_MMIO>129</MAX_EMULATED_MMIO>"));
  CHECK(error.find("bad.xml:43:") == 0);
  CHECK(error.find("hv/CAPACITIES/MAX_EMULATED_MMIO") != std::string::npos);
  CHECK(error.find("129") != std::string::npos);
}

TEST_CASE("a board file's <ioapics> gives the IOAPICs' addresses, which the Service VM's vIOAPICs take", "[acrn_xml]") {
  const std::string two =
      "<ioapics><ioapic id=\"0x2\"><address>0xfec00000</address></ioapic>"
      "<ioapic id=\"0x3\"><address>0xfec01000</address></ioapic></ioapics>\n  <TOTAL_MEM_INFO>";
  const Board b = parse_board_xml(board_with("<TOTAL_MEM_INFO>", two), "board.xml");
  CHECK(b.ioapics == std::vector<u64>{0xFEC0'0000, 0xFEC0'1000});
  CHECK(parse_board_xml(slurp(kBoard), "board.xml").ioapics.empty());  // none listed
  const std::string bad = board_error(board_with(
      "<TOTAL_MEM_INFO>", "<ioapics><ioapic id=\"0x2\"><address>x</address></ioapic></ioapics><TOTAL_MEM_INFO>"));
  CHECK(bad.find("ioapics/ioapic[0]/address: expected a number") != std::string::npos);
}

TEST_CASE("a board file's devices with an MSI-X capability are known by BDF (vdev_pt_map_msix's nodes)", "[acrn_xml]") {
  const std::string tree =
      "<bus type=\"pci\" address=\"0x0\"><device address=\"0x1f0006\"><capability id=\"MSI\"/>"
      "<capability id=\"MSI-X\"><table_size>4</table_size></capability></device>"
      "<device address=\"0x20000\"><capability id=\"MSI\"/></device></bus>\n  <TOTAL_MEM_INFO>";
  const Board b = parse_board_xml(board_with("<TOTAL_MEM_INFO>", tree), "board.xml");
  CHECK(b.pci.msix == std::set<u16>{pci::Bdf{0, 0x1f, 6}.value()});
}

TEST_CASE("ACRN's cfl-k700-i7 board file: one IOAPIC and seven devices with MSI-X", "[acrn_xml][acrn-data]") {
  const Board b = load_board(acrn_data::require() + "/cfl-k700-i7/cfl-k700-i7.xml", {});
  CHECK(b.ioapics == std::vector<u64>{0xFEC0'0000});
  CHECK(b.pci.msix.size() == 7);  // the NVMe controller and six I210s
  CHECK(b.pci.msix.count(pci::Bdf{1, 0, 0}.value()) == 1);
}
