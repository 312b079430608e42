// Fuzz targets of the input readers: YAML scenarios, ACRN scenario and
// board XML, --set assignments. Everything `ivsim validate` runs on the
// input runs here; only a ConfigError may come out.
#include <cstdio>
#include <cstdlib>

#include "fuzz/targets/targets.h"
#include "platforms/board_xml.h"
#include "platforms/config_error.h"
#include "platforms/data_dir.h"
#include "platforms/host_caches.h"
#include "platforms/host_timing.h"
#include "platforms/input_file.h"
#include "platforms/profile_choice.h"
#include "sim/acrn_launch_xml.h"
#include "sim/acrn_scenario_xml.h"
#include "sim/scenario_fit.h"
#include "sim/scenario_loader.h"

namespace ivsim::fuzz {

void check_failed(const char* what, const char* file, int line, const std::string& detail) {
  std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n  %s\n", file, line, what, detail.c_str());
  std::abort();
}

namespace {

std::string text_of(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

}  // namespace

void scenario_yaml(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> warnings;
  try {
    load_scenario_text(text_of(data, size), "fuzz.yaml", {}, &warnings);
  } catch (const ConfigError&) {
  }
}

// An ACRN 2.x scenario a fuzzed launch file is merged into (--launch).
const char* const kScenario2x = R"(<acrn-config board="adl-i7-12700e" scenario="fuzz">
  <hv><FEATURES><IVSHMEM><IVSHMEM_ENABLED>y</IVSHMEM_ENABLED>
    <IVSHMEM_REGION>hv:/shm_region_0, 2, 0:2</IVSHMEM_REGION></IVSHMEM></FEATURES></hv>
  <vm id="0"><vm_type>PRE_RT_VM</vm_type><name>PRE_RT_VM0</name>
    <cpu_affinity><pcpu_id>2</pcpu_id></cpu_affinity>
    <memory><start_hpa>0x100000000</start_hpa><size>0x20000000</size></memory></vm>
  <vm id="1"><vm_type>SOS_VM</vm_type><name>ACRN_Service_VM</name></vm>
  <vm id="2"><vm_type>POST_STD_VM</vm_type><cpu_affinity><pcpu_id>4</pcpu_id></cpu_affinity></vm>
  <vm id="3"><vm_type>POST_RT_VM</vm_type><cpu_affinity><pcpu_id>5</pcpu_id></cpu_affinity></vm>
</acrn-config>
)";

void acrn_scenario_xml(const std::uint8_t* data, std::size_t size) {
  static const std::string board = data_dir() + "/acrn/adl-i7-12700e/adl-i7-12700e.xml";
  std::vector<std::string> warnings;
  try {
    const XmlDocument doc = XmlDocument::parse(text_of(data, size), "fuzz.xml");
    if (is_acrn_launch_file(doc)) {
      ScenarioTree tree = read_acrn_scenario_text(kScenario2x, "scenario-2x.xml", board);
      apply_acrn_launch_file(tree, doc);
      validate_scenario_tree(tree, &warnings);
      return;
    }
    validate_scenario_tree(acrn_scenario_tree(doc, board), &warnings);
  } catch (const ConfigError&) {
  }
}

void board_xml(const std::uint8_t* data, std::size_t size) {
  try {
    const Board board = parse_board_xml(text_of(data, size), "board.xml");
    check_board(board, SourceLocation{"board.xml", 0, 0}, "");
    // What a run derives from the board before it builds anything.
    const TimingProfile profile = timing_profile_for_run(Scenario{}, board, false);
    host_timing(profile, board, cache_topology(board));
  } catch (const ConfigError&) {
  }
}

void set_assignments(const std::uint8_t* data, std::size_t size) {
  static const std::string base = read_input_file(default_scenario_path(), "scenario file", {});
  std::vector<std::string> sets;
  const std::string text = text_of(data, size);
  std::size_t start = 0;
  while (start <= text.size() && sets.size() < 64) {
    const std::size_t end = text.find('\n', start);
    sets.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  std::vector<std::string> warnings;
  try {
    load_scenario_text(base, "default.yaml", sets, &warnings);
  } catch (const ConfigError&) {
  }
}

}  // namespace ivsim::fuzz
