// Which timing profile models which CPU: the CPU model map, the nearest
// profile for a CPU it lacks, the board's frequency, and each pCPU's costs
// by core type.
#include <catch2/catch.hpp>

#include <unistd.h>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "platforms/board_xml.h"
#include "platforms/cpu_models.h"
#include "platforms/host_caches.h"
#include "platforms/host_timing.h"
#include "platforms/profile_choice.h"

using namespace ivsim;

namespace {

// A board of `p_cores` cores with `smt` threads each (core_type Core unless
// `types` is false) and `e_clusters` clusters of four Atom cores sharing an
// L2, behind one L3 (or none), on `sockets` dies.
Board make_board(unsigned family, unsigned model, unsigned p_cores, unsigned smt, unsigned e_clusters, bool l3 = true,
                 unsigned sockets = 1, bool types = true, unsigned l1d_kib = 48, unsigned l2_kib = 1280) {
  Board b;
  b.name = "made-up";
  b.family_id = family;
  b.model_id = model;
  unsigned id = 0;
  for (unsigned s = 0; s < sockets; ++s) {
    std::vector<unsigned> llc;
    for (unsigned c = 0; c < p_cores; ++c) {
      std::vector<unsigned> threads;
      for (unsigned t = 0; t < smt; ++t) {
        b.pcpus.push_back({id, s, c, 2 * c + t, types ? "Core" : "", 2 * c + t});
        b.caches.push_back({1, 1, u64{l1d_kib} * 1024, 12, 64, false, {id}, 0, {}});
        threads.push_back(id);
        llc.push_back(id++);
      }
      b.caches.push_back({2, 3, u64{l2_kib} * 1024, 10, 64, false, threads, 0, {}});
    }
    for (unsigned k = 0; k < e_clusters; ++k) {
      std::vector<unsigned> cluster;
      for (unsigned c = 0; c < 4; ++c) {
        b.pcpus.push_back({id, s, 64 + 4 * k + c, 128 + 4 * k + c, "Atom", 128 + 4 * k + c});
        b.caches.push_back({1, 1, 32 * 1024, 8, 64, false, {id}, 0, {}});
        cluster.push_back(id);
        llc.push_back(id++);
      }
      b.caches.push_back({2, 3, 2 * 1024 * 1024, 16, 64, false, cluster, 0, {}});
    }
    if (l3) b.caches.push_back({3, 3, 24 * 1024 * 1024, 12, 64, false, llc, 0, {}});
  }
  return b;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("every row of the CPU model map names a shipped profile and a kernel model name, once") {
  const auto profiles = timing_profile_names();
  std::set<std::pair<unsigned, unsigned>> seen;
  for (const auto& m : cpu_models()) {
    INFO(m.name);
    CHECK(std::find(profiles.begin(), profiles.end(), m.profile) != profiles.end());
    CHECK(m.name.rfind("INTEL_FAM6_", 0) == 0);
    CHECK(m.family == 6);
    CHECK(seen.insert({m.family, m.model}).second);
    CHECK_FALSE(m.source.empty());
  }
  // The generations ACRN's boards and users bring (intel-family.h ids).
  const std::map<unsigned, std::string> expected = {
      {0x4E, "coffee-lake-client"}, {0x5E, "coffee-lake-client"}, {0x8E, "coffee-lake-client"},
      {0x9E, "coffee-lake-client"}, {0xA5, "coffee-lake-client"}, {0xA6, "coffee-lake-client"},
      {0x7D, "tiger-lake-client"},  {0x7E, "tiger-lake-client"},  {0xA7, "tiger-lake-client"},
      {0x8C, "tiger-lake-client"},  {0x8D, "tiger-lake-client"},  {0x97, "alder-lake-hybrid"},
      {0x9A, "alder-lake-hybrid"},  {0xBE, "alder-lake-hybrid"},  {0xB7, "alder-lake-hybrid"},
      {0xBA, "alder-lake-hybrid"},  {0xBF, "alder-lake-hybrid"},  {0x5C, "atom-tremont"},
      {0x5F, "atom-tremont"},       {0x7A, "atom-tremont"},       {0x86, "atom-tremont"},
      {0x96, "atom-tremont"},       {0x9C, "atom-tremont"},       {0x55, "cascade-lake-server"},
      {0x6A, "ice-lake-server"},    {0x6C, "ice-lake-server"},    {0x8F, "ice-lake-server"},
      {0xCF, "ice-lake-server"}};
  for (const auto& [model, profile] : expected) {
    INFO(std::hex << model);
    CHECK(timing_profile_for_cpu(6, model) == profile);
  }
  CHECK(cpu_models().size() == expected.size());
}

TEST_CASE("every shipped profile has a reference part and the hybrid one prices each core type") {
  for (const auto& name : timing_profile_names()) {
    INFO(name);
    const TimingProfile p = load_timing_profile(name, {});
    CHECK(p.reference.l1d_kib > 0);
    CHECK_FALSE(p.reference.cpu.empty());
    for (const auto& e : p.entries) CHECK_FALSE(e.source.empty());
  }
  const TimingProfile h = load_timing_profile("alder-lake-hybrid", {});
  REQUIRE(h.hybrid());
  const TimingParams core = resolve_timing(h, "Core");
  const TimingParams atom = resolve_timing(h, "Atom");
  CHECK(core.core_type == CoreType::core);
  CHECK(atom.core_type == CoreType::atom);
  CHECK(core.core_clock.mhz() == 2100);
  CHECK(atom.core_clock.mhz() == 1600);
  CHECK(core.tsc_clock.mhz() == 2100);  // one TSC for the package, at the P-cores' base clock
  CHECK(atom.tsc_clock.mhz() == 2100);
  CHECK(core.l1_hit_ps == 2381);  // 5 cycles at 2.1 GHz
  CHECK(atom.l1_hit_ps == 1875);  // 3 cycles at 1.6 GHz
  CHECK(atom.dram_ps == core.dram_ps);
  CHECK(load_timing_profile("atom-tremont", {}).core_types == std::vector<std::string>{"Atom"});
}

TEST_CASE("a hybrid board's pCPUs cost their core type's and each pair its P/E class") {
  const Board b = make_board(6, 0x97, 2, 2, 2);  // pCPUs 0-3 two SMT P-cores, 4-7 and 8-11 two E clusters
  Scenario s;
  const TimingProfile p = timing_profile_for_run(s, b);
  CHECK(p.name == "alder-lake-hybrid");
  CHECK(p.chosen_by == "cpu model");
  REQUIRE(p.pcpus_by_core_type.size() == 2);
  CHECK(p.pcpus_by_core_type[0] ==
        std::make_pair(std::string("Atom"), std::vector<unsigned>{4, 5, 6, 7, 8, 9, 10, 11}));
  const CacheTopology t = cache_topology(b);
  const HostTiming h = host_timing(p, b, t);
  CHECK(h.by_pcpu[0].core_type == CoreType::core);
  CHECK(h.by_pcpu[5].core_type == CoreType::atom);
  CHECK(h.c2c(0, 1) == 4300);   // SMT siblings
  CHECK(h.c2c(0, 2) == 35000);  // P-P
  CHECK(h.c2c(0, 4) == 44000);  // P-E
  CHECK(h.c2c(9, 3) == 44000);  // E-P
  CHECK(h.c2c(4, 8) == 50000);  // E-E, different clusters
  CHECK(h.c2c(4, 5) == 50000);  // E-E, one cluster: through the ring too (AnandTech 17047)
  CHECK(t.distance[4][5] == CoreDistance::same_l2);
  // Alder Lake-N: Gracemont only, and threads naming no core type are Atom by the map's row.
  Board n = make_board(6, 0xBE, 0, 1, 1, true, 1, false);
  for (auto& pc : n.pcpus) pc.core_type = "";
  const TimingProfile pn = timing_profile_for_run(s, n);
  CHECK(pn.pcpus_by_core_type.front().first == "Atom");
  CHECK(host_timing(pn, n, cache_topology(n)).by_pcpu[0].core_type == CoreType::atom);
}

TEST_CASE("a CPU the map lacks runs with the nearest profile by core types, caches, sockets and frequency") {
  Scenario s;
  auto nearest = [&](const Board& b) {
    const ProfileChoice c = choose_timing_profile(s, b);
    CHECK(c.chosen_by == "nearest");
    CHECK(c.cpu.find("not in platforms/cpu-models.yaml") != std::string::npos);
    return c.profile;
  };
  CHECK(nearest(make_board(6, 0xAA, 4, 2, 2)) == "alder-lake-hybrid");                           // Meteor Lake-like
  CHECK(nearest(make_board(6, 0xB6, 0, 1, 2, false, 1, false)) == "atom-tremont");               // Grand Ridge-like
  CHECK(nearest(make_board(6, 0xAD, 16, 1, 0, true, 2, false, 48, 2048)) == "ice-lake-server");  // Granite Rapids-like
  CHECK(nearest(make_board(6, 0x3F, 12, 1, 0, true, 2, false, 32, 256)) == "cascade-lake-server");  // Haswell-EP-like
  CHECK(nearest(make_board(6, 0x3C, 4, 2, 0, true, 1, false, 32, 256)) == "coffee-lake-client");    // Haswell-like
  CHECK(nearest(make_board(6, 0x66, 2, 2, 0, true, 1, false, 32, 256)) == "coffee-lake-client");    // Cannon Lake-like
  CHECK(nearest(make_board(6, 0x9D, 4, 2, 0, true, 1, false, 48, 512)) == "tiger-lake-client");     // Ice Lake NNPI
  // The scenario's timing.profile still wins, and says so.
  s.timing_profile = "tiger-lake-client";
  CHECK(choose_timing_profile(s, make_board(6, 0xAA, 4, 2, 2)).chosen_by == "scenario");
}

TEST_CASE("the board's frequency converts cycle entries, a scenario override of core_mhz wins") {
  Board b = make_board(6, 0x8E, 4, 1, 0, true, 1, false, 32, 256);
  b.frequency_mhz = 1600;
  b.frequency_source = "model description \"... @ 1.60GHz\"";
  Scenario s;
  TimingProfile p = timing_profile_for_run(s, b);
  CHECK(p.find("core_mhz")->value == 1600);
  CHECK(p.frequency_source.find("@ 1.60GHz") != std::string::npos);
  CHECK(resolve_timing(p).l1_hit_ps == 2500);  // 4 cycles at 1.6 GHz
  s.timing_overrides["core_mhz"] = "2000";
  p = timing_profile_for_run(s, b);
  CHECK(p.find("core_mhz")->value == 2000);
  CHECK(p.frequency_source == "scenario override");
  b.frequency_mhz = 0;
  s.timing_overrides.clear();
  p = timing_profile_for_run(s, b);
  CHECK(p.find("core_mhz")->value == 1800);  // the profile's own, and it says why
  CHECK(p.frequency_source.find("gives no frequency") != std::string::npos);
}

TEST_CASE("a board file's frequency: the model description, else PX_INFO's P1 when P0 is turbo, else P0") {
  CHECK(frequency_from_description("Intel(R) Core(TM) i5-8265U CPU @ 1.60GHz") == 1600);
  CHECK(frequency_from_description("Genuine Intel(R) 0000 @ 800MHz") == 800);
  CHECK(frequency_from_description("12th Gen Intel(R) Core(TM) i7-12700E") == 0);
  const std::string board = slurp(std::string(IVSIM_TESTS_DIR) + "/data/acrn/board-8cpu.xml");
  auto with = [&](const std::string& description, const std::string& px) {
    std::string s = board;
    s.replace(s.find("Test CPU @ 1.80GHz"), 18, description);
    s.replace(s.find("  <processors>"), 0, "  <PX_INFO>\n" + px + "\n  </PX_INFO>\n");
    return parse_board_xml(s, "board.xml");
  };
  const Board turbo = with("Test CPU",
                           "{0x709UL, 0x00UL, 0x0AUL, 0x0AUL, 0x002600UL, 0x002600UL},\t/* P0 */\n"
                           "{0x708UL, 0x00UL, 0x0AUL, 0x0AUL, 0x001200UL, 0x001200UL},\t/* P1 */");
  CHECK(turbo.frequency_mhz == 1800);
  CHECK(turbo.frequency_source.find("PX_INFO P1") == 0);
  const Board plain = with("Test CPU",
                           "{0x960UL, 0x00UL, 0x0AUL, 0x0AUL, 0x001800UL, 0x001800UL},\t/* P0 */\n"
                           "{0x8FCUL, 0x00UL, 0x0AUL, 0x0AUL, 0x001700UL, 0x001700UL},\t/* P1 */");
  CHECK(plain.frequency_mhz == 2400);
  CHECK(plain.frequency_source.find("PX_INFO P0") == 0);
  CHECK(with("Test CPU @ 2.00GHz", "/* Px data is not available */").frequency_mhz == 2000);
  CHECK(with("Test CPU", "/* Px data is not available */").frequency_mhz == 0);
}

TEST_CASE("docs/boards.md's CPU table is the CPU model map") {
  std::ifstream f(std::string(IVSIM_TESTS_DIR) + "/../docs/boards.md");
  REQUIRE(f.good());
  std::vector<std::string> rows;
  for (std::string line; std::getline(f, line);)
    if (line.rfind("| 0x", 0) == 0) rows.push_back(line);
  std::vector<std::string> expected;
  for (const auto& m : cpu_models())
    expected.push_back(fmt::format("| {:#04X} | `{}` | {} | `{}` |", m.model, m.name, m.uarch, m.profile));
  for (auto& e : expected) e.replace(e.find("0X"), 2, "0x");
  CHECK(rows == expected);
}

TEST_CASE("a YAML board gives each pCPU's core type and its frequency from cpu_model") {
  const std::string dir = "/tmp/ivsim-yaml-board-" + std::to_string(getpid());
  REQUIRE(std::system(("mkdir -p " + dir + "/boards").c_str()) == 0);
  std::ofstream(dir + "/boards/tiny-hybrid.yaml") << R"(name: tiny-hybrid
cpu_model: "Test hybrid CPU @ 2.50GHz"
family_id: 0x6
model_id: 0x9a
physical_address_bits: 39
ram_mib: 8192
timing_profile: alder-lake-hybrid
pcpus:
  - { id: 0, die: 0, core: 0, thread: 0x0, core_type: Core }
  - { id: 1, die: 0, core: 8, thread: 0x10, core_type: Atom }
caches: []
)";
  setenv("IVSIM_DATA_DIR", dir.c_str(), 1);
  const Board b = load_board("tiny-hybrid", {});
  unsetenv("IVSIM_DATA_DIR");
  std::system(("rm -rf " + dir).c_str());
  CHECK(b.pcpus[0].core_type == "Core");
  CHECK(b.pcpus[1].core_type == "Atom");
  CHECK(b.frequency_mhz == 2500);
  CHECK(b.frequency_source == "model description \"Test hybrid CPU @ 2.50GHz\"");
}
